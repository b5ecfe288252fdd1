/*
 * long_batches: mmu_update, mmuext_op and multicall far over 4096 entries all complete
 * with their counts, and a timer event arrives in the middle of a long batch (the
 * hypercall stopped, the event was delivered, the hypercall went on where it stopped).
 */
#include "pv.h"

const char test_title[] = "batches of 20,000 entries complete, and are preempted for events";

#define N_MMU 20000
#define N_MC  10000

static union {
    mmu_update_t u[N_MMU];
    mmuext_op_t x[N_MMU];
    struct multicall_entry mc[N_MC];
} batch;

static unsigned int timer_port;
/* the batch's *done (an unsigned int in the ABI), written when it stops; guard must stay */
static volatile struct { unsigned int done, guard; } progress = { 0, 0xfeedf00d };
static volatile int in_batch;
static volatile uint64_t done_at_event; /* what the event handler saw, ~0 if not in a batch */
static volatile unsigned int events;

static void on_port(unsigned int port)
{
    if (port != timer_port)
        return;
    events++;
    done_at_event = in_batch ? progress.done : ~0ULL;
}

static void fill_m2p_updates(void)
{
    for (unsigned int i = 0; i < N_MMU; i++) {
        uint64_t pfn = i % start_info->nr_pages;
        batch.u[i].ptr = (pv_pfn_to_mfn(pfn) << 12) | MMU_MACHPHYS_UPDATE;
        batch.u[i].val = pfn; /* what the M2P already says */
    }
}

/* One long mmu_update with a timer due soon after it starts; true if the event came mid-way. */
static bool event_within_batch(void)
{
    unsigned int before = events;
    uint64_t count;

    progress.done = 0;
    done_at_event = ~0ULL;
    ASSERT_RC(hypercall1(__HYPERVISOR_set_timer_op, pv_now() + 200000ULL), 0);
    in_batch = 1;
    long rc = hypervisor_mmu_update(batch.u, N_MMU, (unsigned int *)&progress.done, DOMID_SELF);
    in_batch = 0;
    ASSERT_RC(rc, 0);
    ASSERT_EQ(progress.done, N_MMU);
    ASSERT_EQ(progress.guard, 0xfeedf00d); /* nothing written past the count */
    for (unsigned int i = 0; i < 100000 && events == before; i++)
        ASSERT_RC(hypervisor_sched_op(SCHEDOP_yield, NULL), 0);
    ASSERT_EQ(events, before + 1);
    count = done_at_event;
    return count > 0 && count < N_MMU;
}

void test_main(void)
{
    struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
    unsigned int n = 0;
    bool preempted = false;

    traps_install();
    event_port_hook = on_port;
    ASSERT_RC(hypervisor_event_channel_op(EVTCHNOP_bind_virq, &bv), 0);
    timer_port = bv.port;

    /* mmu_update: 20,000 M2P updates, all done */
    fill_m2p_updates();
    ASSERT_RC(hypervisor_mmu_update(batch.u, N_MMU, &n, DOMID_SELF), 0);
    ASSERT_EQ(n, N_MMU);
    /* a bad entry late in a long batch stops it there, with the count of those done */
    batch.u[N_MMU - 5].ptr = (1ULL << 12) | MMU_MACHPHYS_UPDATE; /* not our frame */
    ASSERT_RC(hypervisor_mmu_update(batch.u, N_MMU, &n, DOMID_SELF), -XEN_EPERM);
    ASSERT_EQ(n, N_MMU - 5);

    /* inside a multicall a batch cannot continue itself: over 4096 entries it is refused */
    static struct multicall_entry one = { .op = __HYPERVISOR_mmu_update };
    one.args[0] = (uint64_t)(uintptr_t)batch.u;
    one.args[1] = 5000;
    one.args[3] = DOMID_SELF;
    ASSERT_RC(hypercall2(__HYPERVISOR_multicall, &one, 1), 0);
    ASSERT_EQ((long)one.result, -XEN_EINVAL);

    /* mmuext_op: 20,000 local TLB flushes */
    for (unsigned int i = 0; i < N_MMU; i++)
        batch.x[i] = (mmuext_op_t){ .cmd = MMUEXT_TLB_FLUSH_LOCAL };
    ASSERT_RC(hypervisor_mmuext_op(batch.x, N_MMU, &n, DOMID_SELF), 0);
    ASSERT_EQ(n, N_MMU);

    /* multicall: 10,000 xen_version calls, every result written */
    long version = hypercall2(__HYPERVISOR_xen_version, XENVER_version, 0);
    for (unsigned int i = 0; i < N_MC; i++)
        batch.mc[i] = (struct multicall_entry){ .op = __HYPERVISOR_xen_version,
                                                .result = 0x5a5a, .args = { XENVER_version } };
    ASSERT_RC(hypercall2(__HYPERVISOR_multicall, batch.mc, N_MC), 0);
    for (unsigned int i = 0; i < N_MC; i++)
        if ((long)batch.mc[i].result != version)
            test_fail("multicall entry %u: result %#llx", i, (unsigned long long)batch.mc[i].result);

    /* an event due during a long batch is delivered during it (retried if it came before) */
    fill_m2p_updates();
    events_enable();
    for (unsigned int tries = 0; tries < 20 && !preempted; tries++)
        preempted = event_within_batch();
    events_disable();
    if (!preempted)
        test_fail("the timer event never arrived in the middle of a long batch");
    else
        guest_printf("long_batches: a timer event arrived after %llu of %u entries\n",
                     (unsigned long long)done_at_event, N_MMU);
}
