/* Hypervisor memory management: boot-time allocation, page tables, the frame allocator. */
#ifndef TERN_MM_H
#define TERN_MM_H

#include <tern/types.h>
#include <tern/page.h>

/* Boot: hands out frames before the buddy allocator exists. */
void early_alloc_init(paddr_t start, paddr_t limit);
paddr_t early_alloc_pages(unsigned long nr);  /* zeroed; panics when out of memory */
paddr_t early_alloc_end(void);

/* Page tables of the hypervisor's own address space. */
void paging_init(void);
int map_pages(unsigned long va, paddr_t pa, unsigned long nr, uint64_t flags);
void unmap_pages(unsigned long va, unsigned long nr);
void *ioremap(paddr_t pa, size_t size);
void *vmap_reserve(size_t size);            /* address space only */
void paging_drop_identity(void);
paddr_t idle_pml4_pa(void);
const uint64_t *idle_pml4_hypervisor_slots(void); /* the 16 slots guests share */
bool hypervisor_va_mapped(unsigned long va);

/* The frame allocator: after frames_init(), the heap (xmalloc) is usable. */
void frames_init(void);
struct page_info *alloc_domheap_pages(unsigned int order);
/* Every frame of the block below limit (an MFN). */
struct page_info *alloc_domheap_pages_below(unsigned int order, mfn_t limit);
void free_domheap_page(struct page_info *pg);
void *alloc_xenheap_pages(unsigned int order);  /* zeroed, direct-mapped */
void free_xenheap_pages(void *va, unsigned int order);
/* A frame just allocated for a domain, zeroed unless the idle scrubber did it already. */
void frame_scrub(struct page_info *pg);
/* Idle CPUs (scrub_idle): whether free frames may be left to scrub; scrub one, looking at a
 * 64Ki frames at most (false: none found there, or another CPU is at it). */
bool heap_scrub_pending(void);
bool heap_scrub_some(void);
void heap_scrub_defer(void);
/* No idle scrubbing while a hold is on (a domain in log-dirty mode: under QEMU, zeroing a
 * frame that held code invalidates translations and slows every CPU, and a snapshot's stop
 * falls somewhere in log-dirty mode). */
void heap_scrub_hold(bool hold);
/*
 * Single frames for a long run of requests, taken from 2 MiB blocks: one trip through the
 * allocator for 512, and the block comes from frames the idle scrubber zeroed (buddy_alloc
 * prefers them) where single frames come back in the order the last guest freed them. Under
 * QEMU writing into a frame that held a destroyed guest's code throws its translations
 * away, page by page: a restore right after a save spent 230 ms on that. Start with
 * pg = NULL; release gives back the frames not taken (NULL: no frame at all).
 */
struct frame_chunk {
    struct page_info *pg;
    unsigned int used;
};
struct page_info *frame_chunk_take(struct frame_chunk *c);
void frame_chunk_release(struct frame_chunk *c);
uint64_t frames_free_pages(void);
uint64_t frames_total_pages(void);

#endif
