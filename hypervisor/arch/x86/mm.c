/*
 * The hypervisor's page tables. One top-level table (the idle table) maps the image
 * with section permissions, the direct map of RAM, and the VMAP area; guests will
 * share its upper-half slots.
 */
#include <tern/bootinfo.h>
#include <tern/bug.h>
#include <tern/errno.h>
#include <tern/lib.h>
#include <tern/mm.h>
#include <tern/printk.h>
#include <tern/spinlock.h>
#include <asm/page.h>
#include <asm/processor.h>

extern char __image_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __image_end[];
extern uint64_t boot_pml4[];

static uint64_t *idle_pml4;
static paddr_t early_next, early_limit;
static unsigned long vmap_next = VMAP_VIRT_START + NR_CPUS * 0x10000ul;
static DEFINE_SPINLOCK(map_lock);
/* After frames_init(), page tables come from the heap instead. */
static bool use_heap;

void early_alloc_init(paddr_t start, paddr_t limit)
{
    early_next = ALIGN_UP(start, PAGE_SIZE);
    early_limit = limit;
}

paddr_t early_alloc_pages(unsigned long nr)
{
    paddr_t pa = early_next;

    if (nr > (early_limit - early_next) / PAGE_SIZE)
        panic("early allocator exhausted (%lu pages wanted)", nr);
    early_next += nr * PAGE_SIZE;
    memset(__va(pa), 0, nr * PAGE_SIZE);
    return pa;
}

paddr_t early_alloc_end(void)
{
    return early_next;
}

static uint64_t *alloc_table(void)
{
    if (use_heap) {
        void *p = alloc_xenheap_pages(0);
        return p;
    }
    return __va(early_alloc_pages(1));
}

/* Returns the next-level table for va at this level, creating (or splitting) it. */
static uint64_t *next_table(uint64_t *table, unsigned int idx, unsigned int level)
{
    uint64_t e = table[idx];

    if (!(e & _PAGE_PRESENT)) {
        uint64_t *t = alloc_table();
        if (!t)
            return NULL;
        table[idx] = __pa(t) | _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY;
        return t;
    }
    if (e & _PAGE_PSE) {
        /* split a superpage into the next level, keeping its attributes */
        uint64_t *t = alloc_table();
        uint64_t step = level == 3 ? (1ul << 21) : PAGE_SIZE;
        uint64_t base = e & PTE_ADDR_MASK & ~(level == 3 ? (1ul << 30) - 1 : (1ul << 21) - 1);
        uint64_t attr = e & ~PTE_ADDR_MASK;
        if (!t)
            return NULL;
        if (level == 2)
            attr &= ~_PAGE_PSE;
        for (unsigned int i = 0; i < 512; i++)
            t[i] = (base + i * step) | attr;
        table[idx] = __pa(t) | _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY;
        return t;
    }
    return __va(e & PTE_ADDR_MASK);
}

static int map_one(uint64_t *pml4, unsigned long va, paddr_t pa, uint64_t flags, bool large)
{
    uint64_t *l3 = next_table(pml4, L4_INDEX(va), 4);
    uint64_t *l2 = l3 ? next_table(l3, L3_INDEX(va), 3) : NULL;
    uint64_t *l1;

    if (!l2)
        return -ENOMEM;
    if (flags & _PAGE_USER) {
        /* a guest-readable mapping (the M2P): the walk above it must allow ring 3 */
        pml4[L4_INDEX(va)] |= _PAGE_USER;
        l3[L3_INDEX(va)] |= _PAGE_USER;
    }
    if (large) {
        l2[L2_INDEX(va)] = pa | flags | _PAGE_PSE;
        return 0;
    }
    l1 = next_table(l2, L2_INDEX(va), 2);
    if (!l1)
        return -ENOMEM;
    if (flags & _PAGE_USER)
        l2[L2_INDEX(va)] |= _PAGE_USER;
    l1[L1_INDEX(va)] = pa | flags;
    return 0;
}

static int map_range(uint64_t *pml4, unsigned long va, paddr_t pa, unsigned long nr,
                     uint64_t flags)
{
    while (nr) {
        bool large = IS_ALIGNED(va | pa, 1ul << 21) && nr >= 512;
        int rc = map_one(pml4, va, pa, flags, large);
        unsigned long step = large ? 512 : 1;
        if (rc)
            return rc;
        if (pml4 == idle_pml4 && read_cr3() == __pa(pml4))
            invlpg(va);
        va += step * PAGE_SIZE;
        pa += step * PAGE_SIZE;
        nr -= step;
    }
    return 0;
}

int map_pages(unsigned long va, paddr_t pa, unsigned long nr, uint64_t flags)
{
    unsigned long irq;
    int rc;

    spin_lock_irqsave(&map_lock, irq);
    rc = map_range(idle_pml4, va, pa, nr, flags);
    spin_unlock_irqrestore(&map_lock, irq);
    return rc;
}

/* Returns the L1 (or L2 superpage) entry for va, or NULL. */
static uint64_t *lookup(unsigned long va)
{
    uint64_t *t = idle_pml4;
    for (int level = 4; level > 1; level--) {
        unsigned int idx = (va >> (12 + 9 * (level - 1))) & 511;
        uint64_t e = t[idx];
        if (!(e & _PAGE_PRESENT))
            return NULL;
        if (e & _PAGE_PSE)
            return &t[idx];
        t = __va(e & PTE_ADDR_MASK);
    }
    return &t[L1_INDEX(va)];
}

void unmap_pages(unsigned long va, unsigned long nr)
{
    unsigned long irq;

    spin_lock_irqsave(&map_lock, irq);
    for (; nr; nr--, va += PAGE_SIZE) {
        uint64_t *e = lookup(va);
        BUG_ON(e && (*e & _PAGE_PSE)); /* only 4 KiB mappings are unmapped */
        if (e)
            *e = 0;
        invlpg(va);
    }
    spin_unlock_irqrestore(&map_lock, irq);
}

bool hypervisor_va_mapped(unsigned long va)
{
    uint64_t *e = lookup(va);
    return e && (*e & _PAGE_PRESENT);
}

void *vmap_reserve(size_t size)
{
    unsigned long irq, va;

    spin_lock_irqsave(&map_lock, irq);
    va = vmap_next;
    vmap_next += ALIGN_UP(size, PAGE_SIZE) + PAGE_SIZE; /* a guard page between areas */
    spin_unlock_irqrestore(&map_lock, irq);
    BUG_ON(vmap_next > VMAP_VIRT_END);
    return (void *)va;
}

void *ioremap(paddr_t pa, size_t size)
{
    paddr_t base = ALIGN_DOWN(pa, PAGE_SIZE);
    unsigned long nr = PFN_UP(pa + size - base);
    char *va = vmap_reserve(nr * PAGE_SIZE);

    if (map_pages((unsigned long)va, base, nr, PAGE_HYPERVISOR_UC | _PAGE_GLOBAL))
        return NULL;
    return va + (pa - base);
}

static void map_image(void)
{
    struct { char *start, *end; uint64_t flags; } parts[] = {
        { __image_start, __text_end, PAGE_HYPERVISOR_RX },
        { __rodata_start, __data_start, PAGE_HYPERVISOR_RO },
        { __data_start, __image_end, PAGE_HYPERVISOR_RW },
    };

    for (unsigned int i = 0; i < ARRAY_SIZE(parts); i++) {
        unsigned long va = ALIGN_DOWN((unsigned long)parts[i].start, PAGE_SIZE);
        unsigned long end = ALIGN_UP((unsigned long)parts[i].end, PAGE_SIZE);
        for (; va < end; va += PAGE_SIZE)
            if (map_one(idle_pml4, va, va - IMAGE_OFFSET, parts[i].flags | _PAGE_GLOBAL, false))
                panic("cannot map the hypervisor image");
    }
}

/* Direct map: every range the firmware calls RAM (usable, ACPI, NVS), 2 MiB pages where possible. */
static void map_directmap(void)
{
    for (unsigned int i = 0; i < boot_info.nr_ranges; i++) {
        const struct mem_range *r = &boot_info.ranges[i];
        paddr_t s = ALIGN_DOWN(r->start, PAGE_SIZE), e = ALIGN_UP(r->start + r->len, PAGE_SIZE);
        if (r->type == MEM_RESERVED || r->type == MEM_BAD || e <= s)
            continue;
        if (e > DIRECTMAP_VIRT_END - DIRECTMAP_VIRT_START)
            e = DIRECTMAP_VIRT_END - DIRECTMAP_VIRT_START;
        if (map_range(idle_pml4, DIRECTMAP_VIRT_START + s, s, PFN_DOWN(e - s),
                      PAGE_HYPERVISOR_RW | _PAGE_GLOBAL))
            panic("cannot build the direct map");
    }
    /* The first MiB, for the SMP trampoline and BIOS data, whatever its type. */
    map_range(idle_pml4, DIRECTMAP_VIRT_START, 0, 256, PAGE_HYPERVISOR_RW);
}

void paging_init(void)
{
    idle_pml4 = alloc_table();
    map_image();
    map_directmap();
    /* Every hypervisor slot gets its L3 now: guests' L4s copy these slots once, so
     * mappings added later (the M2P, per-domain areas) reach them too. */
    for (unsigned int slot = L4_INDEX(HV_VIRT_START); slot < L4_INDEX(HV_VIRT_START) + 16; slot++)
        if (!(idle_pml4[slot] & _PAGE_PRESENT))
            next_table(idle_pml4, slot, 4);
    /* Identity map of low memory stays until the APs have left their trampoline. */
    idle_pml4[0] = boot_pml4[0];
    write_cr4(read_cr4() | X86_CR4_PGE);
    write_cr3(__pa(idle_pml4));
}

void paging_drop_identity(void)
{
    idle_pml4[0] = 0;
    flush_tlb_local();
}

const uint64_t *idle_pml4_hypervisor_slots(void)
{
    return &idle_pml4[L4_INDEX(HV_VIRT_START)];
}

paddr_t idle_pml4_pa(void)
{
    return __pa(idle_pml4);
}

void paging_use_heap(void);
void paging_use_heap(void)
{
    use_heap = true;
}
