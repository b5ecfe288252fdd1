/*
 * Per-CPU GDT and TSS, and the IDT. Each CPU's GDT is a 64 KiB window laid out like a
 * PV guest's: the first 14 pages (guest descriptors, later) and the last page map a
 * shared zero page; page 14 holds the hypervisor's entries at Xen's selectors 0xe000+.
 */
#include <tern/bug.h>
#include <tern/errno.h>
#include <tern/lib.h>
#include <tern/mm.h>
#include <tern/printk.h>
#include <asm/config.h>
#include <asm/current.h>
#include <asm/desc.h>
#include <asm/page.h>
#include <asm/processor.h>

#define GDT_WINDOW(cpu) (VMAP_VIRT_START + (unsigned long)(cpu) * 0x10000ul)

struct __attribute__((packed)) desc_ptr {
    uint16_t limit;
    uint64_t base;
};

struct idt_entry {
    uint64_t lo, hi;
};

extern char trap_stubs[];
static struct idt_entry idt[256] __aligned(4096);
static struct tss64 *cpu_tss[NR_CPUS];
static uint64_t *cpu_gdt_reserved[NR_CPUS];
static unsigned long cpu_ldt_window[NR_CPUS];
static paddr_t zero_page;

static uint64_t seg_desc(uint32_t base, uint32_t limit, uint32_t type_flags)
{
    return ((uint64_t)(limit & 0xffff)) | ((uint64_t)(base & 0xffffff) << 16) |
           ((uint64_t)type_flags << 40) | ((uint64_t)((limit >> 16) & 0xf) << 48) |
           ((uint64_t)(base >> 24) << 56);
}

static void set_gate(unsigned int vec, unsigned int ist, unsigned int dpl)
{
    uint64_t addr = (uint64_t)(trap_stubs + vec * 16);

    idt[vec].lo = (addr & 0xffff) | ((uint64_t)HYPERVISOR_CS << 16) | ((uint64_t)ist << 32) |
                  ((uint64_t)(0x8e | (dpl << 5)) << 40) | ((addr >> 16) << 48);
    idt[vec].hi = addr >> 32;
}

void idt_init(void)
{
    for (unsigned int v = 0; v < 256; v++)
        set_gate(v, IST_NONE, 0);
    set_gate(2, IST_NMI, 0);
    set_gate(8, IST_DF, 0);
    set_gate(18, IST_MC, 0);
    /* #DB too: a guest's data breakpoint on the selector of `mov ss` is reported after the
     * next instruction, which may be a `syscall` still on the guest's stack in ring 0 */
    set_gate(1, IST_DB, 0);
    /* int3 and into reach a PV guest (ring 3) as #BP/#OF, like on Xen */
    set_gate(3, IST_NONE, 3);
    set_gate(4, IST_NONE, 3);
}

void idt_load(void)
{
    struct desc_ptr p = { sizeof(idt) - 1, (uint64_t)idt };
    asm volatile("lidt %0" ::"m"(p));
}

static void gdt_fill(uint64_t *page, struct tss64 *tss)
{
    uint64_t base = (uint64_t)tss;
    /* Offsets within the page, as selectors minus 0xe000. */
    page[(HYPERVISOR_CS - 0xe000) / 8] = seg_desc(0, 0xfffff, 0xa09a);   /* L, P, DPL0 code */
    page[(HYPERVISOR_DS - 0xe000) / 8] = seg_desc(0, 0xfffff, 0xc092);   /* data */
    page[0x20 / 8] = seg_desc(0, 0xfffff, 0xc0fa);                        /* ring-3 code32 */
    page[0x28 / 8] = seg_desc(0, 0xfffff, 0xc0f2);                        /* ring-3 data */
    page[0x30 / 8] = seg_desc(0, 0xfffff, 0xa0fa);                        /* ring-3 code64 */
    page[(HYPERVISOR_CS32 - 0xe000) / 8] = seg_desc(0, 0xfffff, 0xc09a);
    page[(TSS_SELECTOR - 0xe000) / 8] = seg_desc((uint32_t)base, sizeof(*tss) - 1, 0x0089);
    page[(TSS_SELECTOR - 0xe000) / 8 + 1] = base >> 32;
}

static void load_segments(unsigned long gdt_va)
{
    struct desc_ptr p = { 0xffff, gdt_va };

    asm volatile("lgdt %0" ::"m"(p));
    asm volatile("pushq %[cs]\n\t"
                 "leaq 1f(%%rip), %%rax\n\t"
                 "pushq %%rax\n\t"
                 "lretq\n"
                 "1:\n\t"
                 "mov %[ds], %%ss\n\t"
                 "mov %[null], %%ds\n\t"
                 "mov %[null], %%es\n\t"
                 "mov %[null], %%fs\n\t"
                 "mov %[null], %%gs\n\t"
                 :
                 : [cs] "i"(HYPERVISOR_CS), [ds] "r"(HYPERVISOR_DS), [null] "r"(0)
                 : "rax", "memory");
    asm volatile("ltr %w0" ::"r"(TSS_SELECTOR));
}

bool on_ist_stack(unsigned int cpu, unsigned int ist, unsigned long sp)
{
    unsigned long top;

    if (cpu >= NR_CPUS || !cpu_tss[cpu] || ist < IST_NMI || ist >= IST_MAX)
        return false;
    top = cpu_tss[cpu]->ist[ist - 1] + 16;
    return sp < top && sp >= top - IST_STACK_SIZE;
}

int cpu_desc_init(unsigned int cpu, struct cpu_info *ci)
{
    unsigned long stack_top = (unsigned long)ci;
    unsigned long win = GDT_WINDOW(cpu);
    uint64_t *page = alloc_xenheap_pages(0);
    struct tss64 *tss = alloc_xenheap_pages(0);
    unsigned long block = stack_top & ~(unsigned long)(STACK_SIZE - 1);

    if (!page || !tss)
        return -ENOMEM;
    if (!zero_page)
        zero_page = __pa(alloc_xenheap_pages(0));
    for (unsigned int i = 0; i < 16; i++) {
        paddr_t pa = i == RESERVED_GDT_BYTE / PAGE_SIZE ? __pa(page) : zero_page;
        uint64_t fl = i == RESERVED_GDT_BYTE / PAGE_SIZE ? PAGE_HYPERVISOR_RW : PAGE_HYPERVISOR_RO;
        if (map_pages(win + i * PAGE_SIZE, pa, 1, fl))
            return -ENOMEM;
    }
    tss->rsp[0] = guest_frame_top(ci);
    tss->iomap_base = sizeof(*tss); /* no I/O bitmap: ring 3 port access faults */
    for (unsigned int i = IST_NMI; i < IST_MAX; i++)
        tss->ist[i - 1] = block + i * IST_STACK_SIZE - 16;
    gdt_fill(page, tss);
    cpu_tss[cpu] = tss;
    cpu_gdt_reserved[cpu] = page;
    if (!cpu_ldt_window[cpu]) {
        /* guest LDT frames replace the zero page per vCPU; its page tables exist from now */
        cpu_ldt_window[cpu] = (unsigned long)vmap_reserve(16 * PAGE_SIZE);
        if (map_pages(cpu_ldt_window[cpu], zero_page, 1, PAGE_HYPERVISOR_RO))
            return -ENOMEM;
    }
    load_segments(win);
    idt_load();
    return 0;
}

unsigned long desc_gdt_window(unsigned int cpu)
{
    return GDT_WINDOW(cpu);
}

unsigned long desc_ldt_window(unsigned int cpu)
{
    return cpu_ldt_window[cpu];
}

uint64_t *desc_reserved_page(unsigned int cpu)
{
    return cpu_gdt_reserved[cpu];
}

paddr_t desc_zero_page(void)
{
    return zero_page;
}
