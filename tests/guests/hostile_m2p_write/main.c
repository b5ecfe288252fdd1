/* hostile_m2p_write: write the read-only M2P with no trap table: the domain is crashed. */
#include "test.h"

const char test_title[] = "writing the read-only M2P crashes the domain";

void test_main(void)
{
    struct xen_machphys_mapping m;
    volatile uint64_t *m2p;

    if (hypervisor_memory_op(XENMEM_machphys_mapping, &m))
        test_error("XENMEM_machphys_mapping failed");
    m2p = (volatile uint64_t *)(uintptr_t)m.v_start;
    guest_printf("hostile_m2p_write: writing %#llx\n", (unsigned long long)m.v_start);
    m2p[1] = 0x4141414141414141ULL;
    test_failure_exit("the write succeeded");
}
