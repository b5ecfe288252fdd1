/*
 * Restore: a save stream into a new domain. The stream is read once and checked whole
 * before any domain is created; as each record is found sound its pages go into frames the
 * hypervisor holds for us (a stage, no domain's yet) and its page tables into our memory.
 * Then the domain is made and given the staged frames, the rest of its memory populated,
 * its page tables written with the new machine frames, its p2m, start_info and shared_info
 * brought up to date, its page tables pinned (the hypervisor validates them all there), its
 * vCPUs set, and it is introduced to xenstored with its devices. It is left paused.
 */
#include "save.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/build/build.h"
#include "../lib/call/call.h"
#include "../lib/ctrl/ctrl.h"
#include "../lib/foreign/foreign.h"
#include "../lib/frames/frames.h"
#include "config.h"
#include "guard.h"
#include "state.h"
#include "suspend.h"
#include "vif.h"
#include "xsdom.h"
#include <public/memory.h>
#include <public/event_channel.h>
#include <tern/stream.h>
#include <tern/transport.h>

#define PAGE 4096u
#define PTE_ADDR 0x000ffffffffff000ull
#define NO_PAGE 0xff   /* type[] of a pfn the stream does not have */
#define MAX_VCPUS 8
#define BATCH 512
#define INVALID (~(uint64_t)0)

struct restorer {
    struct ctrl *c;
    char *why;
    size_t len;
    /* from the first pass */
    uint64_t memory_kib, p2m_size, npages;
    uint32_t vcpu_count, nr_leaves;
    char *config;
    uint64_t *leaf_pfns;
    uint8_t *type;                     /* per pfn: the stream's last type, or NO_PAGE */
    vcpu_guest_context_t vcpu[MAX_VCPUS];
    struct xen_domctl_ext_vcpucontext ext[MAX_VCPUS]; /* compat syscall and sysenter callbacks */
    bool have_vcpu[MAX_VCPUS], have_ext[MAX_VCPUS], have_shared;
    uint8_t shared[PAGE];
    uint64_t *mfn;                     /* pfn -> its frame: staged, then the domain's */
    uint32_t stage;                    /* the hypervisor's stage, if staging */
    bool staging;
    uint8_t *tables;                   /* the last copy of each page table, in our memory */
    uint32_t *table_at;                /* per pfn: its slot in tables + 1, or 0 */
    uint32_t ntables, tables_cap;
    uint8_t *buf;                      /* a batch of pages on their way into the frames */
    uint8_t *zero;                     /* a zero page the hypervisor can read */
    /* the new domain */
    uint16_t domid;
    bool created;
};

static int fail(struct restorer *r, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct restorer *r, int rc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->why, r->len, fmt, ap);
    va_end(ap);
    return rc;
}

static int open_stream(struct restorer *r, const char *path, int *fd, struct tern_transport **t,
                       struct tern_reader **rd)
{
    int rc;

    if ((*fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return fail(r, -errno, "cannot open %s: %s", path, strerror(errno));
    if ((rc = tern_transport_fd(t, *fd, true))) {
        close(*fd);
        return fail(r, rc, "cannot read %s: %s", path, strerror(-rc));
    }
    if ((rc = tern_reader_open(rd, *t))) {
        fail(r, rc, "%s is not a save file we can read: %s", path,
             *rd ? tern_reader_error(*rd)->msg : strerror(-rc));
        tern_reader_free(*rd);
        *rd = NULL;
        tern_transport_close(*t, NULL);
        return rc;
    }
    return 0;
}

static void close_stream(struct tern_transport *t, struct tern_reader *rd)
{
    tern_reader_free(rd);
    tern_transport_close(t, NULL);
}

static bool has_data(const struct restorer *r, uint64_t pfn)
{
    return pfn < r->p2m_size && r->type[pfn] != NO_PAGE && r->type[pfn] != TERN_PAGE_ABSENT &&
           r->type[pfn] != TERN_PAGE_BROKEN;
}

/* What must hold before a domain is made from the stream, beyond its own checks. */
static int check_state(struct restorer *r)
{
    const vcpu_guest_context_t *v0 = &r->vcpu[0];

    if (!r->have_vcpu[0] || !r->have_shared)
        return fail(r, -EPROTO, "the stream has no %s", !r->have_vcpu[0] ? "vCPU 0" : "shared_info");
    for (unsigned int id = 0; id < MAX_VCPUS; id++) {
        const vcpu_guest_context_t *v = &r->vcpu[id];
        if (!r->have_vcpu[id])
            continue;
        if (v->ctrlreg[3] >> 12 >= r->p2m_size || (r->type[v->ctrlreg[3] >> 12] & 7) != TERN_PAGE_L4 ||
            (v->ctrlreg[1] && (v->ctrlreg[1] >> 12 >= r->p2m_size || (r->type[v->ctrlreg[1] >> 12] & 7) != TERN_PAGE_L4)))
            return fail(r, -EPROTO, "VCPU_CONTEXT of vCPU %u: its page table base is not an L4 page "
                        "of the stream", id);
        for (unsigned int f = 0; f < (v->gdt_ents + 511) / 512 && f < 16; f++)
            if (!has_data(r, v->gdt_frames[f]))
                return fail(r, -EPROTO, "VCPU_CONTEXT of vCPU %u: GDT frame pfn %#llx is not in the "
                            "stream", id, (unsigned long long)v->gdt_frames[f]);
    }
    if (!has_data(r, v0->user_regs.rdx))
        return fail(r, -EPROTO, "VCPU_CONTEXT of vCPU 0: start_info pfn %#llx is not in the stream",
                    (unsigned long long)v0->user_regs.rdx);
    return 0;
}

/* Every record of the stream at path, in order, to fn until it fails; then the reader's
 * own verdict on the file (a damaged record fails there, naming it). */
static int each_record(struct restorer *r, const char *path,
                       int (*fn)(struct restorer *r, const struct tern_record *rec))
{
    struct tern_transport *t;
    struct tern_reader *rd;
    struct tern_record rec;
    int fd, rc;

    if ((rc = open_stream(r, path, &fd, &t, &rd)))
        return rc;
    while (!(rc = tern_reader_next(rd, &rec)) && rec.type != TERN_REC_END)
        if ((rc = fn(r, &rec)))
            break;
    if (rc < 0 && !r->why[0])
        fail(r, rc, "%s", tern_reader_error(rd)->msg);
    close_stream(t, rd);
    return rc;
}

#define NO_MFN (~0ull)

/* The stage for this restore's pages; without one (an older hypervisor) the restore
 * cannot go on. */
static int stage_open(struct restorer *r)
{
    int rc = frames_stage_create(r->c, r->p2m_size, r->p2m_size, &r->stage);

    if (rc)
        return fail(r, rc, "the hypervisor cannot hold the pages to restore: %s", strerror(-rc));
    r->staging = true;
    return 0;
}

/* n pages at src into staged frames for pfns (r->mfn keeps which). */
static int stage_run(struct restorer *r, const uint64_t *pfns, uint32_t n, const uint8_t *src)
{
    uint64_t mfns[FRAMES_BATCH];
    int rc;

    if (!n)
        return 0;
    for (uint32_t i = 0; i < n; i++)
        mfns[i] = r->mfn[pfns[i]];
    rc = frames_stage_put(r->c, r->stage, pfns, mfns, n, src);
    if (rc == -EFAULT) { /* not resident after all (swapped out): through our own buffer */
        memcpy(r->buf, src, (size_t)n * PAGE);
        rc = frames_stage_put(r->c, r->stage, pfns, mfns, n, r->buf);
    }
    for (uint32_t i = 0; i < n; i++)
        r->mfn[pfns[i]] = mfns[i]; /* frames made before a failure are held too */
    if (rc == -ENOMEM)
        return fail(r, rc, "not enough memory: the hypervisor ran out of free frames while "
                    "taking in the guest's pages (%llu MiB of it is at most %llu MiB)",
                    (unsigned long long)r->p2m_size * 4 / 1024, (unsigned long long)r->memory_kib / 1024);
    return rc ? fail(r, rc, "cannot hand the guest's pages to the hypervisor: %s", strerror(-rc)) : 0;
}

/* A page table's copy, kept in our memory until its frames are known. */
static int keep_table(struct restorer *r, uint64_t pfn, const uint8_t *data)
{
    if (!r->table_at[pfn]) {
        if (r->ntables == r->tables_cap) {
            uint32_t cap = r->tables_cap ? r->tables_cap * 2 : 256;
            uint8_t *t = realloc(r->tables, (size_t)cap * PAGE);
            if (!t)
                return fail(r, -ENOMEM, "no memory for the page tables");
            r->tables = t;
            r->tables_cap = cap;
        }
        r->table_at[pfn] = ++r->ntables;
    }
    memcpy(r->tables + (size_t)(r->table_at[pfn] - 1) * PAGE, data, PAGE);
    return 0;
}

/*
 * A checked PAGE_BATCH: its pages into the stage, in runs that lie one after the other in
 * the record (straight from the reader's buffer, which is resident), its page tables into
 * our memory. A later copy of a page replaces an earlier one, in its frame; a later copy
 * that is zero zeroes a frame staged for it before.
 */
static int stage_batch(struct restorer *r, const struct tern_record *rec)
{
    uint64_t run[FRAMES_BATCH];
    const uint8_t *start = NULL;
    uint32_t nrun = 0;
    int rc = 0;

    for (uint32_t i = 0; i < rec->u.pages.count && !rc; i++) {
        uint64_t pfn = rec->u.pages.pfns[i];
        const uint8_t *data = rec->u.pages.data[i];
        unsigned int level = rec->u.pages.types[i] & 7;
        if (!data) { /* zero: populate's frames come zeroed, a table's entries need nothing */
            r->table_at[pfn] = 0;
            if (r->mfn[pfn] != NO_MFN && tern_page_type_has_data(rec->u.pages.types[i]))
                rc = stage_run(r, &pfn, 1, r->zero);
            continue;
        }
        if (level >= 1 && level <= 4) {
            rc = keep_table(r, pfn, data);
            continue;
        }
        if (nrun && data != start + (size_t)nrun * PAGE) {
            rc = stage_run(r, run, nrun, start);
            nrun = 0;
        }
        if (!nrun)
            start = data;
        run[nrun++] = pfn;
    }
    return rc ?: stage_run(r, run, nrun, start);
}

/* First pass: what the build needs, kept from each record. */
static int keep(struct restorer *r, const struct tern_record *rec)
{
    switch (rec->type) {
    case TERN_REC_DOMAIN_HEADER:
        if (rec->u.domain.domain_type != TERN_DOMAIN_X86_64_PV || !rec->u.domain.vcpu_count ||
            rec->u.domain.vcpu_count > MAX_VCPUS)
            return fail(r, -EPROTO, "DOMAIN_HEADER: a domain of type %u with %u vCPUs cannot be "
                        "restored here", rec->u.domain.domain_type, rec->u.domain.vcpu_count);
        r->memory_kib = rec->u.domain.memory_kib;
        r->vcpu_count = rec->u.domain.vcpu_count;
        if (!(r->config = calloc(1, rec->u.domain.config_len + 1)))
            return fail(r, -ENOMEM, "no memory");
        if (rec->u.domain.config_len)
            memcpy(r->config, rec->u.domain.config, rec->u.domain.config_len);
        return 0;
    case TERN_REC_P2M_LAYOUT:
        r->p2m_size = rec->u.p2m.p2m_size;
        r->nr_leaves = rec->u.p2m.nr_frames;
        if (r->p2m_size > (r->memory_kib / 4) + (1u << 18))
            return fail(r, -EPROTO, "P2M_LAYOUT: %llu pfns for a domain of %llu KiB",
                        (unsigned long long)r->p2m_size, (unsigned long long)r->memory_kib);
        if (r->type)
            return fail(r, -EPROTO, "P2M_LAYOUT twice");
        r->type = malloc(r->p2m_size);
        r->mfn = malloc(r->p2m_size * sizeof(uint64_t));
        r->table_at = calloc(r->p2m_size, sizeof(uint32_t));
        r->leaf_pfns = malloc((r->nr_leaves + 1) * sizeof(uint64_t));
        if (!r->type || !r->mfn || !r->table_at || !r->leaf_pfns)
            return fail(r, -ENOMEM, "no memory");
        memset(r->type, NO_PAGE, r->p2m_size);
        for (uint64_t pfn = 0; pfn < r->p2m_size; pfn++)
            r->mfn[pfn] = NO_MFN;
        memcpy(r->leaf_pfns, rec->u.p2m.frame_pfns, r->nr_leaves * sizeof(uint64_t));
        return stage_open(r);
    case TERN_REC_PAGE_BATCH:
        for (uint32_t i = 0; i < rec->u.pages.count; i++)
            r->type[rec->u.pages.pfns[i]] = rec->u.pages.types[i];
        return stage_batch(r, rec);
    case TERN_REC_VCPU_CONTEXT:
        if (rec->u.vcpu.kind == TERN_VCPU_EXTENDED) {
            if (rec->u.vcpu.len != sizeof(struct xen_domctl_ext_vcpucontext))
                return fail(r, -EPROTO, "VCPU_CONTEXT (extended) at offset %llu: %u bytes, not %zu",
                            (unsigned long long)rec->offset, rec->u.vcpu.len,
                            sizeof(struct xen_domctl_ext_vcpucontext));
            memcpy(&r->ext[rec->u.vcpu.vcpu_id], rec->u.vcpu.blob, rec->u.vcpu.len);
            r->have_ext[rec->u.vcpu.vcpu_id] = true;
            return 0;
        }
        if (rec->u.vcpu.kind != TERN_VCPU_BASIC)
            return 0; /* the other kinds carry nothing this hypervisor keeps */
        if (rec->u.vcpu.len != sizeof(vcpu_guest_context_t))
            return fail(r, -EPROTO, "VCPU_CONTEXT at offset %llu: %u bytes, not %zu",
                        (unsigned long long)rec->offset, rec->u.vcpu.len, sizeof(vcpu_guest_context_t));
        memcpy(&r->vcpu[rec->u.vcpu.vcpu_id], rec->u.vcpu.blob, rec->u.vcpu.len);
        r->have_vcpu[rec->u.vcpu.vcpu_id] = true;
        return 0;
    case TERN_REC_SHARED_INFO:
        memcpy(r->shared, rec->u.shared_info.page, PAGE);
        r->have_shared = true;
        return 0;
    default:
        return 0; /* CHECKPOINT, SENDER_INFO: nothing to keep */
    }
}

/* First pass: every record read and checked, what the build needs kept. */
static int scan(struct restorer *r, const char *path)
{
    int rc;

    if (!(r->buf = frames_buf_alloc(FRAMES_BATCH)) || !(r->zero = frames_buf_alloc(1)))
        return fail(r, -ENOMEM, "no memory");
    if ((rc = each_record(r, path, keep)))
        return rc;
    for (uint64_t pfn = 0; pfn < r->p2m_size; pfn++)
        r->npages += has_data(r, pfn);
    return check_state(r);
}

static long alloc_unbound(struct restorer *r)
{
    evtchn_alloc_unbound_t *op = call_buf_alloc(r->c->call, sizeof(*op));
    long rc;

    if (!op)
        return -ENOMEM;
    op->dom = r->domid;
    op->remote_dom = 0;
    rc = call_hypercall(r->c->call, __HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound,
                        (uint64_t)(uintptr_t)op, 0, 0, 0);
    if (!rc)
        rc = op->port;
    call_buf_free(r->c->call, op, sizeof(*op));
    return rc;
}

static int create(struct restorer *r)
{
    struct xen_domctl op = { .cmd = XEN_DOMCTL_createdomain };
    int rc;

    op.u.createdomain.max_vcpus = r->vcpu_count;
    op.u.createdomain.max_grant_frames = -1;
    op.u.createdomain.max_maptrack_frames = -1;
    if ((rc = ctrl_domctl(r->c, &op)))
        return fail(r, rc, "the hypervisor refused to create the domain: %s", strerror(-rc));
    r->domid = op.domain;
    r->created = true;
    memset(&op, 0, sizeof(op));
    op.cmd = XEN_DOMCTL_max_mem;
    op.domain = r->domid;
    op.u.max_mem.max_memkb = r->memory_kib;
    if ((rc = ctrl_domctl(r->c, &op)))
        return fail(r, rc, "cannot set the memory ceiling: %s", strerror(-rc));
    return 0;
}

#define SUPER_ORDER 9 /* 2 MiB extents */

/* The staged frames of the pages the domain has become its own (a page staged and then
 * absent or broken at the end of the stream stays behind); the stage goes. */
static int adopt(struct restorer *r)
{
    uint64_t mfns[FRAMES_BATCH];
    uint32_t n = 0;
    int rc = 0;

    for (uint64_t pfn = 0; pfn < r->p2m_size && !rc; pfn++) {
        if (r->mfn[pfn] == NO_MFN)
            continue;
        if (!has_data(r, pfn)) {
            r->mfn[pfn] = NO_MFN;
            continue;
        }
        mfns[n++] = r->mfn[pfn];
        if (n == FRAMES_BATCH) {
            rc = frames_stage_adopt(r->c, r->stage, r->domid, mfns, n);
            n = 0;
        }
    }
    if (!rc && n)
        rc = frames_stage_adopt(r->c, r->stage, r->domid, mfns, n);
    frames_stage_drop(r->c, r->stage);
    r->staging = false;
    return rc ? fail(r, rc, "cannot give the staged pages to the new domain: %s", strerror(-rc)) : 0;
}

/* Whether the step pfns from pfn all have a frame to come and none has one yet. */
static bool run_wanted(const struct restorer *r, uint64_t pfn, uint64_t step)
{
    for (uint64_t i = 0; i < step; i++)
        if (!has_data(r, pfn + i) || r->mfn[pfn + i] != NO_MFN)
            return false;
    return true;
}

/*
 * A frame for every pfn the stream has, at that pfn (the hypervisor's M2P says so too):
 * 2 MiB extents where 512 aligned pfns in a row all have one (a trip through the allocator
 * for 512 frames), single frames for the rest and wherever no 2 MiB is free.
 */
static int populate(struct restorer *r)
{
    xen_pfn_t *buf = call_buf_alloc(r->c->call, BATCH * sizeof(xen_pfn_t));
    struct xen_memory_reservation *res = call_buf_alloc(r->c->call, sizeof(*res));
    int rc = 0;

    if (!buf || !res) {
        rc = fail(r, -ENOMEM, "no memory for hypercall buffers");
        goto out;
    }
    for (unsigned int order = SUPER_ORDER;; order = 0) {
        uint64_t step = 1ull << order, pfn = 0;
        while (pfn + step <= r->p2m_size && !rc) {
            uint64_t n = 0, at[BATCH];
            for (; pfn + step <= r->p2m_size && n < BATCH; pfn += step)
                if (run_wanted(r, pfn, step)) {
                    at[n] = pfn;
                    buf[n++] = pfn;
                }
            if (!n)
                break;
            memset(res, 0, sizeof(*res));
            res->extent_start = buf;
            res->nr_extents = n;
            res->extent_order = order;
            res->domid = r->domid;
            long got = call_hypercall(r->c->call, __HYPERVISOR_memory_op, XENMEM_populate_physmap,
                                      (uint64_t)(uintptr_t)res, 0, 0, 0);
            for (long i = 0; i < got; i++)
                for (uint64_t j = 0; j < step; j++)
                    r->mfn[at[i] + j] = buf[i] + j;
            if (got != (long)n && !order)
                rc = fail(r, got < 0 ? (int)got : -ENOMEM, "the hypervisor gave %ld of %llu pages",
                          got < 0 ? 0 : got, (unsigned long long)n);
            if (got != (long)n)
                break; /* no more 2 MiB extents: single frames from here */
        }
        if (!order || rc)
            break;
    }
out:
    call_buf_free(r->c->call, buf, BATCH * sizeof(xen_pfn_t));
    call_buf_free(r->c->call, res, sizeof(*res));
    return rc;
}

/* pfn -> new frame in a page table's entries (the hypervisor's L4 slots stay empty). */
static int localise(struct restorer *r, uint64_t pfn, unsigned int level, uint64_t *t)
{
    for (unsigned int i = 0; i < PAGE / 8; i++) {
        uint64_t e = t[i], to;
        if (level == 4 && i >= 256 && i < 272) {
            t[i] = 0;
            continue;
        }
        if (!(e & 1))
            continue;
        to = (e & PTE_ADDR) >> 12;
        if (!has_data(r, to))
            return fail(r, -EPROTO, "the L%u table at pfn %#llx maps pfn %#llx, which the stream "
                        "does not have", level, (unsigned long long)pfn, (unsigned long long)to);
        t[i] = (e & ~PTE_ADDR) | (r->mfn[to] << 12);
    }
    return 0;
}

/* n pages at src into the frames mfns, copied by the hypervisor. */
static int write_frames(struct restorer *r, const uint64_t *mfns, uint32_t n, const void *src)
{
    uint64_t e[FRAMES_BATCH];
    int rc;

    memcpy(e, mfns, n * sizeof(*e));
    if ((rc = frames_copy(r->c, r->domid, e, n, (void *)src, true)))
        return fail(r, rc, "cannot copy into the new domain's frames: %s", strerror(-rc));
    return 0;
}

/* The page tables, with the new frames in their entries, from our memory into theirs. */
static int place_tables(struct restorer *r)
{
    uint64_t mfns[FRAMES_BATCH];
    uint32_t n = 0;
    int rc = 0;

    for (uint64_t pfn = 0; pfn < r->p2m_size && !rc; pfn++) {
        unsigned int level = r->type[pfn] & 7;
        if (!has_data(r, pfn) || level < 1 || level > 4 || !r->table_at[pfn])
            continue;
        uint8_t *dst = r->buf + (size_t)n * PAGE;
        memcpy(dst, r->tables + (size_t)(r->table_at[pfn] - 1) * PAGE, PAGE);
        if ((rc = localise(r, pfn, level, (uint64_t *)dst)))
            break;
        mfns[n++] = r->mfn[pfn];
        if (n == FRAMES_BATCH) {
            rc = write_frames(r, mfns, n, r->buf);
            n = 0;
        }
    }
    return rc ?: n ? write_frames(r, mfns, n, r->buf) : 0;
}

/* Maps one of the new domain's frames for writing. */
static void *map_one(struct restorer *r, uint64_t mfn)
{
    return foreign_map(r->c->call, r->domid, PROT_READ | PROT_WRITE, &mfn, 1, NULL);
}

/* The guest's p2m leaves name the new frames (entries it marked invalid or special stay). */
static int fix_p2m(struct restorer *r)
{
    for (uint32_t i = 0; i < r->nr_leaves; i++) {
        uint64_t *leaf;
        if (!has_data(r, r->leaf_pfns[i]))
            return fail(r, -EPROTO, "P2M_LAYOUT: p2m frame pfn %#llx is not in the stream",
                        (unsigned long long)r->leaf_pfns[i]);
        if (!(leaf = map_one(r, r->mfn[r->leaf_pfns[i]])))
            return fail(r, -errno, "cannot map the guest's p2m: %s", strerror(errno));
        for (unsigned int j = 0; j < PAGE / 8; j++) {
            uint64_t pfn = (uint64_t)i * (PAGE / 8) + j, e = leaf[j];
            if (e == INVALID || (e >> 62))
                continue;
            leaf[j] = has_data(r, pfn) ? r->mfn[pfn] : INVALID;
        }
        foreign_unmap(leaf, 1);
    }
    return 0;
}

static int pin_tables(struct restorer *r)
{
    struct mmuext_op *ops = call_buf_alloc(r->c->call, BATCH * sizeof(*ops));
    uint64_t pfn = 0;
    int rc = 0;

    if (!ops)
        return fail(r, -ENOMEM, "no memory for hypercall buffers");
    while (pfn < r->p2m_size && !rc) {
        unsigned int n = 0;
        uint64_t first = pfn;
        for (; pfn < r->p2m_size && n < BATCH; pfn++) {
            uint8_t ty = r->type[pfn];
            if (!has_data(r, pfn) || !(ty & TERN_PAGE_PINNED))
                continue;
            memset(&ops[n], 0, sizeof(ops[n]));
            ops[n].cmd = MMUEXT_PIN_L1_TABLE + (ty & 7) - 1;
            ops[n++].arg1.mfn = r->mfn[pfn];
        }
        if (!n)
            break;
        long got = call_hypercall(r->c->call, __HYPERVISOR_mmuext_op, (uint64_t)(uintptr_t)ops, n, 0,
                                  r->domid, 0);
        if (got)
            rc = fail(r, (int)got, "the page tables from pfn %#llx on failed validation: %s",
                      (unsigned long long)first, strerror((int)-got));
    }
    call_buf_free(r->c->call, ops, BATCH * sizeof(*ops));
    return rc;
}

/* start_info: the new shared_info, store and console rings and their channels. */
static int fix_start_info(struct restorer *r, uint64_t shared_mfn, struct build_result *b)
{
    struct start_info *si = map_one(r, r->mfn[r->vcpu[0].user_regs.rdx]);
    uint64_t store, cons;
    void *ring;

    if (!si)
        return fail(r, -errno, "cannot map start_info: %s", strerror(errno));
    /* the guest turned these into pfns before it suspended */
    store = si->store_mfn;
    cons = si->console.domU.mfn;
    if (!has_data(r, store) || !has_data(r, cons)) {
        foreign_unmap(si, 1);
        return fail(r, -EPROTO, "start_info names store pfn %#llx and console pfn %#llx, not both "
                    "in the stream", (unsigned long long)store, (unsigned long long)cons);
    }
    b->store_mfn = si->store_mfn = r->mfn[store];
    b->console_mfn = si->console.domU.mfn = r->mfn[cons];
    si->store_evtchn = b->store_port;
    si->console.domU.evtchn = b->console_port;
    si->shared_info = shared_mfn << 12;
    foreign_unmap(si, 1);
    /* fresh rings: the daemons start from empty ones */
    for (int i = 0; i < 2; i++) {
        if (!(ring = map_one(r, i ? b->console_mfn : b->store_mfn)))
            return fail(r, -errno, "cannot map a ring: %s", strerror(errno));
        memset(ring, 0, PAGE);
        foreign_unmap(ring, 1);
    }
    return 0;
}

/* shared_info: the saved vCPU info and arch part, every event cleared and masked (the guest
 * binds its channels again). */
static int fix_shared_info(struct restorer *r, uint64_t shared_mfn)
{
    struct shared_info *si = map_one(r, shared_mfn);
    const struct shared_info *old = (const struct shared_info *)r->shared;

    if (!si)
        return fail(r, -errno, "cannot map shared_info: %s", strerror(errno));
    memcpy(si->vcpu_info, old->vcpu_info, sizeof(si->vcpu_info));
    for (unsigned int i = 0; i < sizeof(si->vcpu_info) / sizeof(si->vcpu_info[0]); i++) {
        si->vcpu_info[i].evtchn_upcall_pending = 0;
        si->vcpu_info[i].evtchn_pending_sel = 0;
    }
    memset(si->evtchn_pending, 0, sizeof(si->evtchn_pending));
    memset(si->evtchn_mask, 0xff, sizeof(si->evtchn_mask));
    si->arch = old->arch;
    si->arch.pfn_to_mfn_frame_list_list = 0;
    foreign_unmap(si, 1);
    return 0;
}

static int set_vcpus(struct restorer *r, uint64_t start_info_mfn)
{
    vcpu_guest_context_t *ctx = call_buf_alloc(r->c->call, sizeof(*ctx));
    int rc = 0;

    if (!ctx)
        return fail(r, -ENOMEM, "no memory for a vCPU context");
    for (unsigned int id = 0; id < MAX_VCPUS && !rc; id++) {
        struct xen_domctl op = { .cmd = XEN_DOMCTL_setvcpucontext, .domain = r->domid };
        if (!r->have_vcpu[id])
            continue;
        *ctx = r->vcpu[id];
        ctx->ctrlreg[3] = r->mfn[ctx->ctrlreg[3] >> 12] << 12;
        if (ctx->ctrlreg[1])
            ctx->ctrlreg[1] = r->mfn[ctx->ctrlreg[1] >> 12] << 12;
        for (unsigned int f = 0; f < (ctx->gdt_ents + 511) / 512 && f < 16; f++)
            ctx->gdt_frames[f] = r->mfn[ctx->gdt_frames[f]];
        if (id == 0)
            ctx->user_regs.rdx = start_info_mfn; /* %rax stays 0: resumed in a new domain */
        ctx->flags |= VGCF_online;
        op.u.vcpucontext.vcpu = id;
        op.u.vcpucontext.ctxt = ctx;
        if ((rc = ctrl_domctl(r->c, &op))) {
            fail(r, rc, "the hypervisor refused vCPU %u's context: %s", id, strerror(-rc));
            break;
        }
        if (!r->have_ext[id])
            continue; /* a stream from before extended contexts were saved */
        struct xen_domctl ext = { .cmd = XEN_DOMCTL_set_ext_vcpucontext, .domain = r->domid };
        ext.u.ext_vcpucontext = r->ext[id];
        ext.u.ext_vcpucontext.vcpu = id;
        ext.u.ext_vcpucontext.size = sizeof(r->ext[id]);
        if ((rc = ctrl_domctl(r->c, &ext)))
            fail(r, rc, "the hypervisor refused vCPU %u's extended context (syscall32/sysenter "
                 "callbacks): %s", id, strerror(-rc));
    }
    call_buf_free(r->c->call, ctx, sizeof(*ctx));
    return rc;
}

/* The saved config under the run directory: the monitor reads it when the guest ends. */
static int keep_config(struct restorer *r, const char *name, char *path, size_t len)
{
    char dir[512];
    FILE *f;

    snprintf(dir, sizeof(dir), "%s/configs", state_run_dir());
    mkdir(state_run_dir(), 0700);
    mkdir(dir, 0700);
    snprintf(path, len, "%.400s/%.60s.cfg", dir, name);
    if (!(f = fopen(path, "w")) || fputs(r->config, f) < 0 || fclose(f))
        return fail(r, -errno, "cannot keep the config in %s: %s", path, strerror(errno));
    return 0;
}

static int build(struct restorer *r, struct domain_config *cfg, struct restore_result *res)
{
    xen_domctl_getdomaininfo_t info;
    struct build_result b;
    struct domain_state st;
    long port;
    double t;
    int rc;

    if ((rc = create(r)))
        return rc;
    memset(&b, 0, sizeof(b));
    b.domid = r->domid;
    if ((port = alloc_unbound(r)) < 0 || (b.store_port = (uint32_t)port, (port = alloc_unbound(r)) < 0))
        return fail(r, (int)port, "cannot make the store and console channels: %s", strerror((int)-port));
    b.console_port = (uint32_t)port;
    t = now_ms();
    if ((rc = adopt(r)) || (rc = populate(r)))
        return r->why[0] ? rc : fail(r, rc, "%s", strerror(-rc));
    res->populate_ms = now_ms() - t;
    t = now_ms();
    if ((rc = place_tables(r)))
        return r->why[0] ? rc : fail(r, rc, "%s", strerror(-rc));
    res->tables_ms = now_ms() - t;
    t = now_ms();
    if ((rc = fix_p2m(r)) ||
        (rc = ctrl_domain_info(r->c, r->domid, &info)) ||
        (rc = fix_start_info(r, info.shared_info_frame, &b)) ||
        (rc = fix_shared_info(r, info.shared_info_frame)) || (rc = pin_tables(r)) ||
        (rc = set_vcpus(r, r->mfn[r->vcpu[0].user_regs.rdx])))
        return r->why[0] ? rc : fail(r, rc, "%s", strerror(-rc));
    res->finish_ms = now_ms() - t;
    t = now_ms();
    /* the devices come back as at create: store entries, then the vifs into their bridges */
    if ((rc = xsdom_setup(cfg, &b, r->why, r->len)) || (rc = vif_hotplug(cfg, r->domid, r->why, r->len)))
        return rc;
    memset(&st, 0, sizeof(st));
    snprintf(st.name, sizeof(st.name), "%s", cfg->name);
    if ((rc = keep_config(r, cfg->name, st.config, sizeof(st.config))))
        return rc;
    st.console_mfn = b.console_mfn;
    st.console_port = b.console_port;
    if ((rc = state_save(r->domid, &st)))
        return fail(r, rc, "cannot record the domain: %s", strerror(-rc));
    res->domid = r->domid;
    snprintf(res->name, sizeof(res->name), "%s", cfg->name);
    res->pages = r->npages;
    res->devices_ms = now_ms() - t;
    return 0;
}

int restore_domain(struct ctrl *c, const char *path, const char *name, struct restore_result *res,
                   char *why, size_t len)
{
    struct restorer *r = calloc(1, sizeof(*r));
    struct domain_config cfg;
    struct xen_sysctl_physinfo pi;
    xen_domctl_getdomaininfo_t info;
    char err[512];
    uint64_t staged = 0;
    uint16_t id;
    int rc;

    if (!r) {
        snprintf(why, len, "no memory");
        return -ENOMEM;
    }
    r->c = c;
    r->why = why;
    r->len = len;
    why[0] = 0;
    memset(res, 0, sizeof(*res));
    double t = now_ms();
    if ((rc = scan(r, path)))
        goto out;
    res->check_ms = now_ms() - t;
    guard_kill_point("restore-staged"); /* tests: the hypervisor frees what was staged */
    if (config_parse(r->config, "the saved config", &cfg, err, sizeof(err))) {
        rc = fail(r, -EPROTO, "DOMAIN_HEADER: %s", err);
        goto out;
    }
    if (name)
        snprintf(cfg.name, sizeof(cfg.name), "%s", name);
    if (!state_find(cfg.name, &id) && !ctrl_domain_info(c, id, &info) && !(info.flags & XEN_DOMINF_dying)) {
        rc = fail(r, -EEXIST, "a domain called '%s' exists already (id %u)", cfg.name, id);
        goto out;
    }
    /* the guest's pages and a margin for its tables in the hypervisor */
    if ((rc = ctrl_physinfo(c, &pi)))
        goto out;
    for (uint64_t pfn = 0; pfn < r->p2m_size; pfn++)
        staged += r->mfn[pfn] != NO_MFN && has_data(r, pfn); /* taken from the free ones already */
    if (pi.free_pages + staged < r->npages + 64) {
        rc = fail(r, -ENOMEM, "not enough memory: the guest needs %llu MiB, %llu MiB are free "
                  "(%llu MiB missing)", (unsigned long long)((r->npages + 64) * 4 / 1024),
                  (unsigned long long)((pi.free_pages + staged) * 4 / 1024),
                  (unsigned long long)((r->npages + 64 - pi.free_pages - staged) * 4 / 1024 + 1));
        goto out;
    }
    rc = build(r, &cfg, res);
    if (rc && r->created) {
        xsdom_forget(r->domid);
        ctrl_domain_destroy(c, r->domid); /* nothing half-restored is left */
    }
out:
    free(r->config);
    free(r->leaf_pfns);
    free(r->type);
    free(r->mfn);
    if (r->staging)
        frames_stage_drop(c, r->stage); /* a refused file: its pages go back */
    free(r->table_at);
    free(r->tables);
    frames_buf_free(r->buf, FRAMES_BATCH);
    frames_buf_free(r->zero, 1);
    free(r);
    return rc;
}
