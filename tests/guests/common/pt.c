/* Page-table helpers: p2m and M2P lookups, and a spare L1 the guest manages itself. */
#include "pt.h"

uint64_t pt_mfn_of(uint64_t pfn)
{
    return ((const uint64_t *)(uintptr_t)start_info->mfn_list)[pfn];
}

uint64_t pt_pfn_of(uint64_t mfn)
{
    return ((const uint64_t *)(uintptr_t)MACH2PHYS_VIRT_START)[mfn];
}

void *pt_va_of_pfn(uint64_t pfn)
{
    return (void *)(uintptr_t)(GUEST_VIRT_BASE + pfn * PAGE_BYTES);
}

/* The L2 mapping the bootstrap window (L4[511] -> L3[510] for an image at the top, L4[0]
 * -> L3[0] for one in the lower half), found through the M2P. */
static uint64_t bootstrap_l2_mfn(void)
{
    const uint64_t *l4 = (const uint64_t *)(uintptr_t)start_info->pt_base;
    unsigned int i4 = (GUEST_VIRT_BASE >> 39) & 511, i3 = (GUEST_VIRT_BASE >> 30) & 511;
    const uint64_t *l3 = pt_va_of_pfn(pt_pfn_of((l4[i4] & 0x000ffffffffff000ULL) >> 12));
    return (l3[i3] & 0x000ffffffffff000ULL) >> 12;
}

volatile uint64_t *pt_spare_l1(void)
{
    volatile uint64_t *l1 = pt_va_of_pfn(SPARE_L1_PFN);
    uint64_t l1_mfn = pt_mfn_of(SPARE_L1_PFN);
    mmuext_op_t pin = { .cmd = MMUEXT_PIN_L1_TABLE, .arg1.mfn = l1_mfn };
    mmu_update_t hook = { .ptr = (bootstrap_l2_mfn() << 12) + 4 * 8, .val = (l1_mfn << 12) | PTE_FLAGS_RW };

    ASSERT_EQ(pt_pfn_of(l1_mfn), SPARE_L1_PFN); /* the M2P agrees with the p2m */
    ASSERT_EQ(hypervisor_update_va_mapping((uint64_t)(uintptr_t)l1,
                                           (l1_mfn << 12) | GUEST_PTE_PRESENT | GUEST_PTE_ACCESSED,
                                           UVMF_INVLPG), 0);
    ASSERT_EQ(hypervisor_mmuext_op(&pin, 1, NULL, DOMID_SELF), 0);
    ASSERT_EQ(hypervisor_mmu_update(&hook, 1, NULL, DOMID_SELF), 0);
    return l1;
}
