/*
 * bench_evtchn: event-channel ping-pong. With `peer=D`, this domain binds to port
 * `port=P` of domain D and echoes every event back; without, it offers a port to its
 * peer (alloc_unbound), waits for it to connect, then times `n` round trips. A
 * self-IPI loop (bind_ipi, send, wait) in the same domain is the baseline.
 */
#include "bench.h"
#include <public/event_channel.h>

const char test_title[] = "event-channel ping-pong between two domains";

static void wait_port(unsigned int port)
{
    for (uint64_t spins = 0; !evt_pending(port); spins++) {
        if (spins > 200000000ULL)
            test_error("no event on port %u", port);
        hypervisor_sched_op(SCHEDOP_yield, NULL);
    }
    evt_clear(port);
}

static void send(unsigned int port)
{
    struct evtchn_send s = { .port = port };
    ASSERT_EQ(hypervisor_event_channel_op(EVTCHNOP_send, &s), 0);
}

void test_main(void)
{
    uint64_t n = bench_arg("n", 2000), peer = bench_arg("peer", 0);

    pv_map_shared_info();
    if (peer) {
        struct evtchn_bind_interdomain bi = { .remote_dom = (domid_t)peer,
                                              .remote_port = (evtchn_port_t)bench_arg("port", 2) };
        long rc;
        for (unsigned int tries = 0; (rc = hypervisor_event_channel_op(EVTCHNOP_bind_interdomain, &bi)); tries++) {
            if (tries > 100000)
                test_error("cannot bind to d%llu port %u: %ld", (unsigned long long)peer, bi.remote_port, rc);
            hypervisor_sched_op(SCHEDOP_yield, NULL);
        }
        evt_mask(bi.local_port); /* polled, not delivered as upcalls */
        evt_clear(bi.local_port);
        for (uint64_t i = 0; i < n; i++) {
            wait_port(bi.local_port);
            send(bi.local_port);
        }
        return;
    }
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = (domid_t)(pv_domid() + 1) };
    ASSERT_EQ(hypervisor_event_channel_op(EVTCHNOP_alloc_unbound, &au), 0);
    guest_printf("bench_evtchn: offering port %u to d%u\n", au.port, pv_domid() + 1);
    evt_mask(au.port);
    for (uint64_t spins = 0;; spins++) { /* until the peer has connected */
        struct evtchn_status st = { .dom = DOMID_SELF, .port = au.port };
        ASSERT_EQ(hypervisor_event_channel_op(EVTCHNOP_status, &st), 0);
        if (st.status == EVTCHNSTAT_interdomain)
            break;
        if (spins > 10000000ULL)
            test_error("the peer never connected");
        hypervisor_sched_op(SCHEDOP_yield, NULL);
    }
    uint64_t t0 = pv_now();
    for (uint64_t i = 0; i < n; i++) {
        send(au.port);
        wait_port(au.port);
    }
    uint64_t t1 = pv_now();
    struct evtchn_bind_ipi ipi = { .vcpu = 0 };
    ASSERT_EQ(hypervisor_event_channel_op(EVTCHNOP_bind_ipi, &ipi), 0);
    evt_mask(ipi.port);
    for (uint64_t i = 0; i < n; i++) {
        send(ipi.port);
        wait_port(ipi.port);
    }
    uint64_t t2 = pv_now();
    bench_report("evtchn_pingpong_us", (t1 - t0) / n, "us");
    bench_report("evtchn_self_ipi_us", (t2 - t1) / n, "us");
}
