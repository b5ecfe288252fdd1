/* hostile_desc_noncanon: iret to a non-canonical %rip with no #GP handler to take the fault. */
#include "desc.h"

const char test_title[] = "iret to a non-canonical address with no #GP handler crashes the domain";

void test_main(void)
{
    guest_printf("hostile_desc_noncanon: iret to 0x0000800000000000\n");
    desc_iret_probe(0x0000800000000000ULL, FLAT_KERNEL_CS & ~3, FLAT_KERNEL_SS);
    test_failure_exit("the iret to a non-canonical address came back");
}
