/* PV page-table types: validation, invalidation, entry updates and pinning.
 *
 * The x86-64 PV model: a guest's page tables are its own frames, typed
 * PGT_l<n>_page_table in the frame table while in use. A typed table holds,
 * for each present entry, the references that entry implies:
 *   L1 entry     general ref on the target, plus a PGT_writable_page type
 *                ref when RW;
 *   L2..L4 entry general ref plus an L(n-1) type ref on the target.
 * The frame table calls pt_validate on a table's first type reference and
 * pt_invalidate when its last one goes; pin, base pointers and entries of
 * higher tables are such references. Since a frame has one type at a time,
 * a page table can never also be mapped writable: a table mapping itself RW
 * fails its own validation with -EBUSY.
 *
 * Choices, checked against Xen's x86-64 PV rules:
 * - L1 accepts P RW US A D G NX and the guest's bits 9-11 and 52-62. G is
 *   allowed as Xen allows it for 64-bit PV (user mappings). PWT/PCD/PAT
 *   are refused unless the policy lets the domain pick cache attributes
 *   (as Xen does only for domains with I/O access: the hardware domain).
 * - An L1 entry may name an I/O frame (not RAM) when the policy allows it;
 *   such entries hold no references, as Xen's DOMID_IO pages.
 * - L2..L4 accept the same minus G; PSE is refused (no superpages), and
 *   so are PWT/PCD.
 * - Linear page tables, as Xen allows them: an L2..L4 entry may name a table
 *   of its own level read-only, so that the guest reads its tables through
 *   its own mappings. Naming itself holds no reference; naming another table,
 *   that table must already be validated at that level, and takes a general
 *   and a type reference. No deeper recursion: a table with linear entries
 *   to others cannot be named by one, and back (linear_pt_count's sign).
 * - Guest values in L4 slots 256..271 are ignored on validation and
 *   replaced by the hypervisor's template; writes there get -EPERM.
 * - Entries are stored as given. Xen also forces _PAGE_USER on guest
 *   kernel mappings (a PV kernel runs in ring 3); that belongs with the
 *   guest entry code once it exists.
 *
 * Guest-written entries are read once each, with an atomic load, and
 * judged on that copy. While a frame is typed as a page table only this
 * file writes it (the guest holds no writable mapping), so teardown reads
 * back the values that were accepted.
 *
 * Validation and teardown are bounded (512 entries per table, at most four
 * tables deep) but not preemptible yet. The check would go in the loops of
 * pt_get_entries and pt_put_entries, with the position kept in the page
 * like Xen's nr_validated_ptes. */
#include <asm/pv_mm.h>
#include <asm/page.h>
#include <tern/bug.h>
#include <tern/errno.h>

#define PTE_FLAGS_BASE                                                         \
    (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY |    \
     PV_PAGE_AVAIL | PV_PAGE_AVAIL_HIGH | _PAGE_NX)
/* No global bit: the hypervisor runs with CR4.PGE, so a guest's global mapping would
 * outlive its CR3 and show through in the next guest. */
#define PTE_FLAGS_L1 PTE_FLAGS_BASE
#define PTE_FLAGS_LN PTE_FLAGS_BASE
#define PTE_AD (_PAGE_ACCESSED | _PAGE_DIRTY)

/* A guest that keeps rewriting the entry it updates only delays itself. */
#define PV_MOD_RETRIES 64

BUILD_BUG_ON(PGT_l1_page_table != 1ULL << PGT_type_shift);
BUILD_BUG_ON(PGT_l4_page_table != 4ULL << PGT_type_shift);
BUILD_BUG_ON((PTE_FLAGS_BASE & PV_PTE_ADDR_MASK) != 0);

static struct pv_mm_ops mm_ops;
static uint64_t l4_template[PV_L4_XEN_SLOTS];
/* The address bits an entry may use: 12 up to the machine's width. */
static uint64_t pte_addr_ok = PV_PTE_ADDR_MASK;

/* 1..4 for a page-table type, 0 for anything else. */
static unsigned int pt_level(uint64_t type)
{
    switch (type) {
    case PGT_l1_page_table:
        return 1;
    case PGT_l2_page_table:
        return 2;
    case PGT_l3_page_table:
        return 3;
    case PGT_l4_page_table:
        return 4;
    default:
        return 0;
    }
}

static uint64_t pt_type(unsigned int level)
{
    return (uint64_t)level << PGT_type_shift;
}

static bool l4_xen_slot(unsigned int level, unsigned int i)
{
    return level == 4 && i - PV_L4_XEN_FIRST < PV_L4_XEN_SLOTS;
}

static uint64_t pte_read(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static mfn_t pte_mfn(uint64_t e)
{
    return (e & PV_PTE_ADDR_MASK) >> PAGE_SHIFT;
}

/* Stateless checks of a present entry's bits. */
static int pte_check(uint32_t domid, unsigned int level, uint64_t e)
{
    uint64_t ok = level == 1 ? PTE_FLAGS_L1 : PTE_FLAGS_LN;

    if (level == 1 && (e & PV_PAGE_CACHE_BITS) && mm_ops.may_set_cache_attrs &&
        mm_ops.may_set_cache_attrs(domid))
        ok |= PV_PAGE_CACHE_BITS;
    if (e & ~PV_PTE_ADDR_MASK & ~ok)
        return -EINVAL;
    if (e & PV_PTE_ADDR_MASK & ~pte_addr_ok)
        return -EINVAL;
    return 0;
}

/* What an entry's references depend on: equal keys, equal references. RW counts at
 * every level: it decides whether an upper entry may be linear. */
static uint64_t pte_ref_key(uint64_t e)
{
    if (!(e & _PAGE_PRESENT))
        return 0;
    return (e & PV_PTE_ADDR_MASK) | _PAGE_PRESENT | (e & _PAGE_RW);
}

/* A general and a type reference on a table the domain owns. */
static int pt_get_table(uint32_t domid, mfn_t mfn, uint64_t type)
{
    struct page_info *pg = mfn_to_page(mfn);
    int rc;

    if (!pg)
        return -EPERM;
    rc = get_page_and_type(pg, domid, type);
    return rc == -EACCES ? -EPERM : rc;
}

/* A general reference on a frame someone else owns, if the policy hook
 * allows this domain to map it. */
static bool get_foreign(uint32_t domid, struct page_info *pg, bool rw)
{
    uint32_t owner = __atomic_load_n(&pg->owner, __ATOMIC_ACQUIRE);

    if (!mm_ops.may_map_foreign || owner == domid || !get_page(pg, owner))
        return false;
    /* Our reference keeps the owner stable while the policy looks at it. */
    if (!mm_ops.may_map_foreign(domid, page_to_mfn(pg), rw)) {
        put_page(pg);
        return false;
    }
    return true;
}

static bool is_io_frame(mfn_t mfn)
{
    return mm_ops.is_io_frame && mm_ops.is_io_frame(mfn);
}

/* A writable L1 entry for a read-only I/O frame becomes read-only (Xen's behaviour). */
static uint64_t pte_adjust(unsigned int level, uint64_t e)
{
    if (level == 1 && (e & (_PAGE_PRESENT | _PAGE_RW)) == (_PAGE_PRESENT | _PAGE_RW) && is_io_frame(pte_mfn(e)) &&
        mm_ops.io_read_only && mm_ops.io_read_only(pte_mfn(e)))
        return e & ~(uint64_t)_PAGE_RW;
    return e;
}

/* Counts writable mappings of pg in other domains' tables, which log-dirty treats as
 * writing all the time. Saturated counts stay saturated: never under-counted. */
static void foreign_rw_add(struct page_info *pg, int delta)
{
    uint16_t x = __atomic_load_n(&pg->foreign_rw, __ATOMIC_RELAXED);

    do {
        if (x == 0xffff || (delta < 0 && x == 0))
            return;
    } while (!__atomic_compare_exchange_n(&pg->foreign_rw, &x, (uint16_t)(x + delta), false,
                                          __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
}

static int l1e_get_refs(uint32_t domid, uint64_t e)
{
    struct page_info *pg = mfn_to_page(pte_mfn(e));
    bool rw = e & _PAGE_RW;
    int rc;

    if (is_io_frame(pte_mfn(e)))
        return mm_ops.may_map_io && mm_ops.may_map_io(domid, pte_mfn(e), rw) ? 0 : -EPERM;
    if (!pg)
        return -EPERM;
    if (!get_page(pg, domid)) {
        if (!get_foreign(domid, pg, rw))
            return -EPERM;
        if (rw)
            foreign_rw_add(pg, 1); /* another domain may write it from now on */
    }
    if (!rw)
        return 0;
    /* Fails with -EBUSY for page tables: that keeps them read-only. */
    rc = get_page_type(pg, PGT_writable_page);
    if (rc)
        put_page(pg);
    return rc;
}

static int pt_get_live_type(struct page_info *pg, uint64_t *type);

/* Moves a linear count one step away from zero in the direction dir (+1: one more linear
 * entry in the table, -1: one more use as a linear target); false if it points the
 * other way already, or would overflow. */
static bool linear_count_add(struct page_info *pg, int dir)
{
    int16_t x = __atomic_load_n(&pg->linear_pt_count, __ATOMIC_RELAXED);

    do {
        if (x * dir < 0 || x == (dir > 0 ? INT16_MAX : INT16_MIN))
            return false;
    } while (!__atomic_compare_exchange_n(&pg->linear_pt_count, &x, (int16_t)(x + dir), false,
                                          __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
    return true;
}

/* Undoes one linear_count_add(pg, dir). */
static void linear_count_sub(struct page_info *pg, int dir)
{
    int16_t old = __atomic_fetch_sub(&pg->linear_pt_count, (int16_t)dir, __ATOMIC_ACQ_REL);

    BUG_ON(old * dir <= 0);
}

/* Entry e of table `self` (level >= 2) names a table of its own level, which the type check
 * refused with rc: accepted as a linear entry if Xen would accept it, else rc stands. */
static int linear_get_refs(uint32_t domid, unsigned int level, uint64_t e, mfn_t self, int rc)
{
    struct page_info *tbl = mfn_to_page(self), *pg = mfn_to_page(pte_mfn(e));

    if (rc != -EBUSY || (e & _PAGE_RW))
        return rc;
    if (pte_mfn(e) == self)
        return 0;
    if (!pg || !get_page(pg, domid))
        return rc;
    if (linear_count_add(tbl, 1)) {
        if (linear_count_add(pg, -1)) {
            uint64_t type;
            if (pt_get_live_type(pg, &type) > 0) {
                if (type == pt_type(level))
                    return 0;
                put_page_type(pg);
            }
            linear_count_sub(pg, -1);
        }
        linear_count_sub(tbl, 1);
    }
    put_page(pg);
    return rc;
}

/* Checks entry e of table self and takes the references it implies. */
static int pte_get_refs(uint32_t domid, unsigned int level, uint64_t e, mfn_t self)
{
    int rc;

    if (!(e & _PAGE_PRESENT))
        return 0;
    rc = pte_check(domid, level, e);
    if (rc)
        return rc;
    if (level == 1)
        return l1e_get_refs(domid, e);
    rc = pt_get_table(domid, pte_mfn(e), pt_type(level - 1));
    return rc ? linear_get_refs(domid, level, e, self, rc) : 0;
}

/* Drops what pte_get_refs took for an entry of table self, of domid's, it accepted. */
static void pte_put_refs(uint32_t domid, unsigned int level, uint64_t e, mfn_t self)
{
    struct page_info *pg;

    if (!(e & _PAGE_PRESENT) || (level == 1 && is_io_frame(pte_mfn(e))))
        return;
    pg = mfn_to_page(pte_mfn(e));
    BUG_ON(!pg); /* accepted entries name valid frames */
    if (level > 1) {
        if (pte_mfn(e) == self)
            return; /* a linear entry naming its own table holds nothing */
        if (page_get_type(pg) == pt_type(level)) {
            linear_count_sub(pg, -1);
            linear_count_sub(mfn_to_page(self), 1);
        }
        put_page_and_type(pg);
        return;
    }
    if (e & _PAGE_RW) {
        /* what a grant or foreign mapping wrote counts when it goes, as on Xen */
        if (__atomic_load_n(&pg->owner, __ATOMIC_ACQUIRE) != domid) {
            foreign_rw_add(pg, -1);
            /* what the mapping wrote counts when it goes, as on Xen */
            if (mm_ops.frame_written)
                mm_ops.frame_written(pte_mfn(e));
        }
        put_page_type(pg);
    }
    put_page(pg);
}

/* Drops the references of entries [0, n) of table self, mapped at t. */
static void pt_put_entries(uint64_t *t, mfn_t self, unsigned int level, unsigned int n,
                           uint32_t domid)
{
    for (unsigned int i = 0; i < n; i++) {
        if (!l4_xen_slot(level, i))
            pte_put_refs(domid, level, pte_read(&t[i]), self);
    }
}

/* Takes the references of every entry of table self, mapped at t, or none of them. */
static int pt_get_entries(uint64_t *t, mfn_t self, unsigned int level, uint32_t domid)
{
    int rc;

    for (unsigned int i = 0; i < PV_PT_ENTRIES; i++) {
        uint64_t e;
        if (l4_xen_slot(level, i))
            continue;
        e = pte_read(&t[i]);
        /* as in updates, present entries get the user bit: PV kernels run in ring 3 */
        if ((e & _PAGE_PRESENT) && !(e & _PAGE_USER))
            __atomic_fetch_or(&t[i], _PAGE_USER, __ATOMIC_SEQ_CST);
        if (pte_adjust(level, e) != e) {
            __atomic_fetch_and(&t[i], ~(uint64_t)_PAGE_RW, __ATOMIC_SEQ_CST);
            e &= ~(uint64_t)_PAGE_RW;
        }
        rc = pte_get_refs(domid, level, e | ((e & _PAGE_PRESENT) ? _PAGE_USER : 0), self);
        if (rc) {
            pt_put_entries(t, self, level, i, domid);
            return rc;
        }
    }
    return 0;
}

static int pt_validate(struct page_info *pg, uint64_t type)
{
    unsigned int level = pt_level(type);
    uint32_t domid;
    uint64_t *t;
    int rc;

    if (!level)
        return mm_ops.validate_other ? mm_ops.validate_other(pg, type) : 0;
    domid = __atomic_load_n(&pg->owner, __ATOMIC_ACQUIRE);
    if (mm_ops.flush_guest_tlbs)
        mm_ops.flush_guest_tlbs(domid);
    t = mm_ops.map_frame(page_to_mfn(pg));
    rc = pt_get_entries(t, page_to_mfn(pg), level, domid);
    if (!rc && level == 4) {
        for (unsigned int i = 0; i < PV_L4_XEN_SLOTS; i++)
            __atomic_store_n(&t[PV_L4_XEN_FIRST + i], l4_template[i],
                             __ATOMIC_RELAXED);
    }
    mm_ops.unmap_frame(t);
    /* validation may have adjusted entries, and an L4 got the hypervisor's slots */
    if (!rc && mm_ops.frame_written)
        mm_ops.frame_written(page_to_mfn(pg));
    return rc;
}

static void pt_invalidate(struct page_info *pg, uint64_t type)
{
    unsigned int level = pt_level(type);
    uint64_t *t;

    if (!level) {
        if (mm_ops.invalidate_other)
            mm_ops.invalidate_other(pg, type);
        return;
    }
    if (mm_ops.table_gone)
        mm_ops.table_gone(pg);
    t = mm_ops.map_frame(page_to_mfn(pg));
    pt_put_entries(t, page_to_mfn(pg), level, PV_PT_ENTRIES,
                   __atomic_load_n(&pg->owner, __ATOMIC_ACQUIRE));
    /* The frame may become ordinary guest memory: leave no hypervisor
     * addresses in it. */
    if (level == 4) {
        for (unsigned int i = 0; i < PV_L4_XEN_SLOTS; i++)
            __atomic_store_n(&t[PV_L4_XEN_FIRST + i], 0, __ATOMIC_RELAXED);
    }
    mm_ops.unmap_frame(t);
    /* no longer a table: a save must send it again with its new type (as Xen does) */
    if (mm_ops.frame_written)
        mm_ops.frame_written(page_to_mfn(pg));
}

/* A CPU may still hold paging-structure cache entries leading through a former table
 * (kept until a CR3 write or a flush) and would walk what is written there next as
 * entries: flush wherever its owner runs. */
static void pt_retyped(struct page_info *pg)
{
    if (mm_ops.flush_guest_tlbs)
        mm_ops.flush_guest_tlbs(__atomic_load_n(&pg->owner, __ATOMIC_ACQUIRE));
}

int pv_mm_init(const struct pv_mm_ops *ops)
{
    struct frame_hooks hooks = { pt_validate, pt_invalidate, NULL, pt_retyped };
    unsigned int bits;

    if (!ops || !ops->map_frame || !ops->unmap_frame)
        return -EINVAL;
    bits = ops->paddr_bits ? ops->paddr_bits : 52;
    if (bits <= PAGE_SHIFT || bits > 52)
        return -EINVAL;
    mm_ops = *ops;
    pte_addr_ok = PV_PTE_ADDR_MASK & ((1ULL << bits) - 1);
    hooks.free_page = ops->free_page;
    frame_set_hooks(&hooks);
    return 0;
}

void pv_set_l4_template(const uint64_t slots[PV_L4_XEN_SLOTS])
{
    for (unsigned int i = 0; i < PV_L4_XEN_SLOTS; i++)
        l4_template[i] = slots[i];
}

/* A type reference on a table that is in use and validated, without ever
 * validating it here: 1 with *type set, 0 when pg is not such a table,
 * -EOVERFLOW when its count is saturated. */
static int pt_get_live_type(struct page_info *pg, uint64_t *type)
{
    uint64_t x = __atomic_load_n(&pg->type_info, __ATOMIC_ACQUIRE);
    uint64_t count;

    do {
        count = x & PGT_count_mask;
        if (!pt_level(x & PGT_type_mask) || !(x & PGT_validated) || !count)
            return 0;
        if (count >= PGT_count_mask - 1)
            return -EOVERFLOW;
    } while (!__atomic_compare_exchange_n(&pg->type_info, &x, x + 1, false,
                                          __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
    *type = x & PGT_type_mask;
    return 1;
}

/* Replaces *p by nv: takes nv's references first, swaps with cmpxchg
 * against the value it read, then drops the replaced value's references.
 * When both name the same frame the same way, references stay as they are. */
static int pte_swap(uint32_t domid, struct page_info *table, unsigned int level,
                    uint64_t *p, uint64_t nv, bool preserve_ad, uint64_t *prev)
{
    uint64_t old = pte_read(p), val;
    mfn_t self = page_to_mfn(table);
    bool have_refs = false;
    int rc;

    nv = pte_adjust(level, nv);

    for (unsigned int tries = 0; tries < PV_MOD_RETRIES; tries++) {
        if (!have_refs && pte_ref_key(old) != pte_ref_key(nv)) {
            rc = pte_get_refs(domid, level, nv, self);
            if (rc)
                return rc;
            have_refs = true;
        }
        val = nv;
        if (preserve_ad && (old & _PAGE_PRESENT) && (nv & _PAGE_PRESENT))
            val |= old & PTE_AD;
        if (__atomic_compare_exchange_n(p, &old, val, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED)) {
            /* Committed: nothing below may fail. */
            *prev = old;
            if (mm_ops.entry_changed)
                mm_ops.entry_changed(table, (unsigned int)(((uintptr_t)p & (PAGE_SIZE - 1)) / 8));
            if (have_refs)
                pte_put_refs(domid, level, old, self);
            return 0;
        }
        /* old is now the current value: the CPU set A/D, or another vCPU
         * updated the entry. Judge again against it. */
    }
    if (have_refs)
        pte_put_refs(domid, level, nv, self);
    return -EAGAIN;
}

static int pt_update(uint32_t domid, struct page_info *pg, unsigned int level,
                     unsigned int index, uint64_t nv, bool preserve_ad, uint64_t *prev)
{
    uint64_t *t;
    int rc;

    if (l4_xen_slot(level, index))
        return -EPERM;
    if (nv & _PAGE_PRESENT) {
        nv |= _PAGE_USER; /* guest kernel and user both run in ring 3 */
        rc = pte_check(domid, level, nv);
        if (rc)
            return rc;
    }
    t = mm_ops.map_frame(page_to_mfn(pg));
    rc = pte_swap(domid, pg, level, &t[index], nv, preserve_ad, prev);
    mm_ops.unmap_frame(t);
    return rc;
}

/* Not a page table: ordinary memory the domain could write itself. The
 * writable type ref keeps it from becoming a table meanwhile. */
static int plain_update(struct page_info *pg, unsigned int index, uint64_t nv, uint64_t *prev)
{
    uint64_t *t;
    int rc = get_page_type(pg, PGT_writable_page);

    if (rc)
        return rc;
    t = mm_ops.map_frame(page_to_mfn(pg));
    *prev = __atomic_exchange_n(&t[index], nv, __ATOMIC_RELAXED);
    mm_ops.unmap_frame(t);
    if (mm_ops.frame_written)
        mm_ops.frame_written(page_to_mfn(pg));
    put_page_type(pg);
    return 0;
}

int pv_mod_entry(uint32_t domid, mfn_t table_mfn, unsigned int index,
                 uint64_t new_val, bool preserve_ad)
{
    uint64_t prev;

    return pv_mod_entry_prev(domid, table_mfn, index, new_val, preserve_ad, &prev);
}

int pv_mod_entry_prev(uint32_t domid, mfn_t table_mfn, unsigned int index,
                      uint64_t new_val, bool preserve_ad, uint64_t *prev)
{
    struct page_info *pg = mfn_to_page(table_mfn);
    uint64_t type = PGT_none;
    int rc;

    ASSERT(mm_ops.map_frame);
    if (index >= PV_PT_ENTRIES)
        return -EINVAL;
    if (!pg || !get_page(pg, domid))
        return -EPERM;
    rc = pt_get_live_type(pg, &type);
    if (rc > 0) {
        rc = pt_update(domid, pg, pt_level(type), index, new_val, preserve_ad, prev);
        put_page_type(pg);
    } else if (rc == 0) {
        rc = plain_update(pg, index, new_val, prev);
    }
    put_page(pg);
    return rc;
}

int pv_pin_table(uint32_t domid, mfn_t mfn, unsigned int level)
{
    struct page_info *pg;
    int rc;

    if (level < 1 || level > 4)
        return -EINVAL;
    rc = pt_get_table(domid, mfn, pt_type(level));
    if (rc)
        return rc;
    pg = mfn_to_page(mfn);
    /* Pinning twice is an error, as in Xen; the second pin's refs go. */
    if (__atomic_fetch_or(&pg->type_info, PGT_pinned, __ATOMIC_ACQ_REL) & PGT_pinned) {
        put_page_and_type(pg);
        return -EINVAL;
    }
    if (mm_ops.frame_written)
        mm_ops.frame_written(mfn); /* its type as a save records it changed */
    return 0;
}

int pv_unpin_table(uint32_t domid, mfn_t mfn)
{
    struct page_info *pg = mfn_to_page(mfn);

    if (!pg || !get_page(pg, domid))
        return -EPERM;
    if (!(__atomic_fetch_and(&pg->type_info, ~PGT_pinned, __ATOMIC_ACQ_REL) &
          PGT_pinned)) {
        put_page(pg);
        return -EINVAL;
    }
    if (mm_ops.frame_written)
        mm_ops.frame_written(mfn);
    put_page_and_type(pg); /* the pin's references */
    put_page(pg);
    return 0;
}

int pv_new_baseptr(uint32_t domid, mfn_t l4mfn, mfn_t *base, mfn_t *old_out)
{
    int rc;

    ASSERT(base && old_out);
    rc = pt_get_table(domid, l4mfn, PGT_l4_page_table);
    if (rc)
        return rc;
    *old_out = __atomic_exchange_n(base, l4mfn, __ATOMIC_ACQ_REL);
    return 0;
}

void pv_put_baseptr(mfn_t l4mfn)
{
    struct page_info *pg;

    if (l4mfn == PV_MFN_NONE)
        return;
    pg = mfn_to_page(l4mfn);
    BUG_ON(!pg);
    put_page_and_type(pg);
}
