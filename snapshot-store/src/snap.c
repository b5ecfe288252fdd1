/* Reading a snapshot: load metadata and manifest, then serve verified pages straight from the packs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tern/stream.h"
#include "tern/transport.h"
#include "store_internal.h"

/* Entry i of a PAGE_REFS record as a manifest page (shared with stream import). */
void snap_page_from_ref(const struct tern_record *rec, uint32_t i, struct snap_page *pg)
{
    memset(pg, 0, sizeof(*pg));
    pg->pfn = rec->u.refs.pfns[i];
    pg->type = rec->u.refs.types[i];
    if (!tern_page_type_has_data(pg->type)) {
        pg->flags = SNAP_PAGE_NODATA;
    } else if (rec->u.refs.zero[i]) {
        pg->flags = SNAP_PAGE_ZERO;
        memcpy(pg->hash, store_zero_hash, 32);
    } else {
        memcpy(pg->hash, rec->u.refs.sha256[i], 32);
    }
}

static int take_refs(struct snap_state *st, const struct tern_record *rec)
{
    struct snap_page pg;
    uint32_t i;
    int rc;

    for (i = 0; i < rec->u.refs.count; i++) {
        snap_page_from_ref(rec, i, &pg);
        rc = state_add_page(st, &pg);
        if (rc)
            return rc;
    }
    return 0;
}

/* Reads every record of the manifest stream into st. */
static int read_records(struct tern_reader *r, struct snap_state *st, char *why,
                        size_t n)
{
    struct tern_record rec;
    int rc;

    for (;;) {
        rc = tern_reader_next(r, &rec);
        if (rc < 0) {
            snprintf(why, n, "%s", tern_reader_error(r)->msg);
            return rc;
        }
        if (rc > 0 || rec.type == TERN_REC_END)
            return 0;
        if (rec.type == TERN_REC_PAGE_BATCH) {
            snprintf(why, n, "manifest carries page data");
            return -EBADMSG;
        }
        rc = rec.type == TERN_REC_PAGE_REFS ? take_refs(st, &rec)
                                            : state_take_record(st, &rec);
        if (rc) {
            snprintf(why, n, "%s record: %s", tern_rec_type_name(rec.type),
                     strerror(-rc));
            return rc;
        }
    }
}

int manifest_load(int dirfd, const struct meta_hdr *h, struct snap_state *st,
                  char *why, size_t n)
{
    struct tern_transport *t = NULL;
    struct tern_reader *r = NULL;
    uint8_t sha[32];
    struct hashfd hf;
    int fd, rc;

    memset(st, 0, sizeof(*st));
    fd = openat(dirfd, "manifest", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, n, "manifest: %s", strerror(errno));
        return -errno;
    }
    rc = hashfd_open(&hf, fd, &t);
    if (rc) {
        close(fd);
        return rc;
    }
    rc = tern_reader_open(&r, t);
    if (rc)
        snprintf(why, n, "manifest: %s", r ? tern_reader_error(r)->msg : strerror(-rc));
    else
        rc = read_records(r, st, why, n);
    tern_reader_free(r);
    tern_transport_close(t, NULL);
    if (hashfd_final(&hf, sha) && !rc)
        rc = -EIO;
    close(fd);
    if (!rc && (hf.bytes != h->manifest_size || memcmp(sha, h->manifest_sha256, 32))) {
        snprintf(why, n, "manifest does not match the checksum in its metadata");
        rc = -EBADMSG;
    }
    if (!rc && st->npages != h->pages) {
        snprintf(why, n, "manifest holds %zu pages, metadata says %llu", st->npages,
                 (unsigned long long)h->pages);
        rc = -EBADMSG;
    }
    if (!rc)
        rc = state_finish_pages(st);
    if (rc)
        state_free(st);
    return rc;
}

/* Opens snapshots/<name>/ and reads its metadata. */
int snap_load(struct store *s, const char *name, struct snap_meta *m,
              struct snap_state *st)
{
    char why[256];
    int dfd, rc;

    if (!store_name_valid(name))
        return store_err(s, -EINVAL, "invalid snapshot name '%s'", name ? name : "");
    dfd = openat(s->snapsfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return store_err(s, errno == ENOENT ? -ENOENT : -errno,
                         "snapshot '%s': %s", name,
                         errno == ENOENT ? "not found" : strerror(errno));
    rc = meta_read(dfd, "meta", m, why, sizeof(why));
    if (!rc && strcmp(m->info.name, name)) {
        snprintf(why, sizeof(why), "metadata names it '%s'", m->info.name);
        rc = -EBADMSG;
    }
    if (!rc && st)
        rc = manifest_load(dfd, &m->h, st, why, sizeof(why));
    close(dfd);
    if (rc)
        return store_err(s, rc, "snapshot '%s': %s", name, why);
    if (!m->info.image_size)
        m->info.image_size = m->info.max_pfn * STORE_PAGE_SIZE;
    return 0;
}

int store_snap_open(struct store *s, const char *name, struct store_snap **out)
{
    struct store_snap *snap;
    int rc;

    *out = NULL;
    snap = calloc(1, sizeof(*snap));
    if (!snap)
        return -ENOMEM;
    snap->s = s;
    rc = snap_load(s, name, &snap->meta, &snap->st);
    /* Packs written since the store was opened may hold its pages. */
    if (!rc)
        rc = store_refresh(s);
    if (rc) {
        free(snap);
        return rc;
    }
    *out = snap;
    return 0;
}

void store_snap_close(struct store_snap *snap)
{
    if (!snap)
        return;
    snap_reader_free(snap);
    state_free(&snap->st);
    free(snap);
}

void store_snap_get_info(const struct store_snap *snap, struct store_snap_info *info)
{
    *info = snap->meta.info;
}

int store_page_type(const struct store_snap *snap, uint64_t pfn, uint32_t *type)
{
    size_t i = state_find_page(&snap->st, pfn);

    if (i >= snap->st.npages || snap->st.pages[i].pfn != pfn)
        return -ENOENT;
    *type = snap->st.pages[i].type;
    return 0;
}

/* Reads one referenced page; a failure names the snapshot and pfn and
 * leaves zeros behind, never unverified bytes. */
int snap_read_one(struct store_snap *snap, const struct snap_page *pg, uint8_t *dst)
{
    struct store *s = snap->s;
    const struct store_loc *loc;
    char hex[65], inner[sizeof(s->err)];
    int rc;

    if (pg->flags & (SNAP_PAGE_ZERO | SNAP_PAGE_NODATA)) {
        memset(dst, 0, STORE_PAGE_SIZE);
        return 0;
    }
    loc = table_find(&s->table, pg->hash);
    if (!loc) {
        memset(dst, 0, STORE_PAGE_SIZE);
        store_hash_hex(pg->hash, hex);
        return store_err(s, -ENOENT, "snapshot '%s' pfn 0x%llx: page %s missing from the store",
                         snap->meta.info.name, (unsigned long long)pg->pfn, hex);
    }
    rc = pack_read_chunk(s, loc, dst);
    if (rc) {
        memset(dst, 0, STORE_PAGE_SIZE);
        memcpy(inner, s->err, sizeof(inner));
        return store_err(s, rc, "snapshot '%s' pfn 0x%llx: %s", snap->meta.info.name,
                         (unsigned long long)pg->pfn, inner);
    }
    return 0;
}
