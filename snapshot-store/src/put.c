/* Writing a snapshot: hash and store new pages, then commit pack, manifest and metadata atomically. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tern/stream.h"
#include "tern/transport.h"
#include "store_internal.h"


static int label_valid(const char *l)
{
    const char *eq = strchr(l, '=');
    size_t i, n = strlen(l);

    if (!eq || eq == l || n > STORE_LABEL_MAX)
        return 0;
    for (i = 0; i < n; i++)
        if ((unsigned char)l[i] < 0x20 || l[i] == 0x7f)
            return 0;
    return 1;
}

static int check_meta(struct store *s, const struct store_meta *m)
{
    struct stat st;
    size_t i;

    if (!m || !store_name_valid(m->name))
        return store_err(s, -EINVAL, "invalid snapshot name '%s'",
                         m && m->name ? m->name : "");
    if (m->parent && *m->parent) {
        if (!store_name_valid(m->parent))
            return store_err(s, -EINVAL, "invalid parent name '%s'", m->parent);
        if (fstatat(s->snapsfd, m->parent, &st, 0) < 0)
            return store_err(s, -ENOENT, "parent snapshot '%s' not found", m->parent);
    }
    if (m->nlabels > STORE_LABELS_MAX)
        return store_err(s, -EINVAL, "too many labels (max %u)", STORE_LABELS_MAX);
    for (i = 0; i < m->nlabels; i++)
        if (!label_valid(m->labels[i]))
            return store_err(s, -EINVAL, "invalid label '%s' (want key=value)",
                             m->labels[i]);
    if (fstatat(s->snapsfd, m->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        return store_err(s, -EEXIST, "snapshot '%s' already exists", m->name);
    return 0;
}

static void fill_meta(struct snap_meta *sm, const struct store_meta *m)
{
    struct timespec ts;
    size_t i;

    memset(sm, 0, sizeof(*sm));
    snprintf(sm->info.name, sizeof(sm->info.name), "%s", m->name);
    snprintf(sm->info.parent, sizeof(sm->info.parent), "%s",
             m->parent ? m->parent : "");
    for (i = 0; i < m->nlabels; i++)
        snprintf(sm->info.labels[i], sizeof(sm->info.labels[i]), "%s", m->labels[i]);
    sm->info.nlabels = (uint32_t)m->nlabels;
    clock_gettime(CLOCK_REALTIME, &ts);
    sm->h.ctime_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    sm->h.image_size = m->image_size;
    if (getrandom(sm->h.snap_id, sizeof(sm->h.snap_id), 0) != sizeof(sm->h.snap_id))
        memcpy(sm->h.snap_id, &sm->h.ctime_ns, 8);
}

int store_put_begin(struct store *s, const struct store_meta *meta,
                    struct store_put **out)
{
    struct store_put *p;
    int rc;

    *out = NULL;
    rc = check_meta(s, meta);
    if (rc)
        return rc;
    p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->s = s;
    fill_meta(&p->meta, meta);
    /* Touched only by compressible pages. */
    p->zout = malloc((size_t)PUT_BATCH * STORE_PAGE_SIZE);
    rc = p->zout ? pack_writer_open(s, &p->pw) : -ENOMEM;
    if (!rc) {
        rc = pipe_start(&p->pipe, &p->pw);
        if (rc)
            pack_writer_discard(s, &p->pw);
    }
    if (rc) {
        free(p->zout);
        free(p);
        return store_err(s, rc, "starting put: %s", strerror(-rc));
    }
    *out = p;
    return 0;
}

static int put_fail(struct store_put *p, int rc, const char *what)
{
    if (!p->failed)
        p->failed = store_err(p->s, rc, "%s: %s", what, strerror(-rc));
    return p->failed;
}

/* Records one page whose hash is known; new data goes to the worker. */
static int put_one(struct store_put *p, struct snap_page *pg, const void *data,
                   size_t i)
{
    const uint8_t *zdata = p->zout + i * STORE_PAGE_SIZE;
    uint32_t zlen = p->zlen[i];
    uint8_t what = p->what[i];
    int rc;

    if (pg->flags & SNAP_PAGE_ZERO) {
        p->stats.zero_pages++;
    } else if (pg->flags & SNAP_PAGE_NODATA) {
        /* nothing to store */
    } else if (what & PAGE_SEEN_KNOWN) {
        p->stats.dup_pages++;
    } else {
        /* mine is a set: the pack writer knows where the page lands. It
         * holds the page already when a copy came earlier in the batch. */
        rc = table_add_new(&p->mine, pg->hash);
        if (rc == 1 && (what & PAGE_SEEN_DEFLATED))
            rc = pipe_push(&p->pipe, zdata, pg->hash, zlen, CHUNK_DEFLATE);
        else if (rc == 1)
            rc = pipe_push(&p->pipe, data, pg->hash, STORE_PAGE_SIZE, CHUNK_RAW);
        else if (rc == 0)
            p->stats.dup_pages++;
        if (rc)
            return rc;
    }
    rc = state_add_page(&p->st, pg);
    if (!rc)
        p->stats.pages++;
    return rc;
}

int put_batch(struct store_put *p, const uint64_t *pfns, const uint8_t *types,
              const void *const *data, size_t n)
{
    uint8_t kind[PUT_BATCH]; /* 0: data to hash, 1: zero, 2: no data */
    struct put_hash_work hw;
    struct snap_page pg;
    size_t i;
    int rc;

    if (p->failed)
        return p->failed;
    if (n > PUT_BATCH)
        return store_err(p->s, -EINVAL, "batch of %zu pages too big", n);
    for (i = 0; i < n; i++) {
        if (pfns[i] > TERN_ENTRY_PFN_MASK || !tern_page_type_valid(types[i]))
            return store_err(p->s, -EINVAL, "page pfn 0x%llx type %u invalid",
                             (unsigned long long)pfns[i], types[i]);
        kind[i] = !tern_page_type_has_data(types[i]) ? 2 : !data[i] ? 1 : 0;
        p->what[i] = 0;
    }
    memset(&hw, 0, sizeof(hw));
    hw.data = data;
    hw.kind = kind;
    hw.out = p->hashes;
    hw.what = p->what;
    hw.zout = p->zout;
    hw.zlen = p->zlen;
    hw.known[0] = &p->s->table;
    hw.known[1] = &p->mine;
    hw.n = n;
    rc = pipe_hash(&p->pipe, &p->s->codec, &hw);
    if (rc)
        return put_fail(p, rc, "hashing pages");
    for (i = 0; i < n && !rc; i++) {
        if (i + 8 < n && !(p->what[i + 8] & (PAGE_SEEN_ZERO | PAGE_SEEN_KNOWN)))
            table_prefetch(&p->mine, p->hashes[i + 8]);
        memset(&pg, 0, sizeof(pg));
        pg.pfn = pfns[i];
        pg.type = types[i];
        if (kind[i] == 2) {
            pg.flags = SNAP_PAGE_NODATA;
        } else if (kind[i] == 1 || (p->what[i] & PAGE_SEEN_ZERO)) {
            pg.flags = SNAP_PAGE_ZERO;
            memcpy(pg.hash, store_zero_hash, 32);
        } else {
            memcpy(pg.hash, p->hashes[i], 32);
        }
        rc = put_one(p, &pg, data[i], i);
    }
    return rc ? put_fail(p, rc, "storing pages") : 0;
}

int put_release(struct store_put *p, int rc)
{
    int err = pipe_release(&p->pipe);

    if (err && !rc)
        rc = put_fail(p, err, "storing pages");
    return rc;
}

int store_put_page(struct store_put *p, uint64_t pfn, uint32_t type,
                   const void *data)
{
    uint8_t t = (uint8_t)type;

    if (type > 0xF)
        return store_err(p->s, -EINVAL, "page type %u invalid", type);
    return put_release(p, put_batch(p, &pfn, &t, &data, 1));
}

int store_put_pages(struct store_put *p, uint64_t pfn_first, uint64_t count,
                    const void *buf)
{
    uint64_t pfns[PUT_BATCH], done;
    uint8_t types[PUT_BATCH];
    const void *data[PUT_BATCH];
    const uint8_t *b = buf;
    size_t i, n;
    int rc = 0;

    memset(types, TERN_PAGE_NORMAL, sizeof(types));
    for (done = 0; done < count && !rc; done += n) {
        n = count - done < PUT_BATCH ? (size_t)(count - done) : PUT_BATCH;
        for (i = 0; i < n; i++) {
            pfns[i] = pfn_first + done + i;
            data[i] = b + (done + i) * STORE_PAGE_SIZE;
        }
        rc = put_batch(p, pfns, types, data, n);
    }
    return put_release(p, rc);
}

int store_put_stream_record(struct store_put *p, const struct tern_record *rec)
{
    int rc;

    if (p->failed)
        return p->failed;
    rc = state_take_record(&p->st, rec);
    if (rc)
        p->failed = store_err(p->s, rc, "keeping %s record: %s",
                              tern_rec_type_name(rec->type), strerror(-rc));
    return rc;
}

void store_put_get_stats(struct store_put *p, struct store_put_stats *st)
{
    pipe_drain(&p->pipe);
    *st = p->stats;
    st->new_chunks += p->pipe.st.new_chunks;
    st->stored_bytes += p->pipe.st.stored_bytes;
    st->raw_chunks += p->pipe.st.raw_chunks;
    st->zlib_chunks += p->pipe.st.zlib_chunks;
}

void store_put_set_image_size(struct store_put *p, uint64_t bytes)
{
    p->meta.h.image_size = bytes;
}

void store_put_abort(struct store_put *p)
{
    if (!p)
        return;
    pipe_stop(&p->pipe);
    pack_writer_discard(p->s, &p->pw);
    table_free(&p->mine);
    state_free(&p->st);
    free(p->zout);
    free(p);
}

int store_put_commit(struct store_put *p)
{
    int rc = pipe_drain(&p->pipe);

    if (rc)
        put_fail(p, rc, "storing pages");
    rc = p->failed;
    pipe_stop(&p->pipe);
    if (!rc)
        rc = put_commit_snapshot(p);
    store_put_abort(p);
    return rc;
}

