/* hostile_pt_write: writing its own L1 without writable_pagetables must fault and crash it. */
#include "pt.h"

const char test_title[] = "writing a read-only page table without vm_assist crashes the domain";

void test_main(void)
{
    volatile uint64_t *l1 = pt_spare_l1();

    guest_printf("hostile_pt_write: plain store into a pinned L1\n");
    l1[0] = (pt_mfn_of(SPARE_DATA_PFN) << 12) | PTE_FLAGS_RW;
    test_fail("the store into a read-only page table succeeded");
}
