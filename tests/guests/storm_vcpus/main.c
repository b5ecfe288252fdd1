/*
 * storm_vcpus: brings up every vCPU it has; all of them yield and send IPIs to each other
 * in a tight loop for a while (bounded by the pvclock), then vCPU 0 reports. Run beside
 * other guests it must not starve them.
 */
#include "pv.h"

const char test_title[] = "all vCPUs spin, yield and send IPIs for a while";

#define MAX_V 8
#define STORM_NS 1500000000ULL

static struct vcpu_guest_context ctx;
static uint8_t stacks[MAX_V][8192] __attribute__((aligned(16)));
static unsigned int ipi_port[MAX_V];
static volatile uint64_t loops[MAX_V];
static volatile unsigned int finished;
static uint64_t deadline;
static unsigned int nr_vcpus;

static void storm(unsigned int me)
{
    struct evtchn_send s;

    for (uint64_t n = 0; pvclock_read(&shared->vcpu_info[0].time) < deadline && n < 50000000; n++) {
        s.port = ipi_port[(me + 1 + n) % nr_vcpus];
        hypervisor_event_channel_op(EVTCHNOP_send, &s);
        if (n % 4 == 0)
            hypervisor_sched_op(SCHEDOP_yield, NULL);
        loops[me]++;
    }
    __atomic_fetch_add(&finished, 1, __ATOMIC_SEQ_CST);
}

static void __attribute__((noreturn, used)) ap_main(unsigned int me)
{
    storm(me);
    hypervisor_vcpu_op(VCPUOP_down, me, NULL);
    for (;;)
        hypervisor_sched_op(SCHEDOP_block, NULL);
}

void test_main(void)
{
    pv_map_shared_info();
    for (nr_vcpus = 1; nr_vcpus < MAX_V; nr_vcpus++)
        if (hypervisor_vcpu_op(VCPUOP_is_up, nr_vcpus, NULL) < 0)
            break;
    for (unsigned int v = 0; v < nr_vcpus; v++) {
        struct evtchn_bind_ipi ipi = { .vcpu = v };
        ASSERT_RC(hypervisor_event_channel_op(EVTCHNOP_bind_ipi, &ipi), 0);
        ipi_port[v] = ipi.port;
    }
    deadline = pv_now() + STORM_NS;
    for (unsigned int v = 1; v < nr_vcpus; v++) {
        memset(&ctx, 0, sizeof(ctx));
        ctx.user_regs.rip = (uint64_t)(uintptr_t)ap_main;
        ctx.user_regs.rsp = (uint64_t)(uintptr_t)(stacks[v] + sizeof(stacks[v]) - 8);
        ctx.user_regs.rdi = v;
        ctx.kernel_sp = ctx.user_regs.rsp;
        ctx.ctrlreg[3] = xen_pfn_to_cr3(pv_virt_to_mfn((void *)(uintptr_t)start_info->pt_base));
        ASSERT_RC(hypervisor_vcpu_op(VCPUOP_initialise, v, &ctx), 0);
        ASSERT_RC(hypervisor_vcpu_op(VCPUOP_up, v, NULL), 0);
    }
    storm(0);
    /* the others stop by the same clock; wait (bounded) for them */
    for (unsigned int i = 0; i < 100000 && finished < nr_vcpus; i++)
        hypervisor_sched_op(SCHEDOP_yield, NULL);
    ASSERT_EQ(finished, nr_vcpus);
    for (unsigned int v = 0; v < nr_vcpus; v++)
        if (!loops[v])
            test_fail("vCPU %u never ran", v);
    guest_printf("storm_vcpus: %u vCPUs, vCPU 0 looped %llu times\n", nr_vcpus,
                 (unsigned long long)loops[0]);
}
