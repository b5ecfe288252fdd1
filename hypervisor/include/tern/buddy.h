/* Binary buddy allocator of machine frames over a frame table
 * (hypervisor/common/buddy.c). Blocks of 2^order frames, naturally aligned.
 * Every page of a free block carries PGC_free; the head page also holds the
 * order and sits on the free list of that order. */
#ifndef TERN_BUDDY_H
#define TERN_BUDDY_H

#include <tern/types.h>
#include <tern/list.h>
#include <tern/page.h>

#define BUDDY_MAX_ORDER 18 /* 2^18 frames = 1 GiB */

struct buddy {
    struct page_info *frames;
    mfn_t nr_frames;
    uint64_t nr_free;                 /* free frames */
    uint64_t nr_blocks[BUDDY_MAX_ORDER + 1];
    struct list_head free[BUDDY_MAX_ORDER + 1];
    /* Optional lock hooks (the kernel plugs its spinlock; NULL = none). */
    void (*lock)(void *arg);
    void (*unlock)(void *arg);
    void *lock_arg;
    /* Optional: whether free frames [mfn, mfn+n) are known to hold zeroes. */
    bool (*clean)(void *arg, mfn_t mfn, mfn_t n);
    void *clean_arg;
};

/* frames[0 .. nr_frames) describe mfns 0 .. nr_frames-1 (normally the
 * frame table). Resets every entry to PGC_reserved, zero counts, unowned:
 * nothing is allocatable until buddy_add_range. */
void buddy_init(struct buddy *b, struct page_info *frames, mfn_t nr_frames);
void buddy_set_lock(struct buddy *b, void (*lock)(void *), void (*unlock)(void *),
                    void *arg);
/* With a clean hook, buddy_alloc of order > 0 takes zeroed frames when a free block
 * holds an aligned run of them (as Xen prefers scrubbed buddies); otherwise as before. */
void buddy_set_clean(struct buddy *b, bool (*clean)(void *, mfn_t, mfn_t), void *arg);

/* Hands free RAM [start, start+count) to the allocator (clipped to the
 * table). Frames must not already be free (BUG_ON). */
void buddy_add_range(struct buddy *b, mfn_t start, mfn_t count);

/* First mfn of a block of 2^order frames, or -ENOMEM (-EINVAL if order is
 * above BUDDY_MAX_ORDER). The pages come back with count_info 0,
 * type_info 0, owner DOMID_INVALID. */
int64_t buddy_alloc(struct buddy *b, unsigned order);
/* Same, but the whole block lies below mfn `limit`. */
int64_t buddy_alloc_below(struct buddy *b, unsigned order, mfn_t limit);

/* Returns a block; merges it with free buddies. BUG_ON for misaligned or
 * out-of-range blocks and for pages already free or reserved. */
void buddy_free(struct buddy *b, mfn_t mfn, unsigned order);

uint64_t buddy_free_pages(const struct buddy *b);
/* Number of free blocks of exactly this order. */
uint64_t buddy_free_blocks(const struct buddy *b, unsigned order);

#endif /* TERN_BUDDY_H */
