/* sched_ops: yield, block, poll (with timeout and with a pending port), shutdown refusals. */
#include "pv.h"

const char test_title[] = "SCHEDOP yield/block/poll/shutdown and their refusals";

void test_main(void)
{
    struct evtchn_bind_ipi ipi = { .vcpu = 0 };
    struct evtchn_send s;
    struct sched_poll poll;
    struct sched_shutdown sd;
    evtchn_port_t ports[2];
    uint64_t t0, t1;

    pv_map_shared_info();
    for (unsigned int i = 0; i < 100; i++)
        ASSERT_RC(hypervisor_sched_op(SCHEDOP_yield, NULL), 0);

    ASSERT_RC(hypervisor_event_channel_op(EVTCHNOP_bind_ipi, &ipi), 0);
    /* poll: a port already pending returns at once */
    s.port = ipi.port;
    ASSERT_RC(hypervisor_event_channel_op(EVTCHNOP_send, &s), 0);
    ports[0] = ipi.port;
    poll.ports = ports;
    poll.nr_ports = 1;
    poll.timeout = 0;
    ASSERT_RC(hypervisor_sched_op(SCHEDOP_poll, &poll), 0);
    evt_clear(ipi.port);

    /* poll with a timeout and nothing pending: returns after (not before) the timeout */
    t0 = pv_now();
    poll.timeout = t0 + 10000000ULL;
    ASSERT_RC(hypervisor_sched_op(SCHEDOP_poll, &poll), 0);
    t1 = pv_now();
    ASSERT(t1 >= poll.timeout);
    ASSERT(!evt_pending(ipi.port));

    /* block with events masked and one pending: returns, unmasking events */
    events_disable();
    s.port = ipi.port;
    ASSERT_RC(hypervisor_event_channel_op(EVTCHNOP_send, &s), 0);
    ASSERT_RC(hypervisor_sched_op(SCHEDOP_block, NULL), 0);
    ASSERT_EQ(pv_vcpu_info(0)->evtchn_upcall_mask, 0);
    events_disable();

    /* refusals */
    poll.nr_ports = 129;
    ASSERT_RC(hypervisor_sched_op(SCHEDOP_poll, &poll), -XEN_EINVAL);
    ports[1] = 100000;
    poll.nr_ports = 2;
    poll.timeout = 0;
    evt_clear(ipi.port);
    ASSERT_RC(hypervisor_sched_op(SCHEDOP_poll, &poll), -XEN_EINVAL);
    poll.ports = (evtchn_port_t *)0xffff830000000000ULL;
    poll.nr_ports = 1;
    ASSERT_RC(hypervisor_sched_op(SCHEDOP_poll, &poll), -XEN_EFAULT);
    ASSERT_RC(hypervisor_sched_op(SCHEDOP_poll, NULL), -XEN_EFAULT);
    sd.reason = SHUTDOWN_MAX + 1;
    ASSERT_RC(hypervisor_sched_op(SCHEDOP_shutdown, &sd), -XEN_EINVAL);
    sd.reason = 0xffffffff;
    ASSERT_RC(hypervisor_sched_op(SCHEDOP_shutdown, &sd), -XEN_EINVAL);
    ASSERT_RC(hypervisor_sched_op(SCHEDOP_shutdown, NULL), -XEN_EFAULT);
    ASSERT_RC(hypervisor_sched_op(77, NULL), -XEN_ENOSYS);
    /* the good shutdown (poweroff) is how every guest ends */
}
