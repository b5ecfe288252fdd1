/* evtchn_ops: every EVTCHNOP with a positive and a negative case (loopback interdomain). */
#include "pv.h"

const char test_title[] = "EVTCHNOP alloc_unbound/bind_*/send/status/close/bind_vcpu/unmask";

static long op(int cmd, void *arg)
{
    return hypervisor_event_channel_op(cmd, arg);
}

static long send(unsigned int port)
{
    struct evtchn_send s = { .port = port };

    return op(EVTCHNOP_send, &s);
}

static long close_port(unsigned int port)
{
    struct evtchn_close c = { .port = port };

    return op(EVTCHNOP_close, &c);
}

static unsigned int status_of(unsigned int port, struct evtchn_status *st)
{
    st->dom = DOMID_SELF;
    st->port = port;
    ASSERT_RC(op(EVTCHNOP_status, st), 0);
    return st->status;
}

static void check_loopback(void)
{
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    struct evtchn_bind_interdomain bi = { .remote_dom = DOMID_SELF };
    struct evtchn_bind_vcpu bv;
    struct evtchn_status st;

    ASSERT_RC(op(EVTCHNOP_alloc_unbound, &au), 0);
    ASSERT_EQ(status_of(au.port, &st), EVTCHNSTAT_unbound);
    ASSERT_EQ(st.u.unbound.dom, pv_domid());
    ASSERT_RC(send(au.port), 0); /* nobody is bound yet: dropped */
    ASSERT(!evt_pending(au.port));
    bi.remote_port = au.port;
    ASSERT_RC(op(EVTCHNOP_bind_interdomain, &bi), 0);
    ASSERT(bi.local_port != au.port);
    ASSERT_EQ(status_of(bi.local_port, &st), EVTCHNSTAT_interdomain);
    ASSERT_EQ(st.u.interdomain.port, au.port);
    ASSERT_EQ(status_of(au.port, &st), EVTCHNSTAT_interdomain);
    evt_clear(bi.local_port);
    ASSERT_RC(send(bi.local_port), 0);
    ASSERT(evt_pending(au.port));
    evt_clear(au.port);
    ASSERT_RC(send(au.port), 0);
    ASSERT(evt_pending(bi.local_port));
    evt_clear(bi.local_port);
    /* binding an already bound port again is refused */
    ASSERT_RC(op(EVTCHNOP_bind_interdomain, &bi), -XEN_EINVAL);

    bv.port = au.port;
    bv.vcpu = 0;
    ASSERT_RC(op(EVTCHNOP_bind_vcpu, &bv), 0);
    bv.vcpu = 7;
    ASSERT_RC(op(EVTCHNOP_bind_vcpu, &bv), -XEN_EINVAL);

    /* closing one end leaves the other unbound, ready to be bound again */
    ASSERT_RC(close_port(bi.local_port), 0);
    ASSERT_EQ(status_of(bi.local_port, &st), EVTCHNSTAT_closed);
    ASSERT_EQ(status_of(au.port, &st), EVTCHNSTAT_unbound);
    ASSERT_RC(send(bi.local_port), -XEN_EINVAL);
    ASSERT_RC(op(EVTCHNOP_bind_interdomain, &bi), 0);
    ASSERT_RC(close_port(bi.local_port), 0);
    ASSERT_RC(close_port(au.port), 0);
}

static void check_virq_and_ipi(void)
{
    struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
    struct evtchn_bind_ipi bi = { .vcpu = 0 };
    struct evtchn_status st;
    unsigned int port;

    ASSERT_RC(op(EVTCHNOP_bind_virq, &bv), 0);
    port = bv.port;
    ASSERT_EQ(status_of(port, &st), EVTCHNSTAT_virq);
    ASSERT_EQ(st.u.virq, VIRQ_TIMER);
    ASSERT_RC(op(EVTCHNOP_bind_virq, &bv), -XEN_EEXIST);
    ASSERT_RC(send(port), -XEN_EINVAL); /* VIRQs are raised by the hypervisor only */
    bv.virq = 200;
    ASSERT_RC(op(EVTCHNOP_bind_virq, &bv), -XEN_EINVAL);
    bv.virq = VIRQ_TIMER;
    bv.vcpu = 6;
    ASSERT_RC(op(EVTCHNOP_bind_virq, &bv), -XEN_EINVAL);
    ASSERT_RC(close_port(port), 0);
    bv.vcpu = 0;
    ASSERT_RC(op(EVTCHNOP_bind_virq, &bv), 0); /* free again after the close */
    ASSERT_RC(close_port(bv.port), 0);

    ASSERT_RC(op(EVTCHNOP_bind_ipi, &bi), 0);
    ASSERT_EQ(status_of(bi.port, &st), EVTCHNSTAT_ipi);
    ASSERT_EQ(st.vcpu, 0);
    bi.vcpu = 9;
    ASSERT_RC(op(EVTCHNOP_bind_ipi, &bi), -XEN_ENOENT);
}

static void check_refusals(void)
{
    struct evtchn_alloc_unbound au = { .dom = 0, .remote_dom = DOMID_SELF };
    struct evtchn_bind_interdomain bi = { .remote_dom = 0x7000, .remote_port = 1 };
    struct evtchn_status st = { .dom = 0, .port = 1 };
    struct evtchn_unmask um = { .port = 5000 };

    ASSERT_RC(op(EVTCHNOP_alloc_unbound, &au), -XEN_EPERM); /* for another domain */
    ASSERT_RC(op(EVTCHNOP_bind_interdomain, &bi), -XEN_ESRCH);
    bi.remote_dom = DOMID_SELF;
    bi.remote_port = 0;
    ASSERT_RC(op(EVTCHNOP_bind_interdomain, &bi), -XEN_EINVAL);
    bi.remote_port = 100000;
    ASSERT_RC(op(EVTCHNOP_bind_interdomain, &bi), -XEN_EINVAL);
    ASSERT_RC(op(EVTCHNOP_status, &st), -XEN_ESRCH);
    st.dom = DOMID_SELF;
    st.port = 100000;
    ASSERT_RC(op(EVTCHNOP_status, &st), -XEN_EINVAL);
    ASSERT_RC(op(EVTCHNOP_unmask, &um), -XEN_EINVAL);
    ASSERT_RC(send(0), -XEN_EINVAL);
    ASSERT_RC(send(4095), -XEN_EINVAL);
    ASSERT_RC(send(0xffffffff), -XEN_EINVAL);
    ASSERT_RC(close_port(0), -XEN_EINVAL);
    ASSERT_RC(close_port(100000), -XEN_EINVAL);
    ASSERT_RC(op(99, &um), -XEN_ENOSYS);
    ASSERT_RC(op(EVTCHNOP_send, NULL), -XEN_EFAULT);
    ASSERT_RC(op(EVTCHNOP_status, (void *)0xffff830000001000ULL), -XEN_EFAULT);
}

void test_main(void)
{
    pv_map_shared_info();
    check_loopback();
    check_virq_and_ipi();
    check_refusals();
}
