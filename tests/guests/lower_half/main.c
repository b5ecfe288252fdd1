/*
 * lower_half: a kernel linked at 1 MiB in the lower half with no VIRT_BASE note (as test
 * kernels built for Xen often are) is loaded and started there: its start-of-day layout
 * from VA 0 (PFN n at n * 4 KiB), its page tables, p2m and start_info in the lower half,
 * and page-table updates of its own work there too.
 */
#include "pt.h"
#include "pv.h"

const char test_title[] = "a kernel linked at 1 MiB with no VIRT_BASE note";

static volatile uint64_t data_word = 0x10a4e5;

void test_main(void)
{
    const uint64_t low_end = 0x0000800000000000ULL;
    uint64_t va = (uint64_t)(uintptr_t)&data_word, mfn, pfn;
    volatile uint64_t *spare = (volatile uint64_t *)(uintptr_t)SPARE_VA;

    ASSERT_EQ(GUEST_VIRT_BASE, 0);
    ASSERT_EQ((uint64_t)(uintptr_t)_image_start, 0x100000);
    ASSERT((uint64_t)(uintptr_t)test_main < (1ULL << 31));
    ASSERT((uint64_t)(uintptr_t)start_info < low_end);
    ASSERT(start_info->pt_base < low_end && start_info->pt_base >= (uint64_t)(uintptr_t)_end);
    ASSERT(start_info->mfn_list < low_end && start_info->mfn_list >= (uint64_t)(uintptr_t)_end);
    ASSERT(boot_entry_rsp < low_end && boot_entry_rsp > start_info->pt_base);

    /* PFN n is at VA n * 4 KiB: the p2m and the M2P agree on our data page */
    pfn = va >> 12;
    mfn = pv_pfn_to_mfn(pfn);
    ASSERT_EQ(pt_pfn_of(mfn), pfn);
    ASSERT_EQ(pv_virt_to_mfn((const void *)&data_word), mfn);
    ASSERT_EQ(data_word, 0x10a4e5);

    /* the bootstrap L4 maps us through its slot 0 */
    ASSERT(((const uint64_t *)(uintptr_t)start_info->pt_base)[0] & 1);

    /* a mapping of our own in the lower half: the data frame again, at SPARE_VA */
    pt_spare_l1();
    ASSERT_RC(hypervisor_update_va_mapping(SPARE_VA, (mfn << 12) | PTE_FLAGS_RW, UVMF_INVLPG), 0);
    ASSERT_EQ(spare[(va & 4095) / 8], 0x10a4e5);
    spare[(va & 4095) / 8] = 0x5eed;
    ASSERT_EQ(data_word, 0x5eed);
    ASSERT_RC(hypervisor_update_va_mapping(SPARE_VA, 0, UVMF_INVLPG), 0);
}
