/* debugreg: the architectural values at start, set/get_debugreg, a data breakpoint bounced
 * as #DB with its status in DR6, refused values. */
#include "pv.h"

const char test_title[] = "set_debugreg/get_debugreg and a data breakpoint hit";

static volatile uint64_t watched;

static void note_db(struct trap_frame *f)
{
    (void)f; /* a data breakpoint is a trap: rip is already past the access */
}

void test_main(void)
{
    uint64_t addr = (uint64_t)(uintptr_t)&watched;
    unsigned int before;

    traps_install();
    /* as after a reset: DR6's reserved bits set, DR7's bit 10 */
    ASSERT_EQ(hypercall1(__HYPERVISOR_get_debugreg, 6), 0xffff0ff0L);
    ASSERT_EQ(hypercall1(__HYPERVISOR_get_debugreg, 7), 0x400L);
    ASSERT_RC(hypercall2(__HYPERVISOR_set_debugreg, 0, addr), 0);
    ASSERT_EQ(hypercall1(__HYPERVISOR_get_debugreg, 0), (long)addr);
    ASSERT_RC(hypercall2(__HYPERVISOR_set_debugreg, 3, addr + 8), 0);
    ASSERT_EQ(hypercall1(__HYPERVISOR_get_debugreg, 3), (long)(addr + 8));
    /* DR7: L0, write-only, 8 bytes (RW0 = 01, LEN0 = 10) */
    ASSERT_RC(hypercall2(__HYPERVISOR_set_debugreg, 7, 1 | (1ULL << 16) | (2ULL << 18)), 0);
    ASSERT_EQ(hypercall1(__HYPERVISOR_get_debugreg, 7) & 0xffff0003, 1 | (1ULL << 16) | (2ULL << 18));

    trap_hooks[1] = note_db;
    before = trap_count;
    watched = 5;
    ASSERT_EQ(trap_count, before + 1);
    ASSERT_EQ(last_trap.vector, 1);
    /* B0: breakpoint 0 hit, for the guest's handler to read; it stays until written */
    ASSERT_EQ(hypercall1(__HYPERVISOR_get_debugreg, 6) & 0xf, 1);
    ASSERT_RC(hypercall2(__HYPERVISOR_set_debugreg, 6, 0), 0);
    ASSERT_EQ(hypercall1(__HYPERVISOR_get_debugreg, 6), 0xffff0ff0L);
    (void)watched; /* reads do not trigger a write watchpoint */
    ASSERT_EQ(trap_count, before + 1);
    ASSERT_RC(hypercall2(__HYPERVISOR_set_debugreg, 7, 0), 0);
    ASSERT_EQ(hypercall1(__HYPERVISOR_get_debugreg, 7), 0x400L);
    watched = 6;
    ASSERT_EQ(trap_count, before + 1);

    /* refused: hypervisor addresses, general detect, I/O breakpoints, bad registers */
    ASSERT_RC(hypercall2(__HYPERVISOR_set_debugreg, 1, 0xffff82d040200000ULL), -XEN_EPERM);
    ASSERT_RC(hypercall2(__HYPERVISOR_set_debugreg, 2, 0x00007ffffffffffcULL), -XEN_EPERM);
    ASSERT_RC(hypercall2(__HYPERVISOR_set_debugreg, 7, 1ULL << 13), -XEN_EPERM);
    ASSERT_RC(hypercall2(__HYPERVISOR_set_debugreg, 7, 1 | (2ULL << 16)), -XEN_EPERM);
    ASSERT_RC(hypercall2(__HYPERVISOR_set_debugreg, 4, 0), -XEN_EINVAL);
    ASSERT_RC(hypercall2(__HYPERVISOR_set_debugreg, 8, 0), -XEN_EINVAL);
    ASSERT_RC(hypercall1(__HYPERVISOR_get_debugreg, 5), -XEN_EINVAL);
    ASSERT_RC(hypercall1(__HYPERVISOR_get_debugreg, 9), -XEN_EINVAL);
    ASSERT_EQ(hypercall1(__HYPERVISOR_get_debugreg, 1), 0); /* untouched by the refusal */
}
