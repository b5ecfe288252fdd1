/* Save streams in and out of the store: import a stream as a snapshot, export a snapshot as a stream. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tern/stream.h"
#include "tern/transport.h"
#include "store_internal.h"

#define EXPORT_BATCH 1024u

/* A PAGE_REFS record can be imported when the store holds every page. */
static int import_refs(struct store_put *p, const struct tern_record *rec)
{
    struct snap_page pg;
    uint32_t i;
    int rc;

    for (i = 0; i < rec->u.refs.count; i++) {
        snap_page_from_ref(rec, i, &pg);
        if (pg.flags == SNAP_PAGE_ZERO) {
            p->stats.zero_pages++;
        } else if (pg.flags != SNAP_PAGE_NODATA) {
            if (!table_find(&p->s->table, pg.hash) && !table_find(&p->mine, pg.hash)) {
                char hex[65];
                store_hash_hex(pg.hash, hex);
                return store_err(p->s, -ENOENT, "stream references page %s, not in the store",
                                 hex);
            }
            p->stats.dup_pages++;
        }
        rc = state_add_page(&p->st, &pg);
        if (rc)
            return rc;
        p->stats.pages++;
    }
    return 0;
}

static int import_record(struct store_put *p, const struct tern_record *rec)
{
    uint32_t i, n;
    int rc;

    switch (rec->type) {
    case TERN_REC_PAGE_BATCH:
        /* The record's pages stay valid until the next record is read. */
        for (i = 0, rc = 0; i < rec->u.pages.count && !rc; i += n) {
            n = rec->u.pages.count - i < PUT_BATCH ? rec->u.pages.count - i : PUT_BATCH;
            rc = put_batch(p, rec->u.pages.pfns + i, rec->u.pages.types + i,
                           (const void *const *)rec->u.pages.data + i, n);
        }
        return put_release(p, rc);
    case TERN_REC_PAGE_REFS:
        return import_refs(p, rec);
    default:
        return store_put_stream_record(p, rec);
    }
}

static int import_loop(struct store *s, struct tern_reader *r, struct store_put *p,
                       store_progress_fn fn, void *arg)
{
    struct tern_reader_stats rs;
    struct tern_record rec;
    int rc;

    for (;;) {
        rc = tern_reader_next(r, &rec);
        if (rc < 0)
            return store_err(s, rc, "stream: %s", tern_reader_error(r)->msg);
        if (rc > 0)
            return 0;
        if (rec.type == TERN_REC_END)
            return 0;
        rc = import_record(p, &rec);
        if (rc)
            return rc;
        if (fn) {
            tern_reader_get_stats(r, &rs);
            fn(arg, rs.bytes, 0);
        }
    }
}

int store_import_transport(struct store *s, struct tern_transport *t,
                           const struct store_meta *meta, struct store_put_stats *st,
                           store_progress_fn fn, void *arg)
{
    struct store_meta m = *meta;
    struct tern_reader *r = NULL;
    struct store_put *p = NULL;
    int rc;

    m.image_size = 0;
    rc = store_put_begin(s, &m, &p);
    if (rc)
        return rc;
    rc = tern_reader_open(&r, t);
    if (rc)
        store_err(s, rc, "stream: %s", r ? tern_reader_error(r)->msg : strerror(-rc));
    else
        rc = import_loop(s, r, p, fn, arg);
    tern_reader_free(r);
    if (rc) {
        store_put_abort(p);
        return rc;
    }
    if (st)
        store_put_get_stats(p, st);
    return store_put_commit(p);
}

int store_import_stream(struct store *s, int fd, const struct store_meta *meta,
                        struct store_put_stats *st, store_progress_fn fn, void *arg)
{
    struct tern_transport *t = NULL;
    int rc;

    rc = tern_transport_fd(&t, fd, false);
    if (rc)
        return store_err(s, rc, "stream transport: %s", strerror(-rc));
    rc = store_import_transport(s, t, meta, st, fn, arg);
    tern_transport_close(t, NULL);
    return rc;
}

struct export_ctx {
    struct store_snap *snap;
    store_progress_fn fn;
    void *arg;
    uint8_t *buf;
};

static int export_pages(void *varg, struct tern_writer *w)
{
    struct export_ctx *x = varg;
    const struct snap_state *st = &x->snap->st;
    uint64_t pfns[EXPORT_BATCH];
    uint8_t types[EXPORT_BATCH];
    const void *data[EXPORT_BATCH];
    const struct snap_page *pgs[EXPORT_BATCH];
    size_t i = 0, n;
    int rc;

    while (i < st->npages) {
        for (n = 0; n < EXPORT_BATCH && i < st->npages; n++, i++) {
            const struct snap_page *pg = &st->pages[i];
            int none = !!(pg->flags & (SNAP_PAGE_ZERO | SNAP_PAGE_NODATA));
            pfns[n] = pg->pfn;
            types[n] = pg->type;
            pgs[n] = none ? NULL : pg;
            data[n] = none ? NULL : x->buf + n * STORE_PAGE_SIZE;
        }
        rc = snap_read_list(x->snap, pgs, n, x->buf);
        if (rc)
            return rc;
        rc = tern_writer_pages(w, pfns, types, data, n);
        if (rc)
            return rc;
        if (x->fn)
            x->fn(x->arg, i, st->npages);
    }
    return 0;
}

int store_export_stream(struct store_snap *snap, int fd, int level, store_progress_fn fn,
                        void *arg)
{
    struct export_ctx x = { snap, fn, arg, NULL };
    struct tern_writer_params wp = { .level = level };
    struct tern_transport *t = NULL;
    struct tern_writer *w = NULL;
    struct store *s = snap->s;
    char saved[sizeof(s->err)];
    int rc;

    x.buf = malloc((size_t)EXPORT_BATCH * STORE_PAGE_SIZE);
    if (!x.buf)
        return -ENOMEM;
    s->err[0] = 0;
    rc = tern_transport_fd(&t, fd, false);
    if (!rc)
        rc = tern_writer_open(&w, t, &wp);
    if (!rc)
        rc = state_emit(&snap->st, w, export_pages, &x);
    if (rc && !s->err[0]) {
        snprintf(saved, sizeof(saved), "%s",
                 w ? tern_writer_error(w)->msg : strerror(-rc));
        store_err(s, rc, "writing stream: %s", saved);
    }
    tern_writer_free(w);
    if (tern_transport_close(t, NULL) && !rc)
        rc = store_err(s, -EIO, "closing stream output");
    free(x.buf);
    return rc;
}
