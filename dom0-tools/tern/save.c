/*
 * Save: a suspended PV domain into the stream format, the way Xen's saver does it. Memory
 * is read through the guest's own p2m (shared_info's frame tree); page tables are written
 * with guest frame numbers in place of machine frames (the hypervisor's L4 slots cleared),
 * as are the vCPUs' base pointers and GDT frames and vCPU 0's %rdx (the start_info frame
 * of the PV suspend record), so that a restore can place the guest anywhere.
 */
#include "save.h"
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../lib/call/call.h"
#include "../lib/ctrl/ctrl.h"
#include "../lib/foreign/foreign.h"
#include "../lib/frames/frames.h"
#include "../lib/p2m/p2m.h"
#include <tern/stream.h>

#define BATCH 1024
#define PAGE 4096u
#define PTE_ADDR 0x000ffffffffff000ull
#define XEN_SLOT_FIRST 256
#define XEN_SLOTS 16

struct saved_vcpu {
    vcpu_guest_context_t ctx; /* its frames as pfns already */
    struct xen_domctl_ext_vcpucontext ext;
    bool online;
};

struct saver {
    struct ctrl *c;
    uint16_t domid;
    struct tern_writer *w;
    struct p2m p2m;
    uint64_t max_mfn;
    uint64_t *m2p;          /* the guest's frames: mfn -> pfn, P2M_INVALID for others */
    uint64_t *scratch;      /* page tables being translated, a batch of them */
    uint8_t *buf;           /* a batch of frames as the hypervisor copies them */
    uint8_t *deferred;      /* pfns a live round could not send: the final one does */
    bool live;              /* the guest runs: a table may change while it is read */
    /* a stop's capture, written once the guest runs again (save_capture, save_flush) */
    uint8_t *stage;         /* frames, present pages only, in order */
    uint64_t *stage_pfn;
    uint8_t *stage_type;
    uint64_t stage_cap, stage_n, stage_used; /* room, entries, frames */
    unsigned int stage_takes; /* captures in the room: more than one may hold a pfn twice */
    struct saved_vcpu *vcpus; /* info.max_vcpu_id + 1 of them */
    uint8_t *shinfo;
    xen_domctl_getdomaininfo_t info;
    struct save_stats st;
    void (*progress)(void *arg, uint64_t done, uint64_t total);
    void *progress_arg;
    char *why;
    size_t len;
};

static int fail(struct saver *s, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct saver *s, int rc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(s->why, s->len, fmt, ap);
    va_end(ap);
    return rc;
}

static uint64_t pfn_of(const struct saver *s, uint64_t mfn)
{
    return mfn <= s->max_mfn ? s->m2p[mfn] : P2M_INVALID;
}

static size_t m2p_pages(const struct saver *s)
{
    return ((s->max_mfn + 1) * sizeof(uint64_t) + PAGE - 1) / PAGE;
}

static int build_m2p(struct saver *s)
{
    struct xen_sysctl_physinfo pi;
    int rc = ctrl_physinfo(s->c, &pi);

    if (rc)
        return fail(s, rc, "cannot read the host's memory size: %s", strerror(-rc));
    s->max_mfn = pi.max_mfn;
    /* populated up front: a fault per page of it cost more than the saving itself */
    if (!(s->m2p = frames_buf_alloc(m2p_pages(s))))
        return fail(s, -ENOMEM, "no memory for the frame map");
    memset(s->m2p, 0xff, (s->max_mfn + 1) * sizeof(uint64_t));
    for (uint64_t pfn = 0; pfn < s->p2m.nr; pfn++) {
        uint64_t mfn = s->p2m.mfn[pfn];
        if (mfn == P2M_INVALID)
            continue;
        if (mfn > s->max_mfn || s->m2p[mfn] != P2M_INVALID)
            return fail(s, -EPROTO, "the guest's p2m names frame %#llx %s", (unsigned long long)mfn,
                        mfn > s->max_mfn ? "beyond the host's memory" : "twice");
        s->m2p[mfn] = pfn;
    }
    return 0;
}

/* The stream's page type of a frame from its getpageframeinfo3 entry (type in the top bits). */
static int stream_type(struct saver *s, uint64_t entry, uint64_t mfn, uint8_t *type)
{
    uint64_t t = entry & XEN_DOMCTL_PFINFO_LTAB_MASK;

    if (t == XEN_DOMCTL_PFINFO_XTAB)
        return fail(s, -EPROTO, "frame %#llx of the guest's p2m is not its own", (unsigned long long)mfn);
    *type = (uint8_t)((t & XEN_DOMCTL_PFINFO_LTABTYPE_MASK) >> XEN_DOMCTL_PFINFO_LTAB_SHIFT);
    if (*type > TERN_PAGE_L4)
        *type = TERN_PAGE_NORMAL;
    if (*type && (t & XEN_DOMCTL_PFINFO_LPINTAB))
        *type |= TERN_PAGE_PINNED;
    return 0;
}

/* The n frames mfns copied by the hypervisor into dst, and their stream types. */
static int read_frames(struct saver *s, const uint64_t *mfns, size_t n, uint8_t *types, uint8_t *dst)
{
    uint64_t e[BATCH];
    int rc;

    memcpy(e, mfns, n * sizeof(*e));
    if ((rc = frames_copy(s->c, s->domid, e, n, dst, false)))
        return fail(s, rc, "cannot copy the guest's frames: %s", strerror(-rc));
    for (size_t i = 0; i < n; i++)
        if ((rc = stream_type(s, e[i], mfns[i], &types[i])))
            return rc;
    return 0;
}

/* A page table's copy with guest frame numbers in its entries. */
static int normalise(struct saver *s, uint64_t pfn, unsigned int level, const void *src, uint64_t *dst)
{
    memcpy(dst, src, PAGE);
    for (unsigned int i = 0; i < PAGE / 8; i++) {
        uint64_t e = dst[i], to;
        if (level == 4 && i >= XEN_SLOT_FIRST && i < XEN_SLOT_FIRST + XEN_SLOTS) {
            dst[i] = 0; /* the hypervisor's own: the restoring one puts its own there */
            continue;
        }
        if (!(e & 1))
            continue;
        if ((to = pfn_of(s, (e & PTE_ADDR) >> 12)) == P2M_INVALID)
            return fail(s, -EPROTO, "the L%u table at pfn %#llx maps frame %#llx, which is not the "
                        "guest's (a grant or foreign mapping cannot be saved)", level,
                        (unsigned long long)pfn, (unsigned long long)((e & PTE_ADDR) >> 12));
        dst[i] = (e & ~PTE_ADDR) | (to << 12);
    }
    return 0;
}

/* The n pages pfns as they are now: the frames of those the guest has copied into dst in
 * order, every type in types. */
static int fetch_batch(struct saver *s, const uint64_t *pfns, size_t n, uint8_t *types, uint8_t *dst,
                       size_t *present)
{
    uint64_t mfns[BATCH];
    uint8_t mtypes[BATCH];
    size_t nm = 0, idx[BATCH];
    int rc;

    if (!n || n > BATCH)
        return fail(s, -EINVAL, "a batch of %zu pages", n);
    for (size_t i = 0; i < n; i++) {
        types[i] = TERN_PAGE_ABSENT;
        if (s->p2m.mfn[pfns[i]] != P2M_INVALID) {
            idx[nm] = i;
            mfns[nm++] = s->p2m.mfn[pfns[i]];
        }
    }
    if (nm && (rc = read_frames(s, mfns, nm, mtypes, dst)))
        return rc;
    for (size_t j = 0; j < nm; j++)
        types[idx[j]] = mtypes[j];
    *present = nm;
    return 0;
}

/* A fetched batch into the stream, page tables with pfns in their entries. */
static int emit_batch(struct saver *s, const uint64_t *pfns, const uint8_t *fetched, size_t n, uint8_t *pages)
{
    struct tern_writer *w = s->w;
    uint64_t *scratch = s->scratch;
    uint8_t types[BATCH];
    const void *data[BATCH];
    int rc = 0;

    for (size_t i = 0, j = 0; i < n && !rc; i++) {
        unsigned int level = fetched[i] & 7;
        types[i] = fetched[i];
        data[i] = NULL;
        if (types[i] == TERN_PAGE_ABSENT)
            continue;
        data[i] = pages + j * PAGE;
        s->st.pages++;
        if (level) {
            rc = normalise(s, pfns[i], level, pages + j * PAGE, scratch + j * (PAGE / 8));
            data[i] = scratch + j * (PAGE / 8);
            s->st.page_tables++;
            if (rc && s->live) {
                /* changing under us: sent once the guest is stopped */
                s->deferred[pfns[i] / 8] |= (uint8_t)(1u << (pfns[i] % 8));
                types[i] = TERN_PAGE_NORMAL;
                data[i] = NULL;
                s->why[0] = 0;
                rc = 0;
            }
        }
        j++;
    }
    if (!rc && (rc = tern_writer_pages(w, pfns, types, data, n)))
        fail(s, rc, "writing pages: %s", tern_writer_error(w)->msg);
    return rc;
}

static int save_batch(struct saver *s, const uint64_t *want, size_t n)
{
    uint8_t types[BATCH];
    size_t present;
    int rc = fetch_batch(s, want, n, types, s->buf, &present);

    return rc ? rc : emit_batch(s, want, types, n, s->buf);
}

static uint64_t cr3_pfn(const struct saver *s, uint64_t cr3)
{
    uint64_t pfn = pfn_of(s, cr3 >> 12);
    return pfn == P2M_INVALID ? P2M_INVALID : pfn << 12;
}

/* Every vCPU's context (its frames as pfns) and shared_info, into memory. */
static int read_rest(struct saver *s)
{
    vcpu_guest_context_t *ctx = call_buf_alloc(s->c->call, sizeof(*ctx));
    unsigned int nr = s->info.max_vcpu_id + 1;
    uint64_t sif = s->info.shared_info_frame;
    void *si;
    int rc = 0;

    if (!s->vcpus)
        s->vcpus = calloc(nr, sizeof(*s->vcpus));
    if (!s->shinfo)
        s->shinfo = malloc(PAGE);
    if (!ctx || !s->vcpus || !s->shinfo) {
        call_buf_free(s->c->call, ctx, sizeof(*ctx));
        return fail(s, -ENOMEM, "no memory for the vCPU contexts");
    }
    for (unsigned int id = 0; id < nr && !rc; id++) {
        struct saved_vcpu *sv = &s->vcpus[id];
        struct xen_domctl op = { .cmd = XEN_DOMCTL_getvcpucontext, .domain = s->domid };
        op.u.vcpucontext.vcpu = id;
        op.u.vcpucontext.ctxt = ctx;
        if ((rc = ctrl_domctl(s->c, &op))) {
            fail(s, rc, "cannot read vCPU %u: %s", id, strerror(-rc));
            break;
        }
        if (!(sv->online = ctx->flags & VGCF_online))
            continue; /* not sent: it stays down */
        ctx->ctrlreg[3] = cr3_pfn(s, ctx->ctrlreg[3]);
        if (ctx->ctrlreg[1])
            ctx->ctrlreg[1] = cr3_pfn(s, ctx->ctrlreg[1]);
        bool bad = ctx->ctrlreg[3] == P2M_INVALID || ctx->ctrlreg[1] == P2M_INVALID;
        for (unsigned int f = 0; f < (ctx->gdt_ents + 511) / 512 && f < 16; f++)
            bad |= (ctx->gdt_frames[f] = pfn_of(s, ctx->gdt_frames[f])) == P2M_INVALID;
        /* the suspend record: vCPU 0's %rdx names start_info */
        if (id == 0)
            bad |= (ctx->user_regs.rdx = pfn_of(s, ctx->user_regs.rdx)) == P2M_INVALID;
        if (bad) {
            rc = fail(s, -EPROTO, "vCPU %u names a frame that is not the guest's (page tables, GDT "
                      "or start_info)", id);
            break;
        }
        sv->ctx = *ctx;
        /* the callbacks the context leaves out: Linux registers them once, at boot */
        struct xen_domctl ext = { .cmd = XEN_DOMCTL_get_ext_vcpucontext, .domain = s->domid };
        ext.u.ext_vcpucontext.vcpu = id;
        if ((rc = ctrl_domctl(s->c, &ext)))
            fail(s, rc, "cannot read vCPU %u's extended context: %s", id, strerror(-rc));
        sv->ext = ext.u.ext_vcpucontext;
    }
    call_buf_free(s->c->call, ctx, sizeof(*ctx));
    if (rc)
        return rc;
    if (!(si = foreign_map(s->c->call, s->domid, PROT_READ, &sif, 1, NULL)))
        return fail(s, -errno, "cannot map shared_info: %s", strerror(errno));
    memcpy(s->shinfo, si, PAGE);
    foreign_unmap(si, 1);
    return 0;
}

/* What read_rest took, into the stream. */
static int write_rest(struct saver *s)
{
    struct tern_writer *w = s->w;
    int rc = 0;

    for (unsigned int id = 0; id <= s->info.max_vcpu_id && !rc; id++) {
        struct saved_vcpu *sv = &s->vcpus[id];
        if (!sv->online)
            continue;
        if ((rc = tern_writer_vcpu(w, id, TERN_VCPU_BASIC, &sv->ctx, sizeof(sv->ctx))) ||
            (rc = tern_writer_vcpu(w, id, TERN_VCPU_EXTENDED, &sv->ext, sizeof(sv->ext))))
            return fail(s, rc, "writing vCPU %u: %s", id, tern_writer_error(w)->msg);
        s->st.vcpus++;
    }
    if ((rc = tern_writer_shared_info(w, s->shinfo)))
        fail(s, rc, "writing shared_info: %s", tern_writer_error(w)->msg);
    return rc;
}

int save_begin(struct ctrl *c, uint16_t domid, const char *config, size_t config_len,
               struct tern_writer *w, struct saver **out, char *why, size_t len)
{
    struct saver *s = calloc(1, sizeof(*s));
    uint64_t *frames = NULL;
    int rc;

    why[0] = 0;
    *out = s;
    if (!s) {
        snprintf(why, len, "no memory for the save");
        return -ENOMEM;
    }
    s->c = c;
    s->domid = domid;
    s->w = w;
    s->why = why;
    s->len = len;
    if ((rc = ctrl_domain_info(c, domid, &s->info)))
        return fail(s, rc, "no domain %u", domid);
    if ((rc = p2m_read(c, domid, &s->p2m)))
        return fail(s, rc, "cannot read the guest's p2m (%s)", rc == -ENOENT ? "it published none"
                                                                : strerror(-rc));
    if ((rc = build_m2p(s)))
        return rc;
    if (!(s->buf = frames_buf_alloc(BATCH)) || !(s->scratch = malloc((size_t)BATCH * PAGE)) || !(s->deferred = calloc(1, s->p2m.nr / 8 + 1)) ||
        !(frames = malloc((s->p2m.nr_leaves + 1) * sizeof(*frames))))
        return fail(s, -ENOMEM, "no memory for the save");
    struct tern_domain_info d = { TERN_DOMAIN_X86_64_PV, s->info.max_pages * 4, s->info.max_vcpu_id + 1,
                                  config, (uint32_t)config_len };
    if ((rc = tern_writer_domain_header(w, &d))) {
        fail(s, rc, "writing the header: %s", tern_writer_error(w)->msg);
        goto out;
    }
    for (uint64_t i = 0; i < s->p2m.nr_leaves; i++)
        if ((frames[i] = pfn_of(s, s->p2m.leaf_mfn[i])) == P2M_INVALID) {
            rc = fail(s, -EPROTO, "a frame of the guest's p2m is not its own");
            goto out;
        }
    if ((rc = tern_writer_p2m_layout(w, s->p2m.nr, frames, (uint32_t)s->p2m.nr_leaves)))
        fail(s, rc, "writing the p2m layout: %s", tern_writer_error(w)->msg);
out:
    free(frames);
    return rc;
}

void save_set_progress(struct saver *s, void (*fn)(void *arg, uint64_t done, uint64_t total), void *arg)
{
    s->progress = fn;
    s->progress_arg = arg;
}

uint64_t save_nr_pfns(const struct saver *s)
{
    return s->p2m.nr;
}

/* The pfns to send (all, or those whose bit is set, and once the guest is stopped those a
 * live round deferred), a batch at a time to fn. */
static int each_batch(struct saver *s, const uint8_t *bitmap, bool live,
                      int (*fn)(struct saver *s, const uint64_t *want, size_t n))
{
    uint64_t want[BATCH];
    size_t n = 0;
    int rc = 0;

    s->live = live;
    for (uint64_t pfn = 0; pfn < s->p2m.nr && !rc; pfn++) {
        bool send = !bitmap || (bitmap[pfn / 8] >> (pfn % 8)) & 1 ||
                    (!live && (s->deferred[pfn / 8] >> (pfn % 8)) & 1);
        if (!send)
            continue;
        if (!live)
            s->deferred[pfn / 8] &= (uint8_t) ~(1u << (pfn % 8));
        want[n++] = pfn;
        if (n == BATCH) {
            rc = fn(s, want, n);
            n = 0;
            if (s->progress)
                s->progress(s->progress_arg, pfn + 1, s->p2m.nr);
        }
    }
    if (!rc && n)
        rc = fn(s, want, n);
    return rc;
}

int save_pages(struct saver *s, const uint8_t *bitmap, bool live)
{
    return each_batch(s, bitmap, live, save_batch);
}

int save_end(struct saver *s)
{
    int rc = read_rest(s);

    return rc ? rc : write_rest(s);
}

int save_stage_reserve(struct saver *s, uint64_t pages)
{
    if (pages > s->p2m.nr)
        pages = s->p2m.nr;
    if (!pages || s->stage)
        return 0;
    s->stage_pfn = malloc(pages * sizeof(*s->stage_pfn));
    s->stage_type = malloc(pages);
    if (!s->stage_pfn || !s->stage_type || !(s->stage = frames_buf_alloc(pages)))
        return fail(s, -ENOMEM, "no memory to hold %llu pages", (unsigned long long)pages);
    s->stage_cap = pages;
    return 0;
}

static int keep_last_copies(struct saver *s);

/* What the room holds into the stream, each page's last copy only, and the room emptied. */
static int flush_stage(struct saver *s)
{
    uint64_t used = 0;
    int rc = keep_last_copies(s);

    for (uint64_t i = 0; i < s->stage_n && !rc; i += BATCH) {
        size_t n = s->stage_n - i < BATCH ? (size_t)(s->stage_n - i) : BATCH;
        rc = emit_batch(s, s->stage_pfn + i, s->stage_type + i, n, s->stage + used * PAGE);
        for (size_t k = 0; k < n; k++)
            used += s->stage_type[i + k] != TERN_PAGE_ABSENT;
    }
    s->stage_n = s->stage_used = 0;
    s->stage_takes = 1; /* a capture that filled the room goes on in it */
    return rc;
}

/* A stop's batch into the room reserved. When that is full, what it holds goes out first
 * (an earlier copy of a page must not come after this one), then this batch straight into
 * the stream if it cannot fit even the empty room. */
static int capture_batch(struct saver *s, const uint64_t *want, size_t n)
{
    size_t present;
    int rc;

    if (s->stage_n + n > s->stage_cap && (rc = flush_stage(s)))
        return rc;
    if (n > s->stage_cap)
        return save_batch(s, want, n);
    rc = fetch_batch(s, want, n, s->stage_type + s->stage_n, s->stage + s->stage_used * PAGE, &present);
    if (!rc) {
        memcpy(s->stage_pfn + s->stage_n, want, n * sizeof(*want));
        s->stage_n += n;
        s->stage_used += present;
    }
    return rc;
}

int save_capture(struct saver *s, const uint8_t *bitmap)
{
    int rc;

    s->stage_takes++;
    rc = each_batch(s, bitmap, false, capture_batch);

    return rc ? rc : read_rest(s);
}

uint64_t save_stage_room(const struct saver *s)
{
    return s->stage_cap - s->stage_n;
}

int save_capture_live(struct saver *s, const uint8_t *bitmap)
{
    s->stage_takes++;
    return each_batch(s, bitmap, true, capture_batch);
}

/* Only the last copy of each page goes out: the rounds of a suspend handshake copied pages
 * the stop may have copied again (a batch may not hold a pfn twice, and the store would
 * keep every version). The room is compacted in place, after the stop. */
static int keep_last_copies(struct saver *s)
{
    uint8_t *seen, *drop;
    uint64_t w = 0, wused = 0, rused = 0;

    if (s->stage_takes < 2)
        return 0;
    seen = calloc(s->p2m.nr / 8 + 1, 1);
    drop = calloc(s->stage_n + 1, 1);
    if (!seen || !drop) {
        free(seen);
        free(drop);
        return fail(s, -ENOMEM, "no memory to sort the stop's pages");
    }
    for (uint64_t i = s->stage_n; i-- > 0;) {
        uint64_t pfn = s->stage_pfn[i];
        drop[i] = seen[pfn / 8] >> (pfn % 8) & 1;
        seen[pfn / 8] |= (uint8_t)(1u << (pfn % 8));
    }
    for (uint64_t i = 0; i < s->stage_n; i++) {
        bool present = s->stage_type[i] != TERN_PAGE_ABSENT;
        if (!drop[i]) {
            if (present && wused != rused)
                memcpy(s->stage + wused * PAGE, s->stage + rused * PAGE, PAGE);
            s->stage_pfn[w] = s->stage_pfn[i];
            s->stage_type[w++] = s->stage_type[i];
            wused += present;
        }
        rused += present;
    }
    s->stage_n = w;
    s->stage_used = wused;
    s->stage_takes = 1;
    free(seen);
    free(drop);
    return 0;
}

int save_flush(struct saver *s)
{
    int rc = flush_stage(s);

    return rc ? rc : write_rest(s);
}

void save_free(struct saver *s, struct save_stats *st)
{
    if (!s)
        return;
    if (st)
        *st = s->st;
    frames_buf_free(s->buf, BATCH);
    if (s->stage)
        frames_buf_free(s->stage, s->stage_cap);
    free(s->stage_pfn);
    free(s->stage_type);
    free(s->vcpus);
    free(s->shinfo);
    free(s->scratch);
    free(s->deferred);
    frames_buf_free(s->m2p, m2p_pages(s));
    p2m_free(&s->p2m);
    free(s);
}

int save_domain(struct ctrl *c, uint16_t domid, const char *config, size_t config_len,
                struct tern_writer *w, struct save_stats *st, void *progress, char *why, size_t len)
{
    struct saver *s;
    int rc = save_begin(c, domid, config, config_len, w, &s, why, len);

    if (!rc && progress)
        save_set_progress(s, progress_cb, progress);
    if (!rc)
        rc = save_pages(s, NULL, false);
    if (!rc)
        rc = save_end(s);
    save_free(s, st);
    return rc;
}
