/* Snapshot state: the stream's non-page records kept verbatim, page references sorted by pfn. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tern/stream.h"
#include "store_internal.h"

void state_free(struct snap_state *st)
{
    size_t i;

    for (i = 0; i < st->nrecs; i++)
        free(st->recs[i].blob);
    free(st->recs);
    free(st->pages);
    free(st->config);
    free(st->p2m_frames);
    memset(st, 0, sizeof(*st));
}

static uint8_t *dup_blob(const void *p, size_t len)
{
    uint8_t *b = malloc(len ? len : 1);

    if (b && len)
        memcpy(b, p, len);
    return b;
}

/* Records that replace an earlier one of the same kind (one state kept). */
static struct snap_rec *find_slot(struct snap_state *st, uint32_t type,
                                  uint32_t a, uint32_t b)
{
    size_t i;

    if (type & TERN_REC_OPTIONAL)
        return NULL; /* optional records are all kept, in order */
    for (i = 0; i < st->nrecs; i++) {
        struct snap_rec *r = &st->recs[i];
        if (r->type != type)
            continue;
        if (type != TERN_REC_VCPU_CONTEXT || (r->a == a && r->b == b))
            return r;
    }
    return NULL;
}

static int keep_rec(struct snap_state *st, uint32_t type, uint32_t a,
                    uint32_t b, uint64_t d, const void *blob, size_t len)
{
    struct snap_rec *r = find_slot(st, type, a, b);
    uint8_t *copy;

    if (len > TERN_STREAM_REC_MAX)
        return -E2BIG;
    copy = dup_blob(blob, len);
    if (!copy)
        return -ENOMEM;
    if (!r) {
        if (st->nrecs == st->cap_recs) {
            size_t ncap = st->cap_recs ? st->cap_recs * 2 : 16;
            struct snap_rec *nr = realloc(st->recs, ncap * sizeof(*nr));
            if (!nr) {
                free(copy);
                return -ENOMEM;
            }
            st->recs = nr;
            st->cap_recs = ncap;
        }
        r = &st->recs[st->nrecs++];
        r->blob = NULL;
    }
    free(r->blob);
    r->type = type;
    r->a = a;
    r->b = b;
    r->d = d;
    r->blob = copy;
    r->len = (uint32_t)len;
    return 0;
}

static int take_domain(struct snap_state *st, const struct tern_record *rec)
{
    const struct tern_domain_info *d = &rec->u.domain;

    st->domain_type = d->domain_type;
    st->vcpu_count = d->vcpu_count;
    st->memory_kib = d->memory_kib;
    st->config_len = d->config ? d->config_len : 0;
    st->config = (char *)dup_blob(d->config, st->config_len);
    if (!st->config)
        return -ENOMEM;
    st->have_domain = 1;
    return 0;
}

static int take_p2m(struct snap_state *st, const struct tern_record *rec)
{
    st->p2m_size = rec->u.p2m.p2m_size;
    st->nr_frames = rec->u.p2m.nr_frames;
    st->p2m_frames = (uint64_t *)dup_blob(rec->u.p2m.frame_pfns,
                                          (size_t)st->nr_frames * 8);
    if (!st->p2m_frames)
        return -ENOMEM;
    st->have_p2m = 1;
    return 0;
}

int state_take_record(struct snap_state *st, const struct tern_record *rec)
{
    switch (rec->type) {
    case TERN_REC_DOMAIN_HEADER:
        return st->have_domain ? -EPROTO : take_domain(st, rec);
    case TERN_REC_P2M_LAYOUT:
        return st->have_p2m ? -EPROTO : take_p2m(st, rec);
    case TERN_REC_VCPU_CONTEXT:
        return keep_rec(st, rec->type, rec->u.vcpu.vcpu_id, rec->u.vcpu.kind, 0,
                        rec->u.vcpu.blob, rec->u.vcpu.len);
    case TERN_REC_SHARED_INFO:
        return keep_rec(st, rec->type, 0, 0, 0, rec->u.shared_info.page,
                        TERN_STREAM_PAGE_SIZE);
    case TERN_REC_EVTCHN_STATE:
        return keep_rec(st, rec->type, rec->u.evtchn.count, 0, 0,
                        rec->u.evtchn.entries,
                        (size_t)rec->u.evtchn.count * sizeof(struct tern_evtchn_entry));
    case TERN_REC_GRANT_STATE:
        return keep_rec(st, rec->type, rec->u.grant.gnttab_version,
                        rec->u.grant.nr_frames, rec->u.grant.count,
                        rec->u.grant.entries,
                        (size_t)rec->u.grant.count * sizeof(struct tern_grant_entry));
    case TERN_REC_CHECKPOINT:
    case TERN_REC_END:
        return 0; /* a snapshot is one state: the last one */
    default:
        if (rec->type & TERN_REC_OPTIONAL)
            return keep_rec(st, rec->type, 0, 0, 0, rec->u.raw.body, rec->u.raw.len);
        return -EPROTONOSUPPORT;
    }
}

int state_add_page(struct snap_state *st, const struct snap_page *pg)
{
    if (st->npages == st->cap_pages) {
        size_t ncap = st->cap_pages ? st->cap_pages * 2 : 4096;
        struct snap_page *np = realloc(st->pages, ncap * sizeof(*np));
        if (!np)
            return -ENOMEM;
        st->pages = np;
        st->cap_pages = ncap;
    }
    st->pages[st->npages++] = *pg;
    return 0;
}

/* pad[] carries the arrival order while sorting so the last copy wins. */
static int cmp_page(const void *a, const void *b)
{
    const struct snap_page *x = a, *y = b;
    uint64_t sx, sy;

    if (x->pfn != y->pfn)
        return x->pfn < y->pfn ? -1 : 1;
    sx = sy = 0;
    memcpy(&sx, x->pad, 6);
    memcpy(&sy, y->pad, 6);
    return sx < sy ? -1 : sx > sy;
}

int state_finish_pages(struct snap_state *st)
{
    size_t i, j;
    int sorted = 1;

    for (i = 1; i < st->npages && sorted; i++)
        sorted = st->pages[i - 1].pfn < st->pages[i].pfn;
    if (sorted)
        return 0;
    for (i = 0; i < st->npages; i++) {
        uint64_t seq = i;
        memcpy(st->pages[i].pad, &seq, 6);
    }
    qsort(st->pages, st->npages, sizeof(*st->pages), cmp_page);
    for (i = 0, j = 0; i < st->npages; i++) {
        if (i + 1 < st->npages && st->pages[i + 1].pfn == st->pages[i].pfn)
            continue;
        st->pages[j] = st->pages[i];
        memset(st->pages[j].pad, 0, sizeof(st->pages[j].pad));
        j++;
    }
    st->npages = j;
    return 0;
}

void state_default_domain(struct snap_state *st, uint64_t image_size)
{
    uint64_t pages = (image_size + STORE_PAGE_SIZE - 1) / STORE_PAGE_SIZE;

    if (st->npages && st->pages[st->npages - 1].pfn + 1 > pages)
        pages = st->pages[st->npages - 1].pfn + 1;
    if (!pages)
        pages = 1;
    st->have_domain = st->have_p2m = 1;
    st->domain_type = TERN_DOMAIN_X86_64_PV;
    st->vcpu_count = 1;
    st->memory_kib = pages * (STORE_PAGE_SIZE / 1024);
    st->p2m_size = pages;
}

size_t state_find_page(const struct snap_state *st, uint64_t pfn)
{
    size_t lo = 0, hi = st->npages;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (st->pages[mid].pfn < pfn)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int emit_rec(struct tern_writer *w, const struct snap_rec *r)
{
    switch (r->type) {
    case TERN_REC_VCPU_CONTEXT:
        return tern_writer_vcpu(w, r->a, r->b, r->blob, r->len);
    case TERN_REC_SHARED_INFO:
        return tern_writer_shared_info(w, r->blob);
    case TERN_REC_EVTCHN_STATE:
        return tern_writer_evtchn(w, (const struct tern_evtchn_entry *)r->blob, r->a);
    case TERN_REC_GRANT_STATE:
        return tern_writer_grant(w, r->a, r->b,
                                 (const struct tern_grant_entry *)r->blob,
                                 (uint32_t)r->d);
    default:
        return tern_writer_record(w, r->type, r->blob, r->len);
    }
}

int state_emit(const struct snap_state *st, struct tern_writer *w,
               state_pages_fn pages_cb, void *arg)
{
    struct tern_domain_info d;
    size_t i;
    int rc, pass;

    memset(&d, 0, sizeof(d));
    d.domain_type = st->domain_type;
    d.memory_kib = st->memory_kib;
    d.vcpu_count = st->vcpu_count;
    d.config = st->config_len ? st->config : NULL;
    d.config_len = st->config_len;
    rc = tern_writer_domain_header(w, &d);
    if (!rc)
        rc = tern_writer_p2m_layout(w, st->p2m_size, st->p2m_frames, st->nr_frames);
    /* Optional records first, then pages, then the vCPU and device state. */
    for (pass = 0; pass < 2 && !rc; pass++) {
        for (i = 0; i < st->nrecs && !rc; i++)
            if (!!(st->recs[i].type & TERN_REC_OPTIONAL) == !pass)
                rc = emit_rec(w, &st->recs[i]);
        if (!pass && !rc)
            rc = pages_cb(arg, w);
    }
    if (!rc)
        rc = tern_writer_finish(w);
    return rc;
}
