/*
 * Builds a 64-bit PV domain from a boot module, with the start-of-day layout PV kernels
 * expect: from VIRT_BASE, PFN n at VIRT_BASE + n * 4 KiB, holding in order the kernel,
 * the initrd, the p2m list, start_info, the xenstore and console pages, the bootstrap
 * page tables (mapped read-only) and a stack page; the whole rounded up to 4 MiB with at
 * least 512 KiB of slack. The tables are validated and pinned like any guest's.
 */
#include <tern/bootinfo.h>
#include <tern/cpio.h>
#include <tern/domain.h>
#include <tern/elf.h>
#include <tern/event.h>
#include <tern/errno.h>
#include <tern/lib.h>
#include <tern/mm.h>
#include <tern/printk.h>
#include <tern/sched.h>
#include <asm/page.h>
#include <asm/pv.h>
#include <asm/pv_build.h>
#include <asm/pv_mm.h>
#include <public/xen.h>

#define MB4 (4ul << 20)

struct layout {
    uint64_t v_start, v_end;
    uint64_t initrd, initrd_len, p2m, start_info, store, console, pt, stack;
    uint64_t nr_pt;
};

static uint64_t tables_for(uint64_t start, uint64_t end, unsigned int shift)
{
    return ((end - 1) >> shift) - (start >> shift) + 1;
}

/* Places everything after the kernel; returns -ENOMEM when it does not fit in nr_pages. */
static int plan_layout(const struct elf_image_info *info, uint64_t nr_pages, uint64_t initrd_len,
                       struct layout *l)
{
    uint64_t next;

    l->v_start = info->virt_base;
    next = ALIGN_UP(info->virt_kend, PAGE_SIZE);
    l->initrd = next;
    l->initrd_len = initrd_len;
    next += ALIGN_UP(initrd_len, PAGE_SIZE);
    l->p2m = next;
    next += ALIGN_UP(nr_pages * 8, PAGE_SIZE);
    l->start_info = next;
    l->store = next + PAGE_SIZE;
    l->console = next + 2 * PAGE_SIZE;
    l->pt = next + 3 * PAGE_SIZE;
    /* the table count depends on the end, which depends on the table count */
    for (l->nr_pt = 4;;) {
        uint64_t end = l->pt + (l->nr_pt + 1) * PAGE_SIZE, v_end = ALIGN_UP(end, MB4);
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
            l->stack = l->pt + l->nr_pt * PAGE_SIZE;
            l->v_end = v_end;
            break;
        }
        l->nr_pt = need;
    }
    if ((l->v_end - l->v_start) / PAGE_SIZE > nr_pages)
        return -ENOMEM;
    return 0;
}

struct builder {
    struct domain *d;
    uint64_t virt_base;
};

static void *va_to_hyp(struct builder *b, uint64_t va)
{
    uint64_t pfn = (va - b->virt_base) >> PAGE_SHIFT;
    return (char *)__va((paddr_t)b->d->p2m[pfn] << PAGE_SHIFT) + (va & (PAGE_SIZE - 1));
}

/* Copies within guest memory page by page (frames are not contiguous). */
static int load_copy(void *ctx, uint64_t va, const void *src, size_t len)
{
    struct builder *b = ctx;
    while (len) {
        size_t n = min_t(size_t, len, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
        if (src)
            memcpy(va_to_hyp(b, va), src, n);
        else
            memset(va_to_hyp(b, va), 0, n);
        va += n;
        len -= n;
        src = src ? (const char *)src + n : NULL;
    }
    return 0;
}

static int load_zero(void *ctx, uint64_t va, size_t len)
{
    return load_copy(ctx, va, NULL, len);
}

struct cpio_at {
    struct builder *b;
    uint64_t va;
};

static void cpio_out(void *ctx, const void *p, size_t len)
{
    struct cpio_at *at = ctx;
    load_copy(at->b, at->va, p, len);
    at->va += len;
}

/* Each 32-byte slot: push %rcx; push %r11; mov $nr,%eax; syscall; pop %r11; pop %rcx; ret */
static void fill_hypercall_page(uint8_t *p)
{
    for (unsigned int i = 0; i < PAGE_SIZE / 32; i++, p += 32) {
        const uint8_t *s;
        static const uint8_t stub[] = { 0x51, 0x41, 0x53, 0xb8, 0, 0, 0, 0, 0x0f, 0x05,
                                        0x41, 0x5b, 0x59, 0xc3 };
        /* iret never returns: push %rcx; push %r11; push %rax; mov $23,%eax; syscall */
        static const uint8_t iret[] = { 0x51, 0x41, 0x53, 0x50, 0xb8, 0, 0, 0, 0, 0x0f, 0x05 };
        memset(p, 0xcc, 32);
        s = i == __HYPERVISOR_iret ? iret : stub;
        memcpy(p, s, i == __HYPERVISOR_iret ? sizeof(iret) : sizeof(stub));
        memcpy(p + (i == __HYPERVISOR_iret ? 5 : 4), &i, 4);
    }
}

/* Writes the bootstrap tables: the levels in order L4, L3s, L2s, L1s. */
static mfn_t build_tables(struct builder *b, const struct layout *l)
{
    uint64_t n3 = tables_for(l->v_start, l->v_end, 39), n2 = tables_for(l->v_start, l->v_end, 30);
    uint64_t n1 = tables_for(l->v_start, l->v_end, 21);
    uint64_t l4va = l->pt, l3va = l4va + PAGE_SIZE, l2va = l3va + n3 * PAGE_SIZE;
    uint64_t l1va = l2va + n2 * PAGE_SIZE;
    const uint64_t rw = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY;
    const uint64_t tbl = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED;

    for (uint64_t va = l->v_start; va < l->v_end; va += PAGE_SIZE) {
        uint64_t pfn = (va - l->v_start) >> PAGE_SHIFT;
        bool is_pt = va >= l->pt && va < l->pt + l->nr_pt * PAGE_SIZE;
        uint64_t *l1 = va_to_hyp(b, l1va + ((va >> 21) - (l->v_start >> 21)) * PAGE_SIZE);
        l1[L1_INDEX(va)] = ((paddr_t)b->d->p2m[pfn] << PAGE_SHIFT) | (is_pt ? rw & ~_PAGE_RW : rw);
    }
    for (uint64_t i = 0; i < n1; i++) {
        uint64_t va = (l->v_start & ~((1ul << 21) - 1)) + (i << 21);
        uint64_t *l2 = va_to_hyp(b, l2va + ((va >> 30) - (l->v_start >> 30)) * PAGE_SIZE);
        l2[L2_INDEX(va)] = ((paddr_t)b->d->p2m[(l1va - l->v_start) / PAGE_SIZE + i] << PAGE_SHIFT) | tbl;
    }
    for (uint64_t i = 0; i < n2; i++) {
        uint64_t va = (l->v_start & ~((1ul << 30) - 1)) + (i << 30);
        uint64_t *l3 = va_to_hyp(b, l3va + ((va >> 39) - (l->v_start >> 39)) * PAGE_SIZE);
        l3[L3_INDEX(va)] = ((paddr_t)b->d->p2m[(l2va - l->v_start) / PAGE_SIZE + i] << PAGE_SHIFT) | tbl;
    }
    for (uint64_t i = 0; i < n3; i++) {
        uint64_t va = (l->v_start & ~((1ul << 39) - 1)) + (i << 39);
        uint64_t *l4 = va_to_hyp(b, l4va);
        l4[L4_INDEX(va)] = ((paddr_t)b->d->p2m[(l3va - l->v_start) / PAGE_SIZE + i] << PAGE_SHIFT) | tbl;
    }
    return b->d->p2m[(l4va - l->v_start) / PAGE_SIZE];
}

static void fill_start_info(struct builder *b, const struct layout *l, const struct pv_build_args *a)
{
    struct start_info *si = va_to_hyp(b, l->start_info);
    uint64_t *p2m = va_to_hyp(b, l->p2m);
    struct domain *d = b->d;

    for (uint64_t pfn = 0; pfn < d->p2m_size; pfn++) {
        if (!(pfn % (PAGE_SIZE / 8)))
            p2m = va_to_hyp(b, l->p2m + pfn * 8); /* one page of the list at a time */
        p2m[pfn % (PAGE_SIZE / 8)] = d->p2m[pfn];
    }
    memset(si, 0, sizeof(*si));
    strlcpy(si->magic, "xen-3.0-x86_64", sizeof(si->magic));
    si->nr_pages = d->p2m_size;
    si->shared_info = __pa(d->shared_info);
    si->flags = d->is_privileged ? SIF_PRIVILEGED | SIF_INITDOMAIN : 0;
    si->pt_base = l->pt;
    si->nr_pt_frames = l->nr_pt;
    si->mfn_list = l->p2m;
    si->mod_start = l->initrd_len ? l->initrd : 0;
    si->mod_len = l->initrd_len;
    strlcpy(si->cmd_line, a->cmdline, sizeof(si->cmd_line));
    if (d->is_privileged)
        return; /* dom0: console through console_io, xenstore its own (XS_LOCAL) */
    si->store_mfn = d->p2m[(l->store - l->v_start) / PAGE_SIZE];
    si->console.domU.mfn = d->p2m[(l->console - l->v_start) / PAGE_SIZE];
    d->console_ring = (paddr_t)si->console.domU.mfn << PAGE_SHIFT;
    {
        int port = evtchn_alloc_console(d);
        si->console.domU.evtchn = port > 0 ? (uint32_t)port : 0;
    }
}

int pv_build_domain(const struct pv_build_args *a, struct domain **out, const char **why)
{
    struct elf_image_info info;
    struct layout l;
    struct builder b;
    struct domain *d;
    struct vcpu *v;
    mfn_t l4, old;
    int rc;

    rc = elf_parse(a->image, a->image_len, &info, why);
    if (rc)
        return rc;
    if (!info.has_xen_notes || strcmp(info.xen_version, "xen-3.0")) {
        *why = "not a Xen PV kernel (no 'xen-3.0' XEN_VERSION note)";
        return -ENOEXEC;
    }
    if (info.virt_kstart < info.virt_base || info.virt_base & ((1ul << 21) - 1)) {
        *why = "kernel below VIRT_BASE or VIRT_BASE not 2 MiB aligned";
        return -ENOEXEC;
    }
    /* the files follow the initrd as a second archive, 4-byte aligned, which Linux unpacks
     * after the first */
    size_t files_at = ALIGN_UP(a->initrd_len, 4), files_len = 0;
    if (a->nr_files && !(files_len = cpio_write(a->files, a->nr_files, NULL, NULL))) {
        *why = "a tern.file path is not usable (empty, '.' or '..' parts, too long)";
        return -EINVAL;
    }
    if (plan_layout(&info, a->nr_pages, files_len ? files_at + files_len : a->initrd_len, &l)) {
        *why = "too little memory for the kernel and its start-of-day layout";
        return -ENOMEM;
    }
    d = domain_create(a->domid, a->name, a->nr_vcpus, a->nr_pages, a->privileged);
    if (!d) {
        *why = "cannot create the domain (out of hypervisor memory?)";
        return -ENOMEM;
    }
    d->weight = a->weight ? a->weight : 256;
    d->cap = a->cap;
    if ((rc = domain_alloc_memory(d, a->nr_pages))) {
        *why = "not enough free memory for the domain";
        goto fail;
    }
    b.d = d;
    b.virt_base = info.virt_base;
    if ((rc = elf_load(a->image, a->image_len, &info, load_copy, load_zero, &b))) {
        *why = "cannot load the kernel's segments";
        goto fail;
    }
    if (a->initrd_len)
        load_copy(&b, l.initrd, a->initrd, a->initrd_len);
    if (files_len) {
        struct cpio_at at = { &b, l.initrd + files_at };
        load_zero(&b, l.initrd + a->initrd_len, files_at - a->initrd_len);
        cpio_write(a->files, a->nr_files, cpio_out, &at);
    }
    if (info.hypercall_page)
        fill_hypercall_page(va_to_hyp(&b, info.hypercall_page));
    fill_start_info(&b, &l, a);
    l4 = build_tables(&b, &l);
    if ((rc = pv_pin_table(d->domid, l4, 4))) {
        *why = "the bootstrap page tables failed validation";
        goto fail;
    }
    v = d->vcpus[0];
    if ((rc = pv_new_baseptr(d->domid, l4, &v->guest_table, &old))) {
        *why = "cannot take the bootstrap L4 as a base pointer";
        goto fail;
    }
    memset(&v->regs, 0, sizeof(v->regs));
    v->regs.rip = info.entry;
    v->regs.rsp = l.stack + PAGE_SIZE;
    v->regs.rsi = l.start_info;
    v->regs.rflags = 0x202;
    v->regs.cs = FLAT_KERNEL_CS;
    v->regs.ss = FLAT_KERNEL_SS;
    printk(KERN_ALWAYS "domain %u (%s): %lu pages, %u vCPUs, kernel %#lx-%#lx, entry %#lx\n", d->domid,
           d->name, (unsigned long)d->tot_pages, d->max_vcpus, (unsigned long)info.virt_kstart,
           (unsigned long)info.virt_kend, (unsigned long)info.entry);
    *out = d;
    return 0;

fail:
    domain_kill(d);
    return rc;
}

void pv_start_domain(struct domain *d)
{
    sched_vcpu_wake(d->vcpus[0]);
}
