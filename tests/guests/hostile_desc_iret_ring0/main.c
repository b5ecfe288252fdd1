/* hostile_desc_iret_ring0: iret to the hypervisor's ring-0 code selector, no failsafe callback. */
#include "desc.h"

const char test_title[] = "iret to a DPL-0 code selector crashes the domain";

void test_main(void)
{
    guest_printf("hostile_desc_iret_ring0: iret to 0xe008\n");
    desc_iret_probe((uint64_t)(uintptr_t)desc_landing, 0xe008, FLAT_KERNEL_SS);
    test_failure_exit("the iret to 0xe008 came back");
}
