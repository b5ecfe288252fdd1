/*
 * deny_pt_selfmap: tables that would give us write access to a page table: an L1 mapping
 * itself writable, an L2 naming itself (a linear map), an L4 with a recursive slot, and
 * a writable mapping of our live tables. All refused; we survive.
 */
#include "ptwalk.h"

const char test_title[] = "page tables that map themselves writable are refused";

static uint64_t t[2][512] __attribute__((aligned(4096)));

static long pin(unsigned int cmd, const void *table)
{
    mmuext_op_t op = { .cmd = cmd };

    op.arg1.mfn = pv_virt_to_mfn(table);
    return hypervisor_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

void test_main(void)
{
    uint64_t me = pv_virt_to_mfn(t[0]), l1_mfn = 0;
    const uint64_t *l4 = (const uint64_t *)(uintptr_t)start_info->pt_base;

    t[0][0] = me << 12 | PTE_RW_FLAGS;          /* L1: itself, writable */
    ASSERT_RC(pv_set_page_rw(t[0], false), 0);
    ASSERT_RC(pin(MMUEXT_PIN_L1_TABLE, t[0]), -XEN_EBUSY);
    ASSERT_RC(pin(MMUEXT_PIN_L2_TABLE, t[0]), -XEN_EBUSY); /* as L2: names itself as an L1 */
    ASSERT_RC(pv_set_page_rw(t[0], true), 0);   /* no type was left behind */
    t[0][0] = me << 12 | PTE_RO_FLAGS;          /* read-only self-map: harmless */
    ASSERT_RC(pv_set_page_rw(t[0], false), 0);
    ASSERT_RC(pin(MMUEXT_PIN_L1_TABLE, t[0]), 0);
    ASSERT_RC(pv_set_page_rw(t[0], true), -XEN_EBUSY);
    /* and once pinned, an update making the entry writable is refused */
    mmu_update_t u = { .ptr = me << 12, .val = me << 12 | PTE_RW_FLAGS };
    ASSERT_RC(hypervisor_mmu_update(&u, 1, NULL, DOMID_SELF), -XEN_EBUSY);
    ASSERT_RC(pin(MMUEXT_UNPIN_TABLE, t[0]), 0);

    /* an L4 copy with a recursive slot */
    for (unsigned int i = 0; i < 256; i++)
        t[1][i] = l4[i];
    t[1][511] = l4[511];
    t[1][300] = pv_virt_to_mfn(t[1]) << 12 | PTE_RW_FLAGS;
    ASSERT_RC(pv_set_page_rw(t[1], false), 0);
    ASSERT_RC(pin(MMUEXT_PIN_L4_TABLE, t[1]), -XEN_EBUSY);

    /* our live tables, writable: refused by update_va_mapping and mmu_update alike */
    const uint64_t *l1 = ptw_l1_for((uint64_t)(uintptr_t)l4, &l1_mfn);
    ASSERT(l1 != NULL);
    ASSERT_RC(hypervisor_update_va_mapping((uint64_t)(uintptr_t)l4,
                                           pv_virt_to_mfn(l4) << 12 | PTE_RW_FLAGS, UVMF_INVLPG), -XEN_EBUSY);
    ASSERT_RC(hypervisor_update_va_mapping((uint64_t)(uintptr_t)l1,
                                           l1_mfn << 12 | PTE_RW_FLAGS, UVMF_INVLPG), -XEN_EBUSY);
    ASSERT_RC(pv_set_page_rw(t[1], true), 0);
}
