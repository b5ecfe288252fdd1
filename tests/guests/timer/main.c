/* timer: VIRQ_TIMER from set_timer_op and the singleshot timer; SCHEDOP_block woken on time. */
#include "pv.h"

const char test_title[] = "VIRQ_TIMER via set_timer_op / VCPUOP_set_singleshot_timer, block until it fires";

static volatile unsigned int ticks;
static unsigned int timer_port;

static void on_port(unsigned int port)
{
    if (port == timer_port)
        ticks++;
}

/* Blocks until the timer event arrives (each block may end early on another event). */
static uint64_t block_until_tick(unsigned int before)
{
    for (unsigned int i = 0; i < 1000 && ticks == before; i++) {
        ASSERT_RC(hypervisor_sched_op(SCHEDOP_block, NULL), 0);
        events_disable();
        events_enable(); /* deliver what woke us */
    }
    return pv_now();
}

void test_main(void)
{
    struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
    struct vcpu_set_singleshot_timer st;
    uint64_t start, deadline, woke, worst_late = 0;
    unsigned int before;

    traps_install();
    event_port_hook = on_port;
    ASSERT_RC(hypervisor_event_channel_op(EVTCHNOP_bind_virq, &bv), 0);
    timer_port = bv.port;
    events_enable();

    for (unsigned int i = 0; i < 3; i++) {
        start = pv_now();
        deadline = start + 20000000ULL; /* 20 ms */
        before = ticks;
        ASSERT_RC(hypercall1(__HYPERVISOR_set_timer_op, deadline), 0);
        woke = block_until_tick(before);
        ASSERT_EQ(ticks, before + 1);
        if (woke < deadline)
            test_fail("set_timer_op: woken %llu ns early", (unsigned long long)(deadline - woke));
        if (woke - deadline > worst_late)
            worst_late = woke - deadline;
    }

    for (unsigned int i = 0; i < 3; i++) {
        start = pv_now();
        st.timeout_abs_ns = start + 15000000ULL;
        st.flags = VCPU_SSHOTTMR_future;
        before = ticks;
        ASSERT_RC(hypervisor_vcpu_op(VCPUOP_set_singleshot_timer, 0, &st), 0);
        woke = block_until_tick(before);
        ASSERT_EQ(ticks, before + 1);
        if (woke < st.timeout_abs_ns)
            test_fail("singleshot: woken %llu ns early", (unsigned long long)(st.timeout_abs_ns - woke));
        if (woke - st.timeout_abs_ns > worst_late)
            worst_late = woke - st.timeout_abs_ns;
    }
    /* deadlines long past fire at once, 0 included (0 must not read as "no timer") */
    for (unsigned int i = 0; i < 2; i++) {
        st.timeout_abs_ns = i ? 1 : 0;
        st.flags = 0;
        before = ticks;
        ASSERT_RC(hypervisor_vcpu_op(VCPUOP_set_singleshot_timer, 0, &st), 0);
        block_until_tick(before);
        ASSERT_EQ(ticks, before + 1);
    }
    guest_printf("timer: latest wake-up %llu us after its deadline\n",
                 (unsigned long long)(worst_late / 1000));

    /* a stopped timer never fires; a deadline in the past with _future is refused */
    st.timeout_abs_ns = pv_now() + 5000000ULL;
    st.flags = 0;
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_set_singleshot_timer, 0, &st), 0);
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL), 0);
    ASSERT_RC(hypercall1(__HYPERVISOR_set_timer_op, 0), 0);
    before = ticks;
    deadline = pv_now() + 30000000ULL;
    while (pv_now() < deadline)
        ASSERT_RC(hypervisor_sched_op(SCHEDOP_yield, NULL), 0);
    ASSERT_EQ(ticks, before);

    st.timeout_abs_ns = pv_now() - 1000000ULL;
    st.flags = VCPU_SSHOTTMR_future;
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_set_singleshot_timer, 0, &st), -XEN_ETIME);
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_set_singleshot_timer, 0, NULL), -XEN_EFAULT);
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_set_singleshot_timer, 5, &st), -XEN_ENOENT);
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL), 0);
    events_disable();
}
