/* fpu_taskswitch: with the virtual CR0.TS set, the first FPU/SSE use is #NM bounced to the guest. */
#include "pv.h"

const char test_title[] = "fpu_taskswitch: #NM bounced while TS is set, none once it is clear";

static volatile unsigned int nm_count;

static void on_nm(struct trap_frame *f)
{
    (void)f;
    nm_count++; /* the hypervisor cleared TS for us; the instruction is retried */
}

static uint64_t sse_roundtrip(uint64_t v)
{
    uint64_t out;

    __asm__ volatile("movq %1, %%xmm3\n\tmovq %%xmm3, %0" : "=r"(out) : "r"(v)); /* xmm3 is ours: the guest code uses no SSE */
    return out;
}

void test_main(void)
{
    traps_install();
    trap_hooks[7] = on_nm;
    ASSERT_EQ(sse_roundtrip(11), 11);
    ASSERT_EQ(nm_count, 0);

    ASSERT_RC(hypercall1(__HYPERVISOR_fpu_taskswitch, 1), 0);
    ASSERT_EQ(sse_roundtrip(22), 22);
    ASSERT_EQ(nm_count, 1);
    ASSERT_EQ(last_trap.vector, 7);
    ASSERT_EQ(sse_roundtrip(33), 33); /* TS is clear again: no second #NM */
    ASSERT_EQ(nm_count, 1);

    /* TS survives a reschedule */
    ASSERT_RC(hypercall1(__HYPERVISOR_fpu_taskswitch, 1), 0);
    ASSERT_RC(hypervisor_sched_op(SCHEDOP_yield, NULL), 0);
    ASSERT_EQ(sse_roundtrip(44), 44);
    ASSERT_EQ(nm_count, 2);

    /* set then cleared: nothing happens */
    ASSERT_RC(hypercall1(__HYPERVISOR_fpu_taskswitch, 1), 0);
    ASSERT_RC(hypercall1(__HYPERVISOR_fpu_taskswitch, 0), 0);
    ASSERT_EQ(sse_roundtrip(55), 55);
    ASSERT_EQ(nm_count, 2);
    /* x87 too */
    ASSERT_RC(hypercall1(__HYPERVISOR_fpu_taskswitch, 1), 0);
    __asm__ volatile("fninit");
    ASSERT_EQ(nm_count, 3);
}
