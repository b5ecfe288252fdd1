/* Glue from boot memory to the frame table, the buddy allocator and the heap. */
#include <tern/bootinfo.h>
#include <tern/buddy.h>
#include <tern/bug.h>
#include <tern/cmdline.h>
#include <tern/lib.h>
#include <tern/mm.h>
#include <tern/printk.h>
#include <tern/spinlock.h>
#include <tern/time.h>
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

/*
 * Idle-time scrubbing, as on Xen: a CPU with nothing to run zeroes free frames that may hold
 * a previous owner's data and marks them, so that a domain's next frames need no scrub when
 * they are handed out (under emulation the first write to a frame that held translated code
 * costs ~10 us: a 128 MiB restore spent 340 ms scrubbing). A bit is set only on a free frame,
 * under the heap lock, and cleared whenever a frame is freed: on a frame just allocated, a
 * set bit means zeroes.
 */
static bool opt_scrub_idle;
BOOT_PARAM_BOOL("scrub_idle", opt_scrub_idle);
static uint64_t *zeroed;      /* one bit per frame */
static mfn_t scrub_next;      /* where the scan goes on */
static uint32_t frees;        /* bumped by every free */
static uint32_t pass_frees;   /* frees when the scan last began at frame 0 */
static bool scrub_work;       /* frames may be left to scrub */
static bool scrubbing;        /* one CPU scrubs at a time */
static s_time_t scrub_after;  /* no idle scrubbing before this */
#define SCRUB_DEFER_NS 500000000 /* after a domain's destruction */

static bool zeroed_take(mfn_t mfn)
{
    uint64_t bit = 1ULL << (mfn % 64);

    return zeroed && (__atomic_fetch_and(&zeroed[mfn / 64], ~bit, __ATOMIC_ACQ_REL) & bit);
}

static void freed(mfn_t mfn, unsigned int order)
{
    for (mfn_t i = 0; i < (1ULL << order); i++)
        zeroed_take(mfn + i);
    __atomic_fetch_add(&frees, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&scrub_work, true, __ATOMIC_RELEASE);
}

/* The buddy's clean hook, under the heap lock. */
static bool frames_zeroed(void *unused, mfn_t mfn, mfn_t n)
{
    if (n < 64) { /* runs are aligned to their size: within one word */
        uint64_t mask = ((1ULL << n) - 1) << (mfn % 64);
        return (__atomic_load_n(&zeroed[mfn / 64], __ATOMIC_RELAXED) & mask) == mask;
    }
    for (mfn_t w = mfn / 64; w < (mfn + n) / 64; w++)
        if (__atomic_load_n(&zeroed[w], __ATOMIC_RELAXED) != ~0ULL)
            return false;
    return true;
}

void frame_scrub(struct page_info *pg)
{
    mfn_t mfn = page_to_mfn(pg);

    if (!zeroed_take(mfn))
        memset(__va((paddr_t)mfn << PAGE_SHIFT), 0, PAGE_SIZE);
}

static unsigned int scrub_holds; /* domains in log-dirty mode */

void heap_scrub_hold(bool hold)
{
    if (hold)
        __atomic_add_fetch(&scrub_holds, 1, __ATOMIC_RELEASE);
    else
        __atomic_sub_fetch(&scrub_holds, 1, __ATOMIC_RELEASE);
}

bool heap_scrub_pending(void)
{
    return zeroed && __atomic_load_n(&scrub_work, __ATOMIC_ACQUIRE) &&
           !__atomic_load_n(&scrub_holds, __ATOMIC_ACQUIRE) &&
           NOW() >= __atomic_load_n(&scrub_after, __ATOMIC_RELAXED);
}

/* A destroyed domain's frames: under emulation, zeroing frames that held code slows the
 * busy CPUs too (QEMU invalidates its translations), and what follows a destroy is often
 * a restore or a create, which take frames already zeroed first. So the idle scrubbing
 * waits a moment (it goes on at an idle CPU's next wake-up after that). */
void heap_scrub_defer(void)
{
    if (zeroed)
        __atomic_store_n(&scrub_after, NOW() + SCRUB_DEFER_NS, __ATOMIC_RELAXED);
}

#define SCRUB_SCAN 65536 /* frames looked at per call at most (~1 ms when none is dirty) */

bool heap_scrub_some(void)
{
    bool found = false;

    /* one CPU at a time: under emulation each idle CPU that scrubs keeps a host thread busy */
    if (__atomic_exchange_n(&scrubbing, true, __ATOMIC_ACQUIRE))
        return false;
    for (unsigned int n = 0; n < SCRUB_SCAN && !found; n++) {
        mfn_t mfn = __atomic_fetch_add(&scrub_next, 1, __ATOMIC_RELAXED) % heap.nr_frames;
        struct page_info *pg = &heap.frames[mfn];

        /* a pass over every frame with no free meanwhile left nothing behind it: the next
         * one is owed to a free (a frame missed waits for its owner's allocation to scrub it) */
        if (mfn == 0)
            __atomic_store_n(&pass_frees, __atomic_load_n(&frees, __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
        else if (mfn == heap.nr_frames - 1 &&
                 __atomic_load_n(&frees, __ATOMIC_ACQUIRE) == __atomic_load_n(&pass_frees, __ATOMIC_ACQUIRE))
            __atomic_store_n(&scrub_work, false, __ATOMIC_RELEASE);
        if (!(__atomic_load_n(&pg->count_info, __ATOMIC_RELAXED) & PGC_free) ||
            (__atomic_load_n(&zeroed[mfn / 64], __ATOMIC_RELAXED) >> (mfn % 64) & 1))
            continue;
        heap_lock_fn(&heap_lock);
        if ((pg->count_info & PGC_free) && !(zeroed[mfn / 64] >> (mfn % 64) & 1)) {
            memset(__va((paddr_t)mfn << PAGE_SHIFT), 0, PAGE_SIZE);
            __atomic_fetch_or(&zeroed[mfn / 64], 1ULL << (mfn % 64), __ATOMIC_RELEASE);
            found = true;
        }
        heap_unlock_fn(&heap_lock);
    }
    __atomic_store_n(&scrubbing, false, __ATOMIC_RELEASE);
    return found;
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
    freed(page_to_mfn(pg), 0);
    buddy_free(&heap, page_to_mfn(pg), 0);
}

#define CHUNK_ORDER 9

struct page_info *frame_chunk_take(struct frame_chunk *c)
{
    if (c->pg && c->used < (1u << CHUNK_ORDER))
        return c->pg + c->used++;
    c->pg = alloc_domheap_pages(CHUNK_ORDER);
    c->used = 1;
    return c->pg ? c->pg : alloc_domheap_pages(0);
}

void frame_chunk_release(struct frame_chunk *c)
{
    for (unsigned int i = c->used; c->pg && i < (1u << CHUNK_ORDER); i++)
        free_domheap_page(c->pg + i);
    c->pg = NULL;
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
    freed(PFN_DOWN(__pa(va)), order);
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
    if (opt_scrub_idle && (zeroed = xzalloc_array(uint64_t, (nr + 63) / 64))) {
        scrub_work = true; /* what boot left in free memory */
        buddy_set_clean(&heap, frames_zeroed, NULL);
    }
    paging_use_heap();
    pr_info("frames: %lu pages in the frame table (%lu KiB), %lu free for allocation\n",
            (unsigned long)nr, (unsigned long)bytes >> 10, (unsigned long)total_pages);
}
