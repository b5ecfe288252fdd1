/*
 * linear_pt: linear (recursive) page tables, as Xen allows them. An L4 slot naming the
 * L4 itself, read-only, makes every table of ours readable at a fixed address; we read
 * our L4, L3, L2 and L1 entries there and compare them with the tables themselves, see
 * an update show through, and check the rules: never writable, writes through the
 * window fault, update_va_mapping finds no L1 there, a second L4 may be named too but
 * not recursively, and once the slot is gone the window is gone.
 */
#include "pt.h"
#include "ptwalk.h"

const char test_title[] = "linear page tables: a read-only self-map at L4, and its rules";

#define SLOT 200UL  /* a lower-half slot nothing else uses */
#define SLOT2 201UL
#define TLB_FLUSH MMUEXT_TLB_FLUSH_LOCAL

static uint64_t other[512] __attribute__((aligned(4096)));
static uint64_t third[512] __attribute__((aligned(4096)));

/* The word at table indices i4..i1 and byte offset idx * 8 (all in the lower half). */
static volatile uint64_t *at(uint64_t i4, uint64_t i3, uint64_t i2, uint64_t i1, unsigned int idx)
{
    return (volatile uint64_t *)(uintptr_t)(i4 << 39 | i3 << 30 | i2 << 21 | i1 << 12 |
                                            (uint64_t)idx << 3);
}

/* Where the self-map at s shows entry idx of the table reached by following indices
 * path[0..depth) from the L4 (depth 0: the L4 itself). */
static volatile uint64_t *window(uint64_t s, const unsigned int *path, unsigned int depth,
                                 unsigned int idx)
{
    uint64_t i[3] = { s, s, s };

    for (unsigned int k = 0; k < depth; k++)
        i[3 - depth + k] = path[k];
    return at(s, i[0], i[1], i[2], idx);
}

static long l4_set(uint64_t l4_mfn, uint64_t slot, uint64_t val)
{
    mmu_update_t u = { .ptr = l4_mfn << 12 | slot * 8 | MMU_NORMAL_PT_UPDATE, .val = val };

    return hypervisor_mmu_update(&u, 1, NULL, DOMID_SELF);
}

static long mmuext(unsigned int cmd, uint64_t mfn)
{
    mmuext_op_t op = { .cmd = cmd };

    op.arg1.mfn = mfn;
    return hypervisor_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

/* Our tables seen through the window agree with the tables, level by level, for va. */
static void check_walk(uint64_t va)
{
    const uint64_t *t = (const uint64_t *)(uintptr_t)start_info->pt_base;
    unsigned int path[3];
    uint64_t seen;

    for (int level = 4; level >= 1; level--) {
        unsigned int idx = ptw_index(va, level), depth = 4 - (unsigned int)level;
        ASSERT_EQ(probe_read(window(SLOT, path, depth, idx), &seen), 0);
        ASSERT_EQ(seen & ~(uint64_t)GUEST_PTE_ACCESSED, t[idx] & ~(uint64_t)GUEST_PTE_ACCESSED);
        if (level > 1) {
            path[depth] = idx;
            t = pv_mfn_to_virt((t[idx] & PTE_ADDR) >> 12);
            ASSERT(t != NULL);
        }
    }
}

void test_main(void)
{
    const uint64_t *l4 = (const uint64_t *)(uintptr_t)start_info->pt_base;
    uint64_t l4_mfn = pv_virt_to_mfn(l4), seen, spare = (uint64_t)SPARE_VA;
    unsigned int spare_path[3] = { ptw_index(spare, 4), ptw_index(spare, 3), ptw_index(spare, 2) };
    volatile uint64_t *spare_l1;

    traps_install();
    ASSERT_EQ(probe_read(window(SLOT, NULL, 0, 0), &seen), 14); /* nothing there yet */

    /* writable: refused; read-only: accepted */
    ASSERT_RC(l4_set(l4_mfn, SLOT, l4_mfn << 12 | PTE_RW_FLAGS), -XEN_EBUSY);
    ASSERT_RC(l4_set(l4_mfn, SLOT, l4_mfn << 12 | PTE_RO_FLAGS), 0);
    ASSERT_RC(mmuext(TLB_FLUSH, 0), 0);

    /* the L4 as a page: its own slot names it */
    ASSERT_EQ(probe_read(window(SLOT, NULL, 0, SLOT), &seen), 0);
    ASSERT_EQ(seen & PTE_ADDR, l4_mfn << 12);
    check_walk((uint64_t)(uintptr_t)&test_main);
    check_walk((uint64_t)(uintptr_t)other);

    /* an entry changed by hypercall shows through at once (it is the table's own memory) */
    spare_l1 = pt_spare_l1();
    for (unsigned int i = 0; i < 4; i++) {
        uint64_t val = pt_mfn_of(SPARE_DATA_PFN) << 12 | PTE_RO_FLAGS;
        mmu_update_t u = { .ptr = pv_virt_to_mfn((const void *)spare_l1) << 12 | i * 8, .val = val };
        ASSERT_RC(hypervisor_mmu_update(&u, 1, NULL, DOMID_SELF), 0);
        ASSERT_EQ(probe_read(window(SLOT, spare_path, 3, i), &seen), 0);
        ASSERT_EQ(seen & ~(uint64_t)GUEST_PTE_ACCESSED, (val | GUEST_PTE_USER) & ~(uint64_t)GUEST_PTE_ACCESSED);
    }
    check_walk(spare);

    /* read-only all the way: a store faults and changes nothing */
    volatile uint64_t *pte = window(SLOT, spare_path, 3, 0);
    uint64_t before = *pte;
    ASSERT_EQ(probe_write(pte, 0), 14);
    ASSERT_EQ(last_trap.error & 3, 3); /* present, write */
    ASSERT_EQ(*pte, before);
    /* nor is the window an L1 mapping that update_va_mapping could edit */
    ASSERT_RC(hypervisor_update_va_mapping((uint64_t)(uintptr_t)window(SLOT, NULL, 0, 0), 0,
                                           UVMF_INVLPG), -XEN_EINVAL);

    /* a second L4, named by ours; that one may not name a third (no deeper recursion),
     * nor may a third name ours, which has a linear entry to another table now */
    for (unsigned int i = 0; i < 256; i++)
        other[i] = l4[i];
    other[511] = l4[511];
    other[SLOT] = 0;
    ASSERT_RC(pv_set_page_rw(other, false), 0);
    ASSERT_RC(pv_set_page_rw(third, false), 0);
    ASSERT_RC(mmuext(MMUEXT_PIN_L4_TABLE, pv_virt_to_mfn(other)), 0);
    ASSERT_RC(mmuext(MMUEXT_PIN_L4_TABLE, pv_virt_to_mfn(third)), 0);
    ASSERT_RC(l4_set(l4_mfn, SLOT2, pv_virt_to_mfn(other) << 12 | PTE_RO_FLAGS), 0);
    ASSERT_RC(l4_set(pv_virt_to_mfn(other), 5, pv_virt_to_mfn(third) << 12 | PTE_RO_FLAGS), -XEN_EBUSY);
    ASSERT_RC(l4_set(pv_virt_to_mfn(third), 5, l4_mfn << 12 | PTE_RO_FLAGS), -XEN_EBUSY);
    ASSERT_RC(l4_set(pv_virt_to_mfn(third), 5, pv_virt_to_mfn(other) << 12 | PTE_RO_FLAGS), 0);
    ASSERT_RC(mmuext(TLB_FLUSH, 0), 0);
    /* the second L4 read as a page through our self-map, and used as the top of a walk
     * through slot 2: it shares our kernel's L3, so it leads to the same L1 entry */
    ASSERT_EQ(probe_read(at(SLOT, SLOT, SLOT, SLOT2, 511), &seen), 0);
    ASSERT_EQ(seen & ~(uint64_t)GUEST_PTE_ACCESSED, l4[511] & ~(uint64_t)GUEST_PTE_ACCESSED);
    uint64_t main_va = (uint64_t)(uintptr_t)&test_main, via_ours, via_other;
    ASSERT_EQ(probe_read(at(SLOT2, ptw_index(main_va, 4), ptw_index(main_va, 3),
                            ptw_index(main_va, 2), ptw_index(main_va, 1)), &via_other), 0);
    ASSERT_EQ(probe_read(at(SLOT, ptw_index(main_va, 4), ptw_index(main_va, 3),
                            ptw_index(main_va, 2), ptw_index(main_va, 1)), &via_ours), 0);
    ASSERT_EQ(via_other & PTE_ADDR, pv_virt_to_mfn((const void *)(main_va & ~4095ULL)) << 12);
    ASSERT_EQ(via_ours, via_other);
    /* while named, the second L4 keeps its type even unpinned: it cannot become writable */
    ASSERT_RC(mmuext(MMUEXT_UNPIN_TABLE, pv_virt_to_mfn(other)), 0);
    ASSERT_RC(pv_set_page_rw(other, true), -XEN_EBUSY);
    ASSERT_RC(l4_set(l4_mfn, SLOT2, 0), 0);
    ASSERT_RC(l4_set(pv_virt_to_mfn(third), 5, 0), 0);
    ASSERT_RC(pv_set_page_rw(other, true), 0);
    ASSERT_RC(mmuext(MMUEXT_UNPIN_TABLE, pv_virt_to_mfn(third)), 0);
    ASSERT_RC(pv_set_page_rw(third, true), 0);

    /* the slot gone, the window is gone */
    ASSERT_RC(l4_set(l4_mfn, SLOT, 0), 0);
    ASSERT_RC(mmuext(TLB_FLUSH, 0), 0);
    ASSERT_EQ(probe_read(window(SLOT, NULL, 0, 0), &seen), 14);
    guest_printf("linear_pt: tables read through the window, rules held\n");
}
