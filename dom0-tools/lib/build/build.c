/* Building a PV domain from dom0: create, populate, load through a foreign mapping,
 * unmap, then the vCPU context (which validates and pins the tables); the caller unpauses. */
#include "build.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <public/event_channel.h>
#include <public/memory.h>
#include <public/xen.h>

#include "../call/call.h"
#include "../ctrl/ctrl.h"
#include "../foreign/foreign.h"

#define PAGE 4096ull
#define MB4 (4ull << 20)
#define POPULATE_BATCH 8192
#define PTE_P 0x001ull
#define PTE_RW 0x002ull
#define PTE_US 0x004ull
#define PTE_A 0x020ull
#define PTE_D 0x040ull

struct layout {
    uint64_t v_start, v_end;
    uint64_t initrd, p2m, start_info, store, console, pt, stack, nr_pt;
};

struct job {
    struct ctrl *c;
    const struct build_args *a;
    struct build_kernel k;
    uint8_t *kernel, *initrd;
    size_t kernel_len, initrd_len;
    bool kernel_mapped;      /* kernel is a mapping of the file, not a copy */
    struct layout l;
    uint64_t nr_pages, *p2m; /* pfn -> mfn */
    uint8_t *mem;            /* the start-of-day frames, mapped in pfn order */
    uint64_t nr_mapped;      /* how many: the rest is scrubbed already and stays unmapped */
    char *why;
    size_t why_len;
};

static int fail(struct job *j, int rc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(j->why, j->why_len, fmt, ap);
    va_end(ap);
    return rc;
}

/* A whole file, gunzipped when it is gzip'd (zlib reads plain files as they are). */
static int read_file(const char *path, uint8_t **out, size_t *len)
{
    gzFile f = gzopen(path, "rb");
    size_t cap = 1 << 20, n = 0;
    uint8_t *buf = NULL;
    int got;

    if (!f)
        return errno ? -errno : -ENOMEM;
    for (;;) {
        if (n == cap || !buf) {
            uint8_t *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                gzclose(f);
                return -ENOMEM;
            }
            buf = nb;
        }
        got = gzread(f, buf + n, (unsigned int)(cap - n > (1u << 30) ? 1u << 30 : cap - n));
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    gzclose(f);
    if (got < 0) {
        free(buf);
        return -EIO;
    }
    *out = buf;
    *len = n;
    return 0;
}

/* A plain file mapped read-only, its pages read in at once: no copy of tens of MiB into
 * fresh anonymous memory, whose page faults are dear in a PV domain under emulation. */
static int map_file(const char *path, uint8_t **out, size_t *len)
{
    struct stat st;
    void *p;
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

    if (fd < 0)
        return -errno;
    if (fstat(fd, &st))
        rc = -errno;
    else if (st.st_size <= 0)
        rc = -EINVAL;
    else if ((p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0)) ==
             MAP_FAILED)
        rc = -errno;
    else {
        *out = p;
        *len = (size_t)st.st_size;
    }
    close(fd);
    return rc;
}

/*
 * The kernel, from cache_dir when it was unpacked before: a gzip'd kernel costs seconds to
 * inflate under emulation, and the same one is built again and again. The cache entry is
 * named by the file's name, size and mtime, and written whole before it is renamed in.
 * *mapped says whether *out is a mapping of a plain file (or else a malloc'd copy).
 */
static int read_kernel(const char *path, const char *cache_dir, uint8_t **out, size_t *len,
                       bool *mapped)
{
    char cached[512], tmp[530];
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    uint8_t magic[2] = { 0, 0 };
    struct stat st;
    FILE *f;
    int rc;

    f = fopen(path, "rb");
    if (!f)
        return -errno;
    rc = fread(magic, 1, 2, f) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    if (fstat(fileno(f), &st))
        rc = 0;
    fclose(f);
    *mapped = false;
    if (!rc && !map_file(path, out, len)) {
        *mapped = true;
        return 0;
    }
    if (!rc || !cache_dir)
        return read_file(path, out, len);
    snprintf(cached, sizeof(cached), "%s/%s-%lld-%lld.elf", cache_dir, base, (long long)st.st_size,
             (long long)st.st_mtime);
    if (!map_file(cached, out, len)) {
        *mapped = true;
        return 0;
    }
    if ((rc = read_file(path, out, len)))
        return rc;
    mkdir(cache_dir, 0700);
    snprintf(tmp, sizeof(tmp), "%s.%d", cached, (int)getpid());
    f = fopen(tmp, "wb");
    if (f && fwrite(*out, 1, *len, f) == *len && !fclose(f))
        rename(tmp, cached);
    else {
        if (f)
            fclose(f);
        unlink(tmp); /* no room for the cache: the next build inflates again */
    }
    return 0;
}

static uint64_t tables_for(uint64_t start, uint64_t end, unsigned int shift)
{
    return ((end - 1) >> shift) - (start >> shift) + 1;
}

static int plan_layout(struct job *j)
{
    struct layout *l = &j->l;
    uint64_t next = (j->k.kend + PAGE - 1) & ~(PAGE - 1);

    l->v_start = j->k.virt_base;
    l->initrd = next;
    next += (j->initrd_len + PAGE - 1) & ~(PAGE - 1);
    l->p2m = next;
    next += (j->nr_pages * 8 + PAGE - 1) & ~(PAGE - 1);
    l->start_info = next;
    l->store = next + PAGE;
    l->console = next + 2 * PAGE;
    l->pt = next + 3 * PAGE;
    for (l->nr_pt = 4;;) {
        uint64_t end = l->pt + (l->nr_pt + 1) * PAGE, v_end = (end + MB4 - 1) & ~(MB4 - 1);
        if (v_end - end < 512 * 1024) {
            /* The 512 KiB of padding would cross a 4 MiB boundary, and Linux unmaps its
             * bootstrap area only up to the first boundary after the tables (the rest
             * stays mapped writable and executable): start the tables on that boundary. */
            l->pt = v_end;
            continue;
        }
        uint64_t need = 1 + tables_for(l->v_start, v_end, 39) + tables_for(l->v_start, v_end, 30) +
                        tables_for(l->v_start, v_end, 21);
        if (need <= l->nr_pt) {
            l->stack = l->pt + l->nr_pt * PAGE;
            l->v_end = v_end;
            break;
        }
        l->nr_pt = need;
    }
    if ((l->v_end - l->v_start) / PAGE > j->nr_pages)
        return fail(j, -ENOMEM, "%llu KiB is too little for the kernel, initrd and start-of-day "
                    "tables (%llu KiB)", (unsigned long long)j->a->mem_kib,
                    (unsigned long long)((l->v_end - l->v_start) >> 10));
    return 0;
}

static uint8_t *at(struct job *j, uint64_t va)
{
    return j->mem + (va - j->l.v_start);
}

static uint64_t mfn_at(struct job *j, uint64_t va)
{
    return j->p2m[(va - j->l.v_start) / PAGE];
}

/* Each 32-byte slot: push %rcx; push %r11; mov $nr,%eax; syscall; pop %r11; pop %rcx; ret;
 * iret's slot never returns and pushes %rax too. */
static void fill_hypercall_page(uint8_t *p)
{
    static const uint8_t stub[] = { 0x51, 0x41, 0x53, 0xb8, 0, 0, 0, 0, 0x0f, 0x05,
                                    0x41, 0x5b, 0x59, 0xc3 };
    static const uint8_t iret[] = { 0x51, 0x41, 0x53, 0x50, 0xb8, 0, 0, 0, 0, 0x0f, 0x05 };

    for (uint32_t i = 0; i < PAGE / 32; i++, p += 32) {
        bool is_iret = i == __HYPERVISOR_iret;
        memset(p, 0xcc, 32);
        memcpy(p, is_iret ? iret : stub, is_iret ? sizeof(iret) : sizeof(stub));
        memcpy(p + (is_iret ? 5 : 4), &i, 4);
    }
}

/* The bootstrap tables, L4, L3s, L2s, L1s in order, mapping [v_start, v_end). */
static uint64_t build_tables(struct job *j)
{
    const struct layout *l = &j->l;
    uint64_t n3 = tables_for(l->v_start, l->v_end, 39), n2 = tables_for(l->v_start, l->v_end, 30);
    uint64_t n1 = tables_for(l->v_start, l->v_end, 21);
    uint64_t l4va = l->pt, l3va = l4va + PAGE, l2va = l3va + n3 * PAGE, l1va = l2va + n2 * PAGE;
    const uint64_t rw = PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D, tbl = PTE_P | PTE_RW | PTE_US | PTE_A;

    for (uint64_t va = l->v_start; va < l->v_end; va += PAGE) {
        bool is_pt = va >= l->pt && va < l->pt + l->nr_pt * PAGE;
        uint64_t *l1 = (uint64_t *)at(j, l1va + ((va >> 21) - (l->v_start >> 21)) * PAGE);
        l1[(va >> 12) & 511] = (mfn_at(j, va) << 12) | (is_pt ? rw & ~PTE_RW : rw);
    }
    for (uint64_t i = 0; i < n1; i++) {
        uint64_t va = (l->v_start & ~((1ull << 21) - 1)) + (i << 21);
        uint64_t *l2 = (uint64_t *)at(j, l2va + ((va >> 30) - (l->v_start >> 30)) * PAGE);
        l2[(va >> 21) & 511] = (mfn_at(j, l1va + i * PAGE) << 12) | tbl;
    }
    for (uint64_t i = 0; i < n2; i++) {
        uint64_t va = (l->v_start & ~((1ull << 30) - 1)) + (i << 30);
        uint64_t *l3 = (uint64_t *)at(j, l3va + ((va >> 39) - (l->v_start >> 39)) * PAGE);
        l3[(va >> 30) & 511] = (mfn_at(j, l2va + i * PAGE) << 12) | tbl;
    }
    for (uint64_t i = 0; i < n3; i++) {
        uint64_t va = (l->v_start & ~((1ull << 39) - 1)) + (i << 39);
        ((uint64_t *)at(j, l4va))[(va >> 39) & 511] = (mfn_at(j, l3va + i * PAGE) << 12) | tbl;
    }
    return mfn_at(j, l4va);
}

static int populate(struct job *j, uint16_t domid)
{
    struct call *call = j->c->call;
    xen_pfn_t *buf = call_buf_alloc(call, POPULATE_BATCH * sizeof(xen_pfn_t));
    struct xen_memory_reservation *r = call_buf_alloc(call, sizeof(*r));
    int rc = 0;

    if (!buf || !r) {
        rc = fail(j, -ENOMEM, "no memory for hypercall buffers");
        goto out;
    }
    for (uint64_t done = 0; done < j->nr_pages;) {
        uint64_t n = j->nr_pages - done < POPULATE_BATCH ? j->nr_pages - done : POPULATE_BATCH;
        for (uint64_t i = 0; i < n; i++)
            buf[i] = done + i;
        memset(r, 0, sizeof(*r));
        r->extent_start = buf;
        r->nr_extents = n;
        r->domid = domid;
        long got = call_hypercall(call, __HYPERVISOR_memory_op, XENMEM_populate_physmap,
                                  (uint64_t)(uintptr_t)r, 0, 0, 0);
        if (got != (long)n) {
            rc = fail(j, got < 0 ? (int)got : -ENOMEM, "the hypervisor gave %ld of %llu pages "
                      "(not enough free memory?)", got < 0 ? 0 : got, (unsigned long long)j->nr_pages);
            goto out;
        }
        memcpy(j->p2m + done, buf, n * sizeof(*buf));
        done += n;
    }
out:
    call_buf_free(call, buf, POPULATE_BATCH * sizeof(xen_pfn_t));
    call_buf_free(call, r, sizeof(*r));
    return rc;
}

static long alloc_unbound(struct job *j, uint16_t domid)
{
    evtchn_alloc_unbound_t *op = call_buf_alloc(j->c->call, sizeof(*op));
    long rc;

    if (!op)
        return -ENOMEM;
    op->dom = domid;
    op->remote_dom = 0;
    rc = call_hypercall(j->c->call, __HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound,
                        (uint64_t)(uintptr_t)op, 0, 0, 0);
    if (!rc)
        rc = op->port;
    call_buf_free(j->c->call, op, sizeof(*op));
    return rc;
}

/* Kernel, initrd, p2m list, start_info and tables into the mapped memory. */
static uint64_t load(struct job *j, uint64_t shared_info_mfn, struct build_result *r)
{
    const struct layout *l = &j->l;
    struct start_info *si = (struct start_info *)at(j, l->start_info);

    /* populate_physmap hands out scrubbed frames: only the file's bytes need writing */
    for (unsigned int i = 0; i < j->k.nr_segments; i++) {
        const struct build_segment *s = &j->k.seg[i];
        memcpy(at(j, s->va), j->kernel + s->offset, s->filesz);
    }
    if (j->initrd_len)
        memcpy(at(j, l->initrd), j->initrd, j->initrd_len);
    memcpy(at(j, l->p2m), j->p2m, j->nr_pages * 8);
    if (j->k.hypercall_page)
        fill_hypercall_page(at(j, j->k.hypercall_page));
    memset(si, 0, sizeof(*si));
    snprintf(si->magic, sizeof(si->magic), "xen-3.0-x86_64");
    si->nr_pages = j->nr_pages;
    si->shared_info = shared_info_mfn << 12;
    si->store_mfn = r->store_mfn = mfn_at(j, l->store);
    si->store_evtchn = r->store_port;
    si->console.domU.mfn = r->console_mfn = mfn_at(j, l->console);
    si->console.domU.evtchn = r->console_port;
    si->pt_base = l->pt;
    si->nr_pt_frames = l->nr_pt;
    si->mfn_list = l->p2m;
    si->mod_start = j->initrd_len ? l->initrd : 0;
    si->mod_len = j->initrd_len;
    snprintf(si->cmd_line, sizeof(si->cmd_line), "%s", j->a->cmdline ? j->a->cmdline : "");
    return build_tables(j);
}

/* Pinned, as the hypervisor's own builder does: Linux unpins its bootstrap tables later. */
static int pin_l4(struct job *j, uint16_t domid, uint64_t l4_mfn)
{
    struct mmuext_op *op = call_buf_alloc(j->c->call, sizeof(*op));
    long rc;

    if (!op)
        return fail(j, -ENOMEM, "no memory for a hypercall buffer");
    op->cmd = MMUEXT_PIN_L4_TABLE;
    op->arg1.mfn = l4_mfn;
    rc = call_hypercall(j->c->call, __HYPERVISOR_mmuext_op, (uint64_t)(uintptr_t)op, 1, 0, domid, 0);
    call_buf_free(j->c->call, op, sizeof(*op));
    return rc ? fail(j, (int)rc, "the bootstrap page tables failed validation (%s)", strerror((int)-rc)) : 0;
}

static int start_vcpu0(struct job *j, uint16_t domid, uint64_t l4_mfn)
{
    vcpu_guest_context_t *ctx = call_buf_alloc(j->c->call, sizeof(*ctx));
    struct xen_domctl op = { .cmd = XEN_DOMCTL_setvcpucontext, .domain = domid };
    int rc;

    if (!ctx)
        return fail(j, -ENOMEM, "no memory for the vCPU context");
    ctx->flags = VGCF_in_kernel | VGCF_online;
    ctx->user_regs.rip = j->k.entry;
    ctx->user_regs.rsp = j->l.stack + PAGE;
    ctx->user_regs.rsi = j->l.start_info;
    ctx->user_regs.rflags = 0x200;
    ctx->kernel_ss = FLAT_KERNEL_SS;
    ctx->kernel_sp = j->l.stack + PAGE;
    ctx->ctrlreg[3] = l4_mfn << 12;
    op.u.vcpucontext.vcpu = 0;
    op.u.vcpucontext.ctxt = ctx;
    rc = ctrl_domctl(j->c, &op);
    call_buf_free(j->c->call, ctx, sizeof(*ctx));
    return rc ? fail(j, rc, "the hypervisor refused vCPU 0's context (%s)", strerror(-rc)) : 0;
}

static int create(struct job *j, uint16_t *domid)
{
    struct xen_domctl op = { .cmd = XEN_DOMCTL_createdomain };
    int rc;

    op.u.createdomain.max_vcpus = j->a->vcpus;
    op.u.createdomain.max_grant_frames = -1;
    op.u.createdomain.max_maptrack_frames = -1;
    rc = ctrl_domctl(j->c, &op);
    if (rc)
        return fail(j, rc, "the hypervisor refused to create the domain (%s)", strerror(-rc));
    *domid = op.domain;
    memset(&op, 0, sizeof(op));
    op.cmd = XEN_DOMCTL_max_mem;
    op.domain = *domid;
    op.u.max_mem.max_memkb = j->a->mem_kib;
    rc = ctrl_domctl(j->c, &op);
    return rc ? fail(j, rc, "cannot set the memory ceiling (%s)", strerror(-rc)) : 0;
}

static int build(struct job *j, struct build_result *r)
{
    xen_domctl_getdomaininfo_t info;
    const char *why;
    uint64_t l4;
    long port;
    int rc;

    if ((rc = read_kernel(j->a->kernel, j->a->cache_dir, &j->kernel, &j->kernel_len,
                           &j->kernel_mapped)))
        return fail(j, rc, "cannot read kernel %s: %s", j->a->kernel, strerror(-rc));
    if ((rc = build_parse_elf(j->kernel, j->kernel_len, &j->k, &why)))
        return fail(j, rc, "kernel %s: %s", j->a->kernel, why);
    if (j->a->ramdisk && (rc = read_file(j->a->ramdisk, &j->initrd, &j->initrd_len)))
        return fail(j, rc, "cannot read ramdisk %s: %s", j->a->ramdisk, strerror(-rc));
    j->nr_pages = j->a->mem_kib / 4;
    if ((rc = plan_layout(j)))
        return rc;
    if (!(j->p2m = calloc(j->nr_pages, sizeof(*j->p2m))))
        return fail(j, -ENOMEM, "no memory for the p2m list");
    if ((rc = create(j, &r->domid)))
        return rc;
    if ((rc = populate(j, r->domid)))
        return rc;
    if ((rc = ctrl_domain_info(j->c, r->domid, &info)))
        return fail(j, rc, "cannot query the new domain (%s)", strerror(-rc));
    port = alloc_unbound(j, r->domid);
    if (port <= 0)
        return fail(j, port < 0 ? (int)port : -EIO, "no console event channel");
    r->console_port = (uint32_t)port;
    port = alloc_unbound(j, r->domid);
    if (port <= 0)
        return fail(j, port < 0 ? (int)port : -EIO, "no xenstore event channel");
    r->store_port = (uint32_t)port;
    j->nr_mapped = (j->l.v_end - j->l.v_start) / PAGE;
    j->mem = foreign_map(j->c->call, r->domid, PROT_READ | PROT_WRITE, j->p2m, j->nr_mapped, NULL);
    if (!j->mem)
        return fail(j, -errno, "cannot map the new domain's memory (%s)", strerror(errno));
    l4 = load(j, info.shared_info_frame, r);
    foreign_unmap(j->mem, j->nr_mapped); /* page tables must not stay writable anywhere */
    j->mem = NULL;
    if ((rc = pin_l4(j, r->domid, l4)) || (rc = start_vcpu0(j, r->domid, l4)))
        return rc;
    r->entry = j->k.entry;
    return 0;
}

int build_domain(struct ctrl *c, const struct build_args *a, struct build_result *r,
                 char *why, size_t why_len)
{
    struct job j = { .c = c, .a = a, .why = why, .why_len = why_len };
    int rc;

    memset(r, 0, sizeof(*r));
    r->domid = DOMID_INVALID;
    why[0] = 0;
    if (!a->vcpus || a->mem_kib < 1024)
        return fail(&j, -EINVAL, "a domain needs at least 1 vCPU and 1 MiB");
    rc = build(&j, r);
    if (rc && r->domid != DOMID_INVALID) {
        ctrl_domain_destroy(c, r->domid);
        r->domid = DOMID_INVALID;
    }
    foreign_unmap(j.mem, j.nr_mapped);
    if (j.kernel_mapped)
        munmap(j.kernel, j.kernel_len);
    else
        free(j.kernel);
    free(j.initrd);
    free(j.p2m);
    return rc;
}
