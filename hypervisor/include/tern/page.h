/* The frame table: one struct page_info per machine frame, with the
 * Xen-style general reference count and type count (hypervisor/common/frame.c).
 *
 * count_info: PGC_* flags in the top bits, general reference count below.
 *   A page owned by a domain holds one reference for PGC_allocated; every
 *   mapping or in-hypervisor user holds another. When the count drops to 0
 *   the free hook gives the page back.
 * type_info: the page's single current use (PGT_* type in the top 3 bits),
 *   PGT_validated once the validate hook accepted its contents for that type,
 *   PGT_pinned, and a type count below. A page may only change type while its
 *   type count is 0. */
#ifndef TERN_PAGE_H
#define TERN_PAGE_H

#include <tern/types.h>
#include <tern/list.h>

struct page_info {
    struct list_head list; /* free list while free; owner's page list while allocated */
    uint64_t count_info;   /* PGC_* flags | general reference count */
    uint64_t type_info;    /* PGT_* type | PGT_validated | PGT_pinned | type count */
    uint32_t owner;        /* domain id; DOMID_INVALID when none, DOMID_XEN for the hypervisor */
    uint8_t order;         /* buddy order of a free block (head page only) */
    uint8_t shadow_level;  /* 1..4 for a shadow table (log-dirty), 0 otherwise */
    uint16_t foreign_rw;   /* writable mappings from other domains' tables (saturates) */
    uint64_t shadow_link;  /* log-dirty: a guest table's shadow, or a shadow's guest table (mfn + 1) */
    int16_t linear_pt_count; /* a table's linear entries to others (> 0) or uses by others (< 0) */
};
_Static_assert(sizeof(struct page_info) == 56, "page_info layout");

#define DOMID_XEN 0x7FF2U
#define DOMID_INVALID 0x7FF4U

/* count_info */
#define PGC_allocated (1ULL << 63) /* the owner holds a reference */
#define PGC_free (1ULL << 62)      /* in the buddy allocator (every page of a free block) */
#define PGC_reserved (1ULL << 61)  /* not RAM for the allocator: hole, firmware, image */
#define PGC_broken (1ULL << 60)    /* failed hardware; never hand out again */
#define PGC_flags_mask (0xFULL << 60)
#define PGC_count_width 48
#define PGC_count_mask ((1ULL << PGC_count_width) - 1)

/* type_info */
#define PGT_type_shift 61
#define PGT_type_mask (7ULL << PGT_type_shift)
#define PGT_none (0ULL << PGT_type_shift)
#define PGT_l1_page_table (1ULL << PGT_type_shift)
#define PGT_l2_page_table (2ULL << PGT_type_shift)
#define PGT_l3_page_table (3ULL << PGT_type_shift)
#define PGT_l4_page_table (4ULL << PGT_type_shift)
#define PGT_seg_desc_page (5ULL << PGT_type_shift)
#define PGT_shared_page (6ULL << PGT_type_shift)
#define PGT_writable_page (7ULL << PGT_type_shift)
#define PGT_pinned (1ULL << 60)
#define PGT_validated (1ULL << 59)
#define PGT_count_width 48
#define PGT_count_mask ((1ULL << PGT_count_width) - 1)

/* Page-table and descriptor types are checked by validate on first use and
 * torn down by invalidate when the last type reference goes. */
static inline bool pgt_is_table(uint64_t type)
{
    return type >= PGT_l1_page_table && type <= PGT_l4_page_table;
}

static inline bool pgt_needs_invalidate(uint64_t type)
{
    return type >= PGT_l1_page_table && type <= PGT_seg_desc_page;
}

struct frame_hooks {
    /* Check (and take the references implied by) the page's contents for
     * use as `type`. 0 or -Exxx; on error the page stays untyped. */
    int (*validate)(struct page_info *pg, uint64_t type);
    /* Undo validate when the last reference of a validated page-table or
     * descriptor type is dropped. */
    void (*invalidate)(struct page_info *pg, uint64_t type);
    /* The general reference count reached 0 (PGC_allocated already gone). */
    void (*free_page)(struct page_info *pg);
    /* A page-table frame (count 0) is becoming a type that is not a page table. */
    void (*table_retyped)(struct page_info *pg);
};

extern struct page_info *frame_table;
extern mfn_t frame_table_nr;

/* Adopts `table` of nr entries as the frame table and marks every frame
 * PGC_reserved, unowned, with zero counts. */
void frame_table_init(struct page_info *table, mfn_t nr);
/* Missing hooks are treated as "accept" / no-op. */
void frame_set_hooks(const struct frame_hooks *hooks);

bool mfn_valid(mfn_t mfn);
/* NULL when !mfn_valid(mfn). */
struct page_info *mfn_to_page(mfn_t mfn);
mfn_t page_to_mfn(const struct page_info *pg);

/* Gives an unowned page (count 0) to domid: sets owner, PGC_allocated and
 * the allocation reference (count 1). -EBUSY if the page is in use or free
 * in the allocator, -EINVAL if reserved. */
int frame_assign(struct page_info *pg, uint32_t domid);
/* Owner gives up the page: clears PGC_allocated and drops its reference.
 * Returns false if PGC_allocated was not set. */
bool frame_release(struct page_info *pg);

/* Takes a general reference if the page is in use, owned by domid and the
 * count would not overflow. */
bool get_page(struct page_info *pg, uint32_t domid);
void put_page(struct page_info *pg);

/* Takes a type reference (Xen semantics): count 0 with a different type or
 * not yet validated switches type and runs validate; same type bumps the
 * count; different type in use -> -EBUSY; saturated count -> -EOVERFLOW;
 * validate failure -> its error, page left PGT_none with count 0. */
int get_page_type(struct page_info *pg, uint64_t type);
void put_page_type(struct page_info *pg);

/* Both references at once, or neither: 0, -EACCES (get_page failed), or the
 * get_page_type error. */
int get_page_and_type(struct page_info *pg, uint32_t domid, uint64_t type);
void put_page_and_type(struct page_info *pg);

static inline uint64_t page_get_count(const struct page_info *pg)
{
    return __atomic_load_n(&pg->count_info, __ATOMIC_ACQUIRE) & PGC_count_mask;
}

static inline uint64_t page_get_type(const struct page_info *pg)
{
    return __atomic_load_n(&pg->type_info, __ATOMIC_ACQUIRE) & PGT_type_mask;
}

static inline uint64_t page_get_type_count(const struct page_info *pg)
{
    return __atomic_load_n(&pg->type_info, __ATOMIC_ACQUIRE) & PGT_count_mask;
}

#endif /* TERN_PAGE_H */
