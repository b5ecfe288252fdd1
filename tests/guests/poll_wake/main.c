/*
 * poll_wake: the waits Linux uses for a contended spinlock, across vCPUs. Each vCPU
 * polls a masked port that another vCPU signals (a ring of sends); a vCPU timer is
 * re-armed after its vCPU may have moved to another CPU; a poll's timeout leaves the
 * singleshot timer alone. Run with tern.vcpus=3 on 2 CPUs so that vCPUs move. A lost
 * wake-up leaves a vCPU asleep and the run times out.
 */
#include "pv.h"

const char test_title[] = "SCHEDOP_poll on masked ports woken across vCPUs; timers that follow their vCPU";

#define NV           3 /* at most; with fewer the ring is shorter */
#define RING_ROUNDS  2000
#define TIMER_ROUNDS 300
#define FAR_AWAY     1000000000000ULL /* 1000 s: a timer that never fires in a test */

static struct vcpu_guest_context ctx;
static uint8_t stacks[NV][8192] __attribute__((aligned(16)));
static evtchn_port_t ring_port[NV], timer_port[NV], spare_port;
static volatile unsigned int finished[NV];
static unsigned int nv; /* vCPUs in the ring */

/* Polls until one of the ports is pending. Only a wake-up ends a poll without timeout. */
static void poll_ports(evtchn_port_t *ports, unsigned int n)
{
    struct sched_poll p = { .ports = ports, .nr_ports = n, .timeout = 0 };

    for (;;) {
        for (unsigned int i = 0; i < n; i++)
            if (evt_pending(ports[i]))
                return;
        ASSERT_RC(hypervisor_sched_op(SCHEDOP_poll, &p), 0);
    }
}

static void send(evtchn_port_t port)
{
    struct evtchn_send s = { .port = port };

    ASSERT_RC(hypervisor_event_channel_op(EVTCHNOP_send, &s), 0);
}

static void set_singleshot(unsigned int vcpu, uint64_t when)
{
    struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = when, .flags = 0 };

    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_set_singleshot_timer, vcpu, &t), 0);
}

/* vCPU n waits for its ring port and passes the token on; vCPU 0 starts each round. */
static void ring(unsigned int n)
{
    evtchn_port_t mine[2] = { ring_port[n], spare_port };
    unsigned int nports = n == nv - 1 ? 2 : 1; /* the last one polls two ports: any wakes it */

    for (unsigned int r = 0; r < RING_ROUNDS; r++) {
        if (n == 0)
            send(ring_port[1 % nv]);
        poll_ports(mine, nports);
        ASSERT(evt_pending(ring_port[n]));
        evt_clear(ring_port[n]);
        if (n != 0)
            send(ring_port[(n + 1) % nv]);
    }
}

/*
 * Arms a far timer, sleeps briefly (waking, the vCPU goes to whichever CPU is free),
 * re-arms, stops and re-arms the timer near and waits for it.
 */
static void timer_follows_vcpu(unsigned int n)
{
    struct sched_poll nap = { .ports = &spare_port, .nr_ports = 1 };

    for (unsigned int r = 0; r < TIMER_ROUNDS; r++) {
        set_singleshot(n, pv_now() + FAR_AWAY);
        nap.timeout = pv_now() + 50000ULL;
        ASSERT_RC(hypervisor_sched_op(SCHEDOP_poll, &nap), 0);
        /* stopped and armed again: each must act on the queue that holds the timer */
        set_singleshot(n, pv_now() + FAR_AWAY / 2);
        ASSERT_RC(hypervisor_vcpu_op(VCPUOP_stop_singleshot_timer, n, NULL), 0);
        uint64_t deadline = pv_now() + 200000ULL;
        set_singleshot(n, deadline);
        poll_ports(&timer_port[n], 1);
        evt_clear(timer_port[n]);
        if (pv_now() < deadline)
            test_fail("vCPU %u: timer event %llu ns before its deadline", n,
                      (unsigned long long)(deadline - pv_now()));
    }
}

static void __attribute__((noreturn, used)) secondary(uint64_t n)
{
    ring((unsigned int)n);
    timer_follows_vcpu((unsigned int)n);
    finished[n] = 1;
    hypervisor_vcpu_op(VCPUOP_down, (unsigned int)n, NULL);
    for (;;)
        hypervisor_sched_op(SCHEDOP_block, NULL);
}

/* A poll that times out must not touch the vCPU's singleshot timer. */
static void poll_timeout_spares_timer(void)
{
    struct sched_poll p = { .ports = &spare_port, .nr_ports = 1 };
    uint64_t deadline = pv_now() + 20000000ULL;

    set_singleshot(0, deadline);
    p.timeout = pv_now() + 2000000ULL;
    ASSERT_RC(hypervisor_sched_op(SCHEDOP_poll, &p), 0);
    ASSERT(pv_now() >= p.timeout);
    if (evt_pending(timer_port[0]) && pv_now() < deadline)
        test_fail("the poll's timeout raised the singleshot timer's event early");
    poll_ports(&timer_port[0], 1);
    evt_clear(timer_port[0]);
    ASSERT(pv_now() >= deadline);
}

static void start_vcpu(unsigned int n)
{
    memset(&ctx, 0, sizeof(ctx));
    ctx.user_regs.rip = (uint64_t)(uintptr_t)secondary;
    ctx.user_regs.rsp = (uint64_t)(uintptr_t)(stacks[n] + sizeof(stacks[n]) - 8);
    ctx.user_regs.rdi = n;
    ctx.ctrlreg[3] = xen_pfn_to_cr3(pv_virt_to_mfn((void *)(uintptr_t)start_info->pt_base));
    ctx.kernel_sp = ctx.user_regs.rsp;
    pv_vcpu_info(n)->evtchn_upcall_mask = 1; /* it only polls */
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_initialise, n, &ctx), 0);
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_up, n, NULL), 0);
}

void test_main(void)
{
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };

    pv_map_shared_info();
    events_disable();
    for (nv = 1; nv < NV && hypervisor_vcpu_op(VCPUOP_is_up, nv, NULL) != -XEN_ENOENT; nv++)
        ;
    for (unsigned int n = 0; n < nv; n++) {
        struct evtchn_bind_ipi ipi = { .vcpu = n };
        struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = n };
        ASSERT_RC(hypervisor_event_channel_op(EVTCHNOP_bind_ipi, &ipi), 0);
        ASSERT_RC(hypervisor_event_channel_op(EVTCHNOP_bind_virq, &bv), 0);
        ring_port[n] = ipi.port;
        timer_port[n] = bv.port;
        evt_mask(ring_port[n]);
        evt_mask(timer_port[n]);
    }
    ASSERT_RC(hypervisor_event_channel_op(EVTCHNOP_alloc_unbound, &au), 0);
    spare_port = au.port;
    evt_mask(spare_port);

    poll_timeout_spares_timer();
    for (unsigned int n = 1; n < nv; n++)
        start_vcpu(n);
    ring(0);
    timer_follows_vcpu(0);
    for (unsigned int n = 1; n < nv; n++)
        for (unsigned int i = 0; i < 1000000 && !finished[n]; i++)
            hypervisor_sched_op(SCHEDOP_yield, NULL);
    for (unsigned int n = 1; n < nv; n++)
        ASSERT(finished[n]);
    guest_printf("poll_wake: %u rounds of the ring and %u timer re-arms on each of %u vCPUs\n",
                 RING_ROUNDS, TIMER_ROUNDS, nv);
}
