/* Glue from boot memory to the frame table, the buddy allocator and the heap. */
#include <tern/bootinfo.h>
#include <tern/buddy.h>
#include <tern/bug.h>
#include <tern/lib.h>
#include <tern/mm.h>
#include <tern/printk.h>
#include <tern/spinlock.h>
#include <tern/xmalloc.h>
#include <asm/page.h>

extern char __image_start[], __image_end[];
void paging_use_heap(void);

/* A lock with its saved IRQ state, for the allocators' lock hooks. */
struct irq_lock {
    spinlock_t lock;
    unsigned long flags; /* written only by the holder */
};

static struct buddy heap;
static struct irq_lock heap_lock, xmalloc_lock;
static uint64_t total_pages;

static void heap_lock_fn(void *arg)
{
    struct irq_lock *l = arg;
    unsigned long f;

    spin_lock_irqsave(&l->lock, f);
    l->flags = f;
}

static void heap_unlock_fn(void *arg)
{
    struct irq_lock *l = arg;
    unsigned long f = l->flags;

    spin_unlock_irqrestore(&l->lock, f);
}

struct page_info *alloc_domheap_pages(unsigned int order)
{
    int64_t mfn = buddy_alloc(&heap, order);
    return mfn < 0 ? NULL : mfn_to_page((mfn_t)mfn);
}

struct page_info *alloc_domheap_pages_below(unsigned int order, mfn_t limit)
{
    int64_t mfn = buddy_alloc_below(&heap, order, limit);
    return mfn < 0 ? NULL : mfn_to_page((mfn_t)mfn);
}

/* The frame table's hook: a page whose last reference went returns to the allocator. */
void free_domheap_page(struct page_info *pg)
{
    pg->owner = DOMID_INVALID;
    pg->type_info = 0;
    buddy_free(&heap, page_to_mfn(pg), 0);
}

void *alloc_xenheap_pages(unsigned int order)
{
    int64_t mfn = buddy_alloc(&heap, order);
    void *va;

    if (mfn < 0)
        return NULL;
    va = __va((paddr_t)mfn << PAGE_SHIFT);
    memset(va, 0, PAGE_SIZE << order);
    return va;
}

void free_xenheap_pages(void *va, unsigned int order)
{
    buddy_free(&heap, PFN_DOWN(__pa(va)), order);
}

uint64_t frames_free_pages(void)
{
    return buddy_free_pages(&heap);
}

uint64_t frames_total_pages(void)
{
    return total_pages;
}

/* Frames that must never reach the allocator: low memory, the image, boot allocations,
 * the loader's information and the boot modules. */
static bool frame_in_use(mfn_t mfn, mfn_t used_end)
{
    paddr_t pa = (paddr_t)mfn << PAGE_SHIFT;

    if (pa < 0x100000 || (pa >= __pa(__image_start) && mfn < used_end))
        return true;
    if (pa + PAGE_SIZE > boot_info.info_start && pa < boot_info.info_end)
        return true;
    for (unsigned int i = 0; i < boot_info.nr_modules; i++)
        if (pa + PAGE_SIZE > boot_info.modules[i].start && pa < boot_info.modules[i].end)
            return true;
    return false;
}

static void add_usable_range(mfn_t s, mfn_t e, mfn_t used_end)
{
    while (s < e) {
        mfn_t run = s;
        while (run < e && !frame_in_use(run, used_end))
            run++;
        if (run > s)
            buddy_add_range(&heap, s, run - s);
        while (run < e && frame_in_use(run, used_end))
            run++;
        s = run;
    }
}

void frames_init(void)
{
    mfn_t nr = PFN_UP(bootinfo_max_ram_addr());
    size_t bytes = nr * sizeof(struct page_info);
    struct page_info *table = __va(early_alloc_pages(PFN_UP(bytes)));
    mfn_t used_end;
    static const struct xmalloc_ops xops = {
        .page_alloc = alloc_xenheap_pages,
        .page_free = free_xenheap_pages,
        .lock = heap_lock_fn,
        .unlock = heap_unlock_fn,
        .lock_arg = &xmalloc_lock,
    };

    frame_table_init(table, nr);
    buddy_init(&heap, table, nr);
    buddy_set_lock(&heap, heap_lock_fn, heap_unlock_fn, &heap_lock);
    used_end = PFN_UP(early_alloc_end());
    for (unsigned int i = 0; i < boot_info.nr_ranges; i++) {
        const struct mem_range *r = &boot_info.ranges[i];
        if (r->type != MEM_USABLE)
            continue;
        mfn_t s = PFN_UP(r->start), e = min(PFN_DOWN(r->start + r->len), nr);
        if (s < e)
            add_usable_range(s, e, used_end);
    }
    /* The image and the boot modules belong to the hypervisor until a domain takes them. */
    for (mfn_t m = PFN_DOWN(__pa(__image_start)); m < used_end && m < nr; m++)
        table[m].owner = DOMID_XEN;
    for (unsigned int i = 0; i < boot_info.nr_modules; i++)
        for (mfn_t m = PFN_DOWN(boot_info.modules[i].start);
             m < PFN_UP(boot_info.modules[i].end) && m < nr; m++)
            table[m].owner = DOMID_XEN;
    total_pages = buddy_free_pages(&heap);
    xmalloc_init(&xops);
    paging_use_heap();
    pr_info("frames: %lu pages in the frame table (%lu KiB), %lu free for allocation\n",
            (unsigned long)nr, (unsigned long)bytes >> 10, (unsigned long)total_pages);
}
