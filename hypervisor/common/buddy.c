/* Binary buddy allocator of machine frames.
 *
 * Free blocks are 2^order frames aligned to their size. Every frame of a
 * free block has PGC_free set (so a stray free of any frame inside it is
 * caught); the head frame carries the order and is linked on free[order].
 * Freeing merges with the buddy block (mfn ^ 2^order) while that buddy is a
 * free block of the same order. */
#include <tern/buddy.h>
#include <tern/bug.h>
#include <tern/errno.h>

static void buddy_lock(struct buddy *b)
{
    if (b->lock)
        b->lock(b->lock_arg);
}

static void buddy_unlock(struct buddy *b)
{
    if (b->unlock)
        b->unlock(b->lock_arg);
}

void buddy_init(struct buddy *b, struct page_info *frames, mfn_t nr_frames)
{
    b->frames = frames;
    b->nr_frames = nr_frames;
    b->nr_free = 0;
    for (unsigned i = 0; i <= BUDDY_MAX_ORDER; i++) {
        list_init(&b->free[i]);
        b->nr_blocks[i] = 0;
    }
    b->lock = NULL;
    b->unlock = NULL;
    b->lock_arg = NULL;
    b->clean = NULL;
    b->clean_arg = NULL;
    for (mfn_t i = 0; i < nr_frames; i++) {
        list_init(&frames[i].list);
        frames[i].count_info = PGC_reserved;
        frames[i].type_info = 0;
        frames[i].owner = DOMID_INVALID;
        frames[i].order = 0;
    }
}

void buddy_set_lock(struct buddy *b, void (*lock)(void *), void (*unlock)(void *),
                    void *arg)
{
    b->lock = lock;
    b->unlock = unlock;
    b->lock_arg = arg;
}

void buddy_set_clean(struct buddy *b, bool (*clean)(void *, mfn_t, mfn_t), void *arg)
{
    b->clean = clean;
    b->clean_arg = arg;
}

static void block_link(struct buddy *b, mfn_t mfn, unsigned order)
{
    struct page_info *head = &b->frames[mfn];

    head->order = (uint8_t)order;
    list_add_tail(&head->list, &b->free[order]);
    b->nr_blocks[order]++;
}

static void block_unlink(struct buddy *b, mfn_t mfn, unsigned order)
{
    list_del(&b->frames[mfn].list);
    b->frames[mfn].order = 0;
    b->nr_blocks[order]--;
}

static bool is_free_head(const struct buddy *b, mfn_t mfn, unsigned order)
{
    return mfn < b->nr_frames && (b->frames[mfn].count_info & PGC_free) &&
           b->frames[mfn].order == order;
}

/* Frees a checked block and merges it upwards as far as possible. Only the
 * new frames need marking: merged buddies are marked already. */
static void free_and_merge(struct buddy *b, mfn_t mfn, unsigned order)
{
    for (mfn_t i = 0; i < (1ULL << order); i++) {
        b->frames[mfn + i].count_info = PGC_free;
        b->frames[mfn + i].type_info = 0;
        b->frames[mfn + i].owner = DOMID_INVALID;
        b->frames[mfn + i].order = 0;
    }
    b->nr_free += 1ULL << order;
    while (order < BUDDY_MAX_ORDER) {
        mfn_t buddy = mfn ^ (1ULL << order);

        if (!is_free_head(b, buddy, order))
            break;
        block_unlink(b, buddy, order);
        mfn &= ~(1ULL << order);
        order++;
    }
    block_link(b, mfn, order);
}

static void check_block_in_use(const struct buddy *b, mfn_t mfn, unsigned order)
{
    BUG_ON(order > BUDDY_MAX_ORDER);
    BUG_ON(mfn & ((1ULL << order) - 1));
    BUG_ON(mfn >= b->nr_frames || (1ULL << order) > b->nr_frames - mfn);
    for (mfn_t i = 0; i < (1ULL << order); i++)
        BUG_ON(b->frames[mfn + i].count_info & (PGC_free | PGC_reserved));
}

void buddy_add_range(struct buddy *b, mfn_t start, mfn_t count)
{
    mfn_t end;

    if (start >= b->nr_frames)
        return;
    end = count > b->nr_frames - start ? b->nr_frames : start + count;
    buddy_lock(b);
    for (mfn_t i = start; i < end; i++)
        BUG_ON(b->frames[i].count_info & PGC_free);
    /* Checked; nothing below can fail. */
    /* Largest aligned block that starts at start and fits; merging then
     * joins it with neighbours added earlier. */
    while (start < end) {
        unsigned order = 0;

        while (order < BUDDY_MAX_ORDER && !(start & (1ULL << order)) &&
               (2ULL << order) <= end - start)
            order++;
        free_and_merge(b, start, order);
        start += 1ULL << order;
    }
    buddy_unlock(b);
}

/* Takes block (mfn, from) off its list and splits it down to the 2^order frames at `at`
 * (aligned, inside it), freeing the halves around them. */
static mfn_t split_block_at(struct buddy *b, mfn_t mfn, unsigned from, mfn_t at, unsigned order)
{
    block_unlink(b, mfn, from);
    while (from > order) {
        mfn_t half = 1ULL << --from;

        if (at >= mfn + half) {
            block_link(b, mfn, from);
            mfn += half;
        } else {
            block_link(b, mfn + half, from);
        }
    }
    for (mfn_t i = 0; i < (1ULL << order); i++) {
        struct page_info *pg = &b->frames[mfn + i];

        pg->count_info = 0;
        pg->type_info = 0;
        pg->owner = DOMID_INVALID;
        pg->order = 0;
        list_init(&pg->list);
    }
    b->nr_free -= 1ULL << order;
    return mfn;
}

static mfn_t split_block(struct buddy *b, mfn_t mfn, unsigned from, unsigned order)
{
    return split_block_at(b, mfn, from, mfn, order);
}

#define CLEAN_BLOCKS 8     /* free blocks looked at per order */
#define CLEAN_RUNS 4096    /* runs looked at in all, per allocation */

/* A free block holding an aligned run of 2^order clean frames: its head and order, and
 * the run. Caller holds the lock. */
static bool find_clean(struct buddy *b, unsigned order, mfn_t *blk, unsigned *from, mfn_t *at)
{
    unsigned runs = 0;

    for (unsigned o = order; o <= BUDDY_MAX_ORDER; o++) {
        unsigned blocks = 0;
        struct page_info *pg;

        list_for_each_entry(pg, &b->free[o], list) {
            mfn_t head = (mfn_t)(pg - b->frames);

            for (mfn_t a = head; a < head + (1ULL << o); a += 1ULL << order) {
                if (b->clean(b->clean_arg, a, 1ULL << order)) {
                    *blk = head;
                    *from = o;
                    *at = a;
                    return true;
                }
                if (++runs == CLEAN_RUNS)
                    return false;
            }
            if (++blocks == CLEAN_BLOCKS)
                break;
        }
    }
    return false;
}

int64_t buddy_alloc_below(struct buddy *b, unsigned order, mfn_t limit)
{
    int64_t ret = -ENOMEM;

    if (order > BUDDY_MAX_ORDER)
        return -EINVAL;
    buddy_lock(b);
    for (unsigned o = order; o <= BUDDY_MAX_ORDER && ret < 0; o++) {
        struct page_info *pg;

        /* The low 2^order frames of any block starting low enough will do. */
        list_for_each_entry(pg, &b->free[o], list) {
            mfn_t mfn = (mfn_t)(pg - b->frames);

            if (mfn < limit && (1ULL << order) <= limit - mfn) {
                ret = (int64_t)split_block(b, mfn, o, order);
                break;
            }
        }
    }
    buddy_unlock(b);
    return ret;
}

int64_t buddy_alloc(struct buddy *b, unsigned order)
{
    int64_t ret = -ENOMEM;

    if (order > BUDDY_MAX_ORDER)
        return -EINVAL;
    buddy_lock(b);
    mfn_t head, at;
    unsigned from;
    if (order && b->clean && find_clean(b, order, &head, &from, &at))
        ret = (int64_t)split_block_at(b, head, from, at, order);
    for (unsigned o = order; o <= BUDDY_MAX_ORDER && ret < 0; o++) {
        if (!list_empty(&b->free[o])) {
            struct page_info *pg = list_first_entry(&b->free[o], struct page_info, list);
            ret = (int64_t)split_block(b, (mfn_t)(pg - b->frames), o, order);
            break;
        }
    }
    buddy_unlock(b);
    return ret;
}

void buddy_free(struct buddy *b, mfn_t mfn, unsigned order)
{
    buddy_lock(b);
    check_block_in_use(b, mfn, order);
    free_and_merge(b, mfn, order);
    buddy_unlock(b);
}

uint64_t buddy_free_pages(const struct buddy *b)
{
    return b->nr_free;
}

uint64_t buddy_free_blocks(const struct buddy *b, unsigned order)
{
    return order <= BUDDY_MAX_ORDER ? b->nr_blocks[order] : 0;
}
