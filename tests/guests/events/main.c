/* events: IPI to self, the upcall with events masked, per-port masks and the unmask protocol. */
#include "pv.h"

const char test_title[] = "bind_ipi + send: upcall runs masked; 2-level pending/mask/unmask";

static volatile unsigned int hits, last_port, mask_in_callback;

static void on_port(unsigned int port)
{
    hits++;
    last_port = port;
    mask_in_callback = shared->vcpu_info[0].evtchn_upcall_mask;
}

static long send(unsigned int port)
{
    struct evtchn_send s = { .port = port };

    return hypervisor_event_channel_op(EVTCHNOP_send, &s);
}

void test_main(void)
{
    struct evtchn_bind_ipi ipi = { .vcpu = 0 };
    struct vcpu_info *vi;
    unsigned int p;

    traps_install();
    vi = pv_vcpu_info(0);
    event_port_hook = on_port;
    ASSERT_RC(hypervisor_event_channel_op(EVTCHNOP_bind_ipi, &ipi), 0);
    p = ipi.port;
    ASSERT(p != 0);

    /* masked at boot: the event waits, flagged in pending, pending_sel and upcall_pending */
    ASSERT_EQ(vi->evtchn_upcall_mask, 1);
    ASSERT_RC(send(p), 0);
    ASSERT(evt_pending(p));
    ASSERT(vi->evtchn_pending_sel & (1ULL << (p / 64)));
    ASSERT_EQ(vi->evtchn_upcall_pending, 1);
    ASSERT_EQ(hits, 0);
    events_enable();
    ASSERT_EQ(hits, 1);
    ASSERT_EQ(last_port, p);
    ASSERT_EQ(mask_in_callback, 1); /* the callback runs with events masked */
    ASSERT_EQ(vi->evtchn_upcall_mask, 0); /* and the iret unmasked them again */
    ASSERT(!evt_pending(p));

    /* with upcalls enabled a send is delivered before the hypercall returns to us */
    ASSERT_RC(send(p), 0);
    ASSERT_EQ(hits, 2);

    /* a masked port: pending but no upcall; unmasking through the hypervisor delivers it */
    evt_mask(p);
    ASSERT_RC(send(p), 0);
    ASSERT_EQ(hits, 2);
    ASSERT(evt_pending(p));
    evt_unmask(p);
    ASSERT_EQ(hits, 3);

    /* a second send while still pending is merged into one upcall */
    events_disable();
    ASSERT_RC(send(p), 0);
    ASSERT_RC(send(p), 0);
    events_enable();
    ASSERT_EQ(hits, 4);

    /* SCHEDOP_block returns at once when an event is already pending */
    events_disable();
    ASSERT_RC(send(p), 0);
    ASSERT_RC(hypervisor_sched_op(SCHEDOP_block, NULL), 0);
    ASSERT_EQ(hits, 5);
    events_disable();
}
