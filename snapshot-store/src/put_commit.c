/* Commit of a snapshot: pack first, then manifest and metadata in a directory renamed into place. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tern/stream.h"
#include "tern/transport.h"
#include "store_internal.h"

/* Page references go out in records of at most TERN_STREAM_REFS_MAX. */
struct refs_batch {
    uint64_t pfn[TERN_STREAM_REFS_MAX];
    uint8_t type[TERN_STREAM_REFS_MAX];
    bool zero[TERN_STREAM_REFS_MAX];
    uint8_t sha[TERN_STREAM_REFS_MAX][32];
};

static int emit_refs(void *arg, struct tern_writer *w)
{
    const struct snap_state *st = arg;
    struct refs_batch *b;
    size_t i = 0, n;
    int rc = 0;

    b = malloc(sizeof(*b));
    if (!b)
        return -ENOMEM;
    while (i < st->npages && !rc) {
        for (n = 0; n < TERN_STREAM_REFS_MAX && i < st->npages; n++, i++) {
            const struct snap_page *pg = &st->pages[i];
            b->pfn[n] = pg->pfn;
            b->type[n] = pg->type;
            b->zero[n] = !!(pg->flags & SNAP_PAGE_ZERO);
            if (pg->flags & (SNAP_PAGE_ZERO | SNAP_PAGE_NODATA))
                memset(b->sha[n], 0, 32);
            else
                memcpy(b->sha[n], pg->hash, 32);
        }
        rc = tern_writer_page_refs(w, b->pfn, b->type, b->zero,
                                   (const uint8_t(*)[32])b->sha, n);
    }
    free(b);
    return rc;
}

/* Writes the manifest stream into dirfd/manifest; returns its size and hash. */
static int write_manifest(struct store *s, int dirfd, const struct snap_state *st,
                          uint64_t *size, uint8_t sha[32])
{
    struct tern_writer_params wp = { .level = 0, .single_thread = true };
    struct tern_transport *t = NULL;
    struct tern_writer *w = NULL;
    struct hashfd h;
    int fd, rc;

    fd = openat(dirfd, "manifest", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    if (fd < 0)
        return store_err(s, -errno, "creating manifest: %s", strerror(errno));
    rc = hashfd_open(&h, fd, &t);
    if (rc)
        goto out_close;
    rc = tern_writer_open(&w, t, &wp);
    if (!rc)
        rc = state_emit(st, w, emit_refs, (void *)st);
    if (rc)
        store_err(s, rc, "writing manifest: %s",
                  w ? tern_writer_error(w)->msg : strerror(-rc));
    tern_writer_free(w);
    tern_transport_close(t, NULL);
    if (!rc && fsync(fd) < 0)
        rc = store_err(s, -errno, "fsync manifest: %s", strerror(errno));
    *size = h.bytes;
    if (hashfd_final(&h, sha) && !rc)
        rc = -EIO;
out_close:
    close(fd);
    return rc;
}

static void count_pages(const struct snap_state *st, struct meta_hdr *h)
{
    size_t i;

    h->pages = st->npages;
    h->zero_pages = 0;
    for (i = 0; i < st->npages; i++)
        if (st->pages[i].flags & SNAP_PAGE_ZERO)
            h->zero_pages++;
    h->max_pfn = st->npages ? st->pages[st->npages - 1].pfn + 1 : 0;
}

static int check_state(struct store_put *p)
{
    struct snap_state *st = &p->st;

    state_finish_pages(st);
    if (!st->have_domain && !st->nrecs) {
        state_default_domain(st, p->meta.h.image_size);
        p->meta.h.kind = SNAP_KIND_IMAGE;
        return 0;
    }
    p->meta.h.kind = SNAP_KIND_STREAM;
    if (!st->have_domain || !st->have_p2m)
        return store_err(p->s, -EPROTO, "stream records without DOMAIN_HEADER/P2M_LAYOUT");
    if (st->npages && st->pages[st->npages - 1].pfn >= st->p2m_size)
        return store_err(p->s, -EINVAL, "pfn 0x%llx beyond p2m_size 0x%llx",
                         (unsigned long long)st->pages[st->npages - 1].pfn,
                         (unsigned long long)st->p2m_size);
    return 0;
}

/* Builds tmp/<id>.snap/{manifest,meta}, durable before it is renamed. */
static int build_snapdir(struct store_put *p, const char *dname)
{
    struct store *s = p->s;
    int dfd, rc;

    if (mkdirat(s->tmpfd, dname, 0755) < 0)
        return store_err(s, -errno, "creating tmp/%s: %s", dname, strerror(errno));
    dfd = openat(s->tmpfd, dname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return store_err(s, -errno, "opening tmp/%s: %s", dname, strerror(errno));
    rc = write_manifest(s, dfd, &p->st, &p->meta.h.manifest_size,
                        p->meta.h.manifest_sha256);
    if (!rc) {
        count_pages(&p->st, &p->meta.h);
        rc = meta_write(dfd, "meta", &p->meta);
        if (rc)
            store_err(s, rc, "writing metadata: %s", strerror(-rc));
    }
    if (!rc)
        rc = fs_fsync_dir(dfd);
    close(dfd);
    return rc;
}

/* Directories cannot be linked; a plain rename never replaces a non-empty
 * directory, and snapshot directories are never empty. */
static int rename_dir(int olddir, const char *oldname, int newdir,
                      const char *newname)
{
    if (renameat2(olddir, oldname, newdir, newname, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -errno;
    if (renameat(olddir, oldname, newdir, newname) < 0)
        return errno == ENOTEMPTY ? -EEXIST : -errno;
    return 0;
}

/* The pack's commit runs beside the manifest's: two fsync chains. */
struct pack_job {
    struct store *s;
    struct pack_writer *w;
    int rc;
    char msg[256];
};

/* Touches only the pack writer, the store's pack list and chunk table,
 * none of which the manifest's writing uses. */
static void *pack_job_run(void *arg)
{
    struct pack_job *j = arg;

    j->rc = pack_writer_finish(j->w, j->s->tmpfd, j->s->packsfd, j->msg, sizeof(j->msg));
    if (!j->rc) {
        j->rc = pack_writer_publish(j->s, j->w);
        if (j->rc)
            snprintf(j->msg, sizeof(j->msg), "adding pack %s: %s", j->w->id,
                     strerror(-j->rc));
    }
    return NULL;
}

/* Writes the snapshot directory while the pack is committed; both must
 * be durable before the snapshot can be. */
static int build_all(struct store_put *p, const char *dname)
{
    struct store *s = p->s;
    struct pack_job j = { s, &p->pw, 0, "" };
    pthread_t thr;
    int rc, threaded = 0;

    if (!p->pw.n) {
        pack_writer_discard(s, &p->pw);
        return build_snapdir(p, dname);
    }
    if (pthread_create(&thr, NULL, pack_job_run, &j) == 0)
        threaded = 1;
    else
        pack_job_run(&j);
    rc = build_snapdir(p, dname);
    if (threaded)
        pthread_join(thr, NULL);
    if (j.rc) {
        store_err(s, j.rc, "%s", j.msg);
        return j.rc;
    }
    return rc;
}

int put_commit_snapshot(struct store_put *p)
{
    struct store *s = p->s;
    char dname[32], hex[17];
    uint8_t rid[8];
    int rc;

    rc = check_state(p);
    if (rc)
        return rc;
    store_random_id(rid, hex);
    snprintf(dname, sizeof(dname), "%s.snap", hex);
    rc = build_all(p, dname);
    if (!rc) {
        /* The commit point: the snapshot exists once this rename lands. */
        rc = rename_dir(s->tmpfd, dname, s->snapsfd, p->meta.info.name);
        if (rc == -EEXIST)
            store_err(s, rc, "snapshot '%s' already exists", p->meta.info.name);
        else if (rc)
            store_err(s, rc, "committing snapshot: %s", strerror(-rc));
    }
    if (rc) {
        fs_remove_dir(s->tmpfd, dname);
        return rc;
    }
    rc = fs_fsync_dir(s->snapsfd);
    if (!rc)
        rc = fs_fsync_dir(s->tmpfd);
    if (rc)
        return store_err(s, rc, "fsync snapshots/: %s", strerror(-rc));
    return 0;
}
