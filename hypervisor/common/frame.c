/* Frame table: per-frame ownership, general reference counts and type counts.
 *
 * Both counters live in one 64-bit word each and change only by
 * compare-and-exchange, so any CPU may take or drop references without a
 * lock. The rules follow Xen: a page has one type at a time, may change type
 * only while its type count is 0, and page-table types are validated on the
 * first reference and invalidated when the last one goes. */
#include <tern/page.h>
#include <tern/bug.h>
#include <tern/errno.h>

struct page_info *frame_table;
mfn_t frame_table_nr;
static struct frame_hooks hooks;

static inline bool cas64(uint64_t *p, uint64_t *expected, uint64_t desired)
{
    return __atomic_compare_exchange_n(p, expected, desired, false,
                                       __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static inline uint64_t load64(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void cpu_relax_hint(void)
{
    __builtin_ia32_pause();
}

void frame_table_init(struct page_info *table, mfn_t nr)
{
    for (mfn_t i = 0; i < nr; i++) {
        struct page_info *pg = &table[i];

        list_init(&pg->list);
        pg->count_info = PGC_reserved;
        pg->type_info = 0;
        pg->owner = DOMID_INVALID;
        pg->order = 0;
        pg->shadow_level = 0;
        pg->foreign_rw = 0;
        pg->shadow_link = 0;
        pg->linear_pt_count = 0;
    }
    frame_table = table;
    frame_table_nr = nr;
}

void frame_set_hooks(const struct frame_hooks *h)
{
    struct frame_hooks none = { NULL, NULL, NULL, NULL };

    hooks = h ? *h : none;
}

bool mfn_valid(mfn_t mfn)
{
    return frame_table && mfn < frame_table_nr;
}

struct page_info *mfn_to_page(mfn_t mfn)
{
    return mfn_valid(mfn) ? &frame_table[mfn] : NULL;
}

mfn_t page_to_mfn(const struct page_info *pg)
{
    ASSERT(pg >= frame_table && pg < frame_table + frame_table_nr);
    return (mfn_t)(pg - frame_table);
}

int frame_assign(struct page_info *pg, uint32_t domid)
{
    uint64_t x = load64(&pg->count_info);

    do {
        if (x & PGC_reserved)
            return -EINVAL;
        if ((x & (PGC_free | PGC_allocated | PGC_broken)) || (x & PGC_count_mask))
            return -EBUSY;
    } while (!cas64(&pg->count_info, &x, x | PGC_allocated | 1));
    /* Nobody else can reach the page until the owner is published. */
    __atomic_store_n(&pg->owner, domid, __ATOMIC_RELEASE);
    return 0;
}

bool frame_release(struct page_info *pg)
{
    uint64_t x = load64(&pg->count_info);

    do {
        if (!(x & PGC_allocated))
            return false;
    } while (!cas64(&pg->count_info, &x, x & ~PGC_allocated));
    put_page(pg);
    return true;
}

bool get_page(struct page_info *pg, uint32_t domid)
{
    uint64_t x = load64(&pg->count_info);
    uint64_t count;

    do {
        count = x & PGC_count_mask;
        /* 0 = not in use; mask-1 = saturated: refuse rather than wrap. */
        if (count == 0 || count >= PGC_count_mask - 1 || (x & PGC_free))
            return false;
    } while (!cas64(&pg->count_info, &x, x + 1));

    /* The owner only changes while the count is 0, which our reference now
     * prevents, so this check is stable. */
    if (__atomic_load_n(&pg->owner, __ATOMIC_ACQUIRE) != domid) {
        put_page(pg);
        return false;
    }
    return true;
}

void put_page(struct page_info *pg)
{
    uint64_t x = load64(&pg->count_info);

    do {
        BUG_ON((x & PGC_count_mask) == 0);
    } while (!cas64(&pg->count_info, &x, x - 1));

    if (((x - 1) & PGC_count_mask) == 0) {
        /* Last reference: the allocation ref must already be gone. */
        BUG_ON(x & PGC_allocated);
        __atomic_store_n(&pg->owner, DOMID_INVALID, __ATOMIC_RELEASE);
        if (hooks.free_page)
            hooks.free_page(pg);
    }
}

/* Runs validate for a page we just moved to (type, count 1, unvalidated). */
static int type_validate(struct page_info *pg, uint64_t type)
{
    int rc = hooks.validate ? hooks.validate(pg, type) : 0;

    if (rc) {
        /* Nobody else may hold a ref to an unvalidated type: getters wait. */
        BUG_ON(rc > 0);
        __atomic_store_n(&pg->type_info, PGT_none, __ATOMIC_RELEASE);
        return rc;
    }
    __atomic_fetch_or(&pg->type_info, PGT_validated, __ATOMIC_RELEASE);
    return 0;
}

int get_page_type(struct page_info *pg, uint64_t type)
{
    uint64_t x = load64(&pg->type_info), nx, count;

    ASSERT((type & ~PGT_type_mask) == 0);
    for (;;) {
        count = x & PGT_count_mask;
        if (count >= PGT_count_mask - 1)
            return -EOVERFLOW;
        if (count == 0) {
            if ((x & PGT_type_mask) != type || !(x & PGT_validated))
                nx = type | 1; /* switch type; validated below */
            else
                nx = x + 1;    /* still validated from an earlier use */
        } else if ((x & PGT_type_mask) != type) {
            return -EBUSY;
        } else if (!(x & PGT_validated)) {
            /* Another CPU is validating or invalidating: wait for it. */
            while (load64(&pg->type_info) == x)
                cpu_relax_hint();
            x = load64(&pg->type_info);
            continue;
        } else {
            nx = x + 1;
        }
        if (cas64(&pg->type_info, &x, nx))
            break;
    }
    /* no CPU may walk through it as a table once it holds something else (a new table's
     * validation sees to that itself) */
    if (pgt_is_table(x & PGT_type_mask) && !pgt_is_table(type) && hooks.table_retyped)
        hooks.table_retyped(pg);
    if (!(nx & PGT_validated))
        return type_validate(pg, type);
    return 0;
}

void put_page_type(struct page_info *pg)
{
    uint64_t x = load64(&pg->type_info), nx;

    for (;;) {
        BUG_ON((x & PGT_count_mask) == 0);
        if ((x & PGT_count_mask) == 1 && (x & PGT_validated) &&
            pgt_needs_invalidate(x & PGT_type_mask)) {
            /* Keep one ref but drop validated while we tear down, so that
             * getters wait and nobody sees a half-invalid table. */
            nx = x & ~PGT_validated & ~PGT_pinned;
            if (!cas64(&pg->type_info, &x, nx))
                continue;
            if (hooks.invalidate)
                hooks.invalidate(pg, x & PGT_type_mask);
            __atomic_store_n(&pg->type_info, nx - 1, __ATOMIC_RELEASE);
            return;
        }
        if (cas64(&pg->type_info, &x, x - 1))
            return;
    }
}

int get_page_and_type(struct page_info *pg, uint32_t domid, uint64_t type)
{
    int rc;

    if (!get_page(pg, domid))
        return -EACCES;
    rc = get_page_type(pg, type);
    if (rc)
        put_page(pg);
    return rc;
}

void put_page_and_type(struct page_info *pg)
{
    put_page_type(pg);
    put_page(pg);
}
