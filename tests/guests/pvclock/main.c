/* pvclock: the vCPU time info is consistent, monotonic and advances with real time. */
#include "pv.h"

const char test_title[] = "pvclock: even version, non-zero mul, monotonic, advancing";

void test_main(void)
{
    struct vcpu_time_info *t = &pv_vcpu_info(0)->time;
    uint64_t prev, now, start;
    unsigned int backwards = 0;

    ASSERT_EQ(t->version & 1, 0);
    ASSERT(t->version != 0);
    ASSERT(t->tsc_to_system_mul != 0);
    ASSERT(t->tsc_shift >= -32 && t->tsc_shift <= 32);
    ASSERT(pv_now() > 0); /* system time since boot, however the origin is chosen */

    start = prev = pv_now();
    for (unsigned int i = 0; i < 20000; i++) {
        now = pv_now();
        if (now < prev)
            backwards++;
        prev = now;
        if (i % 1000 == 0)
            hypervisor_sched_op(SCHEDOP_yield, NULL); /* reloads the time info */
    }
    ASSERT_EQ(backwards, 0);
    ASSERT(prev > start);
    ASSERT_EQ(t->version & 1, 0);
    /* roughly real time: a 10 ms singleshot deadline is reached by the clock */
    struct vcpu_set_singleshot_timer st = { .timeout_abs_ns = pv_now() + 10000000ULL };
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_set_singleshot_timer, 0, &st), 0);
    for (unsigned int i = 0; i < 100 && pv_now() < st.timeout_abs_ns; i++)
        ASSERT_RC(hypervisor_sched_op(SCHEDOP_block, NULL), 0);
    ASSERT(pv_now() >= st.timeout_abs_ns);
    events_disable();
}
