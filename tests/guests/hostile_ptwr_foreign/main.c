/*
 * hostile_ptwr_foreign: with writable_pagetables on, an emulated L1 write that maps a
 * frame the guest does not own (the hypervisor's image at 2 MiB) is refused, so the
 * fault stands and the domain is crashed.
 */
#include "pt.h"

const char test_title[] = "an emulated L1 write mapping a foreign frame is refused";

void test_main(void)
{
    volatile uint64_t *l1 = pt_spare_l1();

    ASSERT_EQ(hypercall2(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_writable_pagetables), 0);
    guest_printf("hostile_ptwr_foreign: mapping machine frame 0x200 through ptwr\n");
    l1[0] = (0x200ULL << 12) | PTE_FLAGS_RW;
    test_fail("an L1 entry for a frame the guest does not own was accepted (reads %#llx)",
              (unsigned long long)*(volatile uint64_t *)(uintptr_t)SPARE_VA);
}
