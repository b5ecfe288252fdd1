/*
 * hostile_hvmem: read the hypervisor's direct map. The hypervisor must crash
 * this domain (no trap table is installed, so the fault cannot be bounced);
 * the system test expects the crash and never this guest's result line.
 */
#include "test.h"

const char test_title[] = "reading hypervisor memory crashes the domain";

#define HV_DIRECTMAP 0xffff830000000000ULL

void test_main(void)
{
    const volatile uint64_t *p = (const volatile uint64_t *)(uintptr_t)HV_DIRECTMAP;
    uint64_t v;

    guest_printf("hostile_hvmem: reading %#llx\n", HV_DIRECTMAP);
    v = *p;
    test_failure_exit("read succeeded (got %#llx)", (unsigned long long)v);
}
