/*
 * Guest descriptor tables of 64-bit PV domains: set_gdt, update_descriptor and
 * MMUEXT_SET_LDT, the PGT_seg_desc_page check, loading a vCPU's tables and data
 * selectors on context switch, and the failsafe path for selectors that do not load.
 *
 * A vCPU's GDT and LDT frames hold a general and a PGT_seg_desc_page type reference
 * while installed, so the guest has no writable mapping of them and every entry in
 * them has passed pv_desc_check(). On the CPU that runs the vCPU they are mapped
 * read-only into that CPU's GDT window (pages 0..13) and LDT window; other pages
 * of the windows map the shared zero page, whose entries are null descriptors.
 * The LDT is resolved from the guest's page tables when it is set, not lazily.
 */
#include <tern/domain.h>
#include <tern/errno.h>
#include <tern/lib.h>
#include <tern/mm.h>
#include <tern/printk.h>
#include <asm/current.h>
#include <asm/desc.h>
#include <asm/page.h>
#include <asm/processor.h>
#include <asm/pv_desc.h>
#include <asm/pv_mm.h>
#include <asm/pv_shadow.h>
#include <asm/uaccess.h>
#include <public/xen.h>

#define DESC_ACCESSED (1u << 8) /* in the high word */
#define DESC_TYPE (0xfu << 8)
#define DESC_S (1u << 12)
#define DESC_DPL (3u << 13)
#define DESC_P (1u << 15)
#define TYPE_CALL_GATE (0xcu << 8)
#define ENTS_PER_PAGE (PAGE_SIZE / 8)

static unsigned int gdt_mapped[NR_CPUS], ldt_mapped[NR_CPUS];

/* May a call gate name this code selector? Guest GDT entries, LDT entries, the flat kernel CS. */
static bool gate_target_ok(unsigned int sel)
{
    return (sel >> 3) < FIRST_RESERVED_GDT_ENTRY || (sel & 4) || sel == FLAT_KERNEL_CS;
}

bool pv_desc_check(uint64_t *d)
{
    uint32_t a = (uint32_t)*d, b = (uint32_t)(*d >> 32);
    unsigned int cs;

    if (!(b & DESC_P))
        return true; /* loading it faults: harmless */
    b |= DESC_DPL;   /* ring 3 is the most privileged level a 64-bit PV guest gets */
    if (b & DESC_S) {
        b |= DESC_ACCESSED;
        goto good;
    }
    if (!(b & DESC_TYPE))
        return true;
    if ((b & DESC_TYPE) != TYPE_CALL_GATE || (b & 0xff))
        return false;
    cs = a >> 16;
    if (!gate_target_ok(cs))
        return false;
    /* DPL 0: a use from ring 3 faults with the gate in the error code (for emulation) */
    b &= ~DESC_DPL;
    a = (a & 0xffffu) | ((cs | 3u) << 16);
good:
    *d = a | ((uint64_t)b << 32);
    return true;
}

int pv_desc_validate_page(struct page_info *pg, uint64_t type)
{
    uint64_t *t;

    if (type != PGT_seg_desc_page)
        return 0;
    t = __va((paddr_t)page_to_mfn(pg) << PAGE_SHIFT);
    /* nobody can write the frame now (no writable type refs), so two passes see the same */
    for (unsigned int i = 0; i < ENTS_PER_PAGE; i++) {
        uint64_t d = __atomic_load_n(&t[i], __ATOMIC_RELAXED);
        if (!pv_desc_check(&d))
            return -EINVAL;
    }
    for (unsigned int i = 0; i < ENTS_PER_PAGE; i++) {
        uint64_t d = __atomic_load_n(&t[i], __ATOMIC_RELAXED);
        pv_desc_check(&d);
        __atomic_store_n(&t[i], d, __ATOMIC_RELAXED);
    }
    pv_shadow_frame_written(page_to_mfn(pg));
    return 0;
}

void pv_desc_invalidate_page(struct page_info *pg, uint64_t type)
{
    /* descriptors hold no references */
}

static void window_map(unsigned long va, paddr_t pa)
{
    /* the window's page tables exist since boot, so this cannot fail */
    map_pages(va, pa, 1, PAGE_HYPERVISOR_RO);
    invlpg(va);
}

/* Maps n frames at the window, the zero page over what the previous vCPU had beyond. */
static void window_fill(unsigned long win, const mfn_t *frames, unsigned int n, unsigned int *mapped)
{
    unsigned int i;

    for (i = 0; i < n; i++)
        window_map(win + i * PAGE_SIZE, (paddr_t)frames[i] << PAGE_SHIFT);
    for (; i < *mapped; i++)
        window_map(win + i * PAGE_SIZE, desc_zero_page());
    *mapped = n;
}

static unsigned int nr_frames(unsigned int ents)
{
    return (ents + ENTS_PER_PAGE - 1) / ENTS_PER_PAGE;
}

static void lldt(unsigned int sel)
{
    asm volatile("lldt %w0" ::"r"(sel) : "memory");
}

static void load_ldt(struct vcpu *v, unsigned int cpu)
{
    uint64_t *slot = desc_reserved_page(cpu) + (LDT_SELECTOR - RESERVED_GDT_BYTE) / 8;
    uint64_t base = desc_ldt_window(cpu), limit = (uint64_t)v->ldt_ents * 8 - 1;

    window_fill(base, v->ldt_frames, nr_frames(v->ldt_ents), &ldt_mapped[cpu]);
    if (!v->ldt_ents) {
        lldt(0);
        return;
    }
    slot[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x82ull << 40) |
              (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    slot[1] = base >> 32;
    lldt(LDT_SELECTOR);
}

/* mov to a data segment register; false (and the null selector loaded) if it faults. */
#define LOAD_SEG(seg, sel, ok)                                                                 \
    asm volatile("1: mov %k[s], %%" #seg "\n"                                                 \
                 "   jmp 3f\n"                                                                 \
                 "2: xor %k[o], %k[o]\n"                                                       \
                 "   mov %k[o], %%" #seg "\n"                                                 \
                 "3:\n"                                                                        \
                 ".pushsection .ex_table, \"a\"\n.balign 8\n.quad 1b, 2b\n.popsection"         \
                 : [o] "+r"(ok)                                                                \
                 : [s] "r"((unsigned int)(sel))                                                \
                 : "memory")

static bool load_selectors(const uint16_t sel[4])
{
    unsigned int ds = 1, es = 1, fs = 1, gs = 1;

    LOAD_SEG(ds, sel[0], ds);
    LOAD_SEG(es, sel[1], es);
    LOAD_SEG(fs, sel[2], fs);
    LOAD_SEG(gs, sel[3], gs);
    return ds && es && fs && gs;
}

static void read_selectors(uint16_t sel[4])
{
    asm volatile("mov %%ds, %0" : "=m"(sel[0]));
    asm volatile("mov %%es, %0" : "=m"(sel[1]));
    asm volatile("mov %%fs, %0" : "=m"(sel[2]));
    asm volatile("mov %%gs, %0" : "=m"(sel[3]));
}

bool pv_desc_load(struct vcpu *v)
{
    unsigned int cpu = smp_processor_id();

    window_fill(desc_gdt_window(cpu), v->gdt_frames, nr_frames(v->gdt_ents), &gdt_mapped[cpu]);
    load_ldt(v, cpu);
    return load_selectors(v->sel);
}

void pv_desc_save(struct vcpu *v)
{
    read_selectors(v->sel);
}

/* This CPU runs no guest: its windows show only the zero page. */
void pv_desc_unload(void)
{
    unsigned int cpu = smp_processor_id();

    window_fill(desc_gdt_window(cpu), NULL, 0, &gdt_mapped[cpu]);
    window_fill(desc_ldt_window(cpu), NULL, 0, &ldt_mapped[cpu]);
    lldt(0);
}

void pv_desc_failsafe(struct vcpu *v)
{
    if (!v->failsafe_callback) {
        domain_crash(v->domain, "data selectors %#x %#x %#x %#x do not load, no failsafe callback",
                     v->sel[0], v->sel[1], v->sel[2], v->sel[3]);
        return;
    }
    pv_bounce_failsafe(v, guest_cpu_user_regs(), v->sel);
}

bool pv_exit_frame_ok(const struct cpu_user_regs *regs)
{
    return (int64_t)(regs->rip << 16) >> 16 == (int64_t)regs->rip;
}

void pv_exit_fault(struct cpu_user_regs *regs)
{
    struct vcpu *v = current;
    uint16_t sel[4];

    read_selectors(sel);
    if (!v->failsafe_callback || regs->rip == v->failsafe_callback) {
        domain_crash(v->domain, "cannot return to the guest at %#lx:%#lx (ss %#lx)",
                     (unsigned long)regs->cs, (unsigned long)regs->rip, (unsigned long)regs->ss);
        return;
    }
    pv_bounce_failsafe(v, regs, sel);
}

static void put_frames(const mfn_t *frames, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++)
        put_page_and_type(mfn_to_page(frames[i]));
}

/* Type references on every frame, or none: 0 or -EINVAL. */
static int get_frames(uint32_t domid, const mfn_t *frames, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++) {
        struct page_info *pg = mfn_to_page(frames[i]);
        if (!pg || get_page_and_type(pg, domid, PGT_seg_desc_page)) {
            put_frames(frames, i);
            return -EINVAL;
        }
    }
    return 0;
}

int pv_set_gdt(struct vcpu *v, const mfn_t *frames, unsigned int ents)
{
    mfn_t old[PV_GDT_MAX_FRAMES];
    unsigned int n = nr_frames(ents), old_n = nr_frames(v->gdt_ents);
    int rc;

    if (ents > FIRST_RESERVED_GDT_ENTRY)
        return -EINVAL;
    rc = get_frames(v->domain->domid, frames, n);
    if (rc)
        return rc;
    /* committed: the window lets go of the old frames before their references go */
    memcpy(old, v->gdt_frames, sizeof(old));
    memset(v->gdt_frames, 0, sizeof(v->gdt_frames));
    memcpy(v->gdt_frames, frames, n * sizeof(mfn_t));
    v->gdt_ents = ents;
    if (v == current) {
        unsigned int cpu = smp_processor_id();
        window_fill(desc_gdt_window(cpu), v->gdt_frames, n, &gdt_mapped[cpu]);
    }
    put_frames(old, old_n);
    return 0;
}

long do_set_gdt(uint64_t frame_list, unsigned long entries)
{
    mfn_t frames[PV_GDT_MAX_FRAMES]; /* the guest's list is of 64-bit MFNs */
    unsigned int n;

    if (entries > FIRST_RESERVED_GDT_ENTRY)
        return -EINVAL;
    n = nr_frames((unsigned int)entries);
    if (copy_from_guest(frames, frame_list, n * sizeof(frames[0])))
        return -EFAULT;
    return pv_set_gdt(current, frames, (unsigned int)entries);
}

long do_update_descriptor(uint64_t maddr, uint64_t desc)
{
    uint32_t domid = current->domain->domid;
    struct page_info *pg = mfn_to_page(maddr >> PAGE_SHIFT);
    uint64_t type, *slot;

    if ((maddr & 7) || !pv_desc_check(&desc))
        return -EINVAL;
    if (!pg || !get_page(pg, domid))
        return -EINVAL;
    /* a descriptor page keeps its type; anything else must be plain writable memory */
    type = page_get_type(pg) == PGT_seg_desc_page ? PGT_seg_desc_page : PGT_writable_page;
    if (get_page_type(pg, type)) {
        put_page(pg);
        return -EINVAL;
    }
    slot = __va(maddr & ~(uint64_t)7);
    __atomic_store_n(slot, desc, __ATOMIC_RELAXED);
    pv_shadow_frame_written(page_to_mfn(pg));
    put_page_type(pg);
    put_page(pg);
    return 0;
}

/* The frame mapped at va by v's current page tables, or PV_MFN_NONE. */
static mfn_t guest_va_to_mfn(const struct vcpu *v, uint64_t va)
{
    mfn_t table = v->kernel_mode || v->guest_table_user == PV_MFN_NONE ? v->guest_table
                                                                       : v->guest_table_user;

    for (int level = 4; level >= 1; level--) {
        const uint64_t *t = __va((paddr_t)table << PAGE_SHIFT);
        uint64_t e = __atomic_load_n(&t[(va >> (12 + 9 * (level - 1))) & 511], __ATOMIC_ACQUIRE);
        if (!(e & _PAGE_PRESENT) || (level > 1 && (e & _PAGE_PSE)))
            return PV_MFN_NONE;
        table = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
    }
    return table;
}

int pv_set_ldt(struct vcpu *v, uint64_t linear, unsigned int ents)
{
    mfn_t frames[PV_LDT_MAX_ENTS / ENTS_PER_PAGE], old[PV_LDT_MAX_ENTS / ENTS_PER_PAGE];
    unsigned int n = nr_frames(ents), old_n = nr_frames(v->ldt_ents);
    int rc;

    if ((linear & (PAGE_SIZE - 1)) || ents > PV_LDT_MAX_ENTS || !guest_range_ok(linear, ents * 8ul))
        return -EINVAL;
    if (v->guest_table == PV_MFN_NONE && n)
        return -EINVAL;
    for (unsigned int i = 0; i < n; i++) {
        frames[i] = guest_va_to_mfn(v, linear + i * PAGE_SIZE);
        if (frames[i] == PV_MFN_NONE)
            return -EINVAL;
    }
    rc = get_frames(v->domain->domid, frames, n);
    if (rc)
        return rc;
    memcpy(old, v->ldt_frames, sizeof(old));
    memset(v->ldt_frames, 0, sizeof(v->ldt_frames));
    memcpy(v->ldt_frames, frames, n * sizeof(mfn_t));
    v->ldt_ents = ents;
    v->ldt_base = linear;
    if (v == current)
        load_ldt(v, smp_processor_id());
    put_frames(old, old_n);
    return 0;
}

void pv_desc_destroy(struct vcpu *v)
{
    put_frames(v->gdt_frames, nr_frames(v->gdt_ents));
    put_frames(v->ldt_frames, nr_frames(v->ldt_ents));
    v->gdt_ents = v->ldt_ents = 0;
}
