/* evtchn_exhaust: allocate event channels until -ENOSPC, then close one and reuse it. */
#include "pv.h"

const char test_title[] = "event channel exhaustion: -ENOSPC, then close and reuse";

static uint8_t used[4096];

void test_main(void)
{
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    struct evtchn_close c;
    unsigned int n = 0, first = 0;
    long rc = 0;

    pv_map_shared_info();
    while (n < sizeof(used)) {
        rc = hypervisor_event_channel_op(EVTCHNOP_alloc_unbound, &au);
        if (rc)
            break;
        if (au.port >= sizeof(used) || used[au.port]++) {
            test_fail("port %u handed out twice or out of range", au.port);
            break;
        }
        if (!first)
            first = au.port;
        n++;
    }
    ASSERT_RC(rc, -XEN_ENOSPC);
    ASSERT(n >= 63); /* at least the first word of ports */
    guest_printf("evtchn_exhaust: %u ports allocated before -ENOSPC\n", n);
    /* still full: a bind_ipi fails the same way */
    struct evtchn_bind_ipi ipi = { .vcpu = 0 };
    ASSERT_RC(hypervisor_event_channel_op(EVTCHNOP_bind_ipi, &ipi), -XEN_ENOSPC);
    c.port = first + 7;
    ASSERT_RC(hypervisor_event_channel_op(EVTCHNOP_close, &c), 0);
    ASSERT_RC(hypervisor_event_channel_op(EVTCHNOP_bind_ipi, &ipi), 0);
    ASSERT_EQ(ipi.port, first + 7);
    ASSERT_RC(hypervisor_event_channel_op(EVTCHNOP_alloc_unbound, &au), -XEN_ENOSPC);
    /* close everything; all of them can be had again */
    for (unsigned int p = 1; p < sizeof(used); p++) {
        if (!used[p])
            continue;
        c.port = p;
        ASSERT_RC(hypervisor_event_channel_op(EVTCHNOP_close, &c), 0);
    }
    for (unsigned int i = 0; i < n; i++)
        if (hypervisor_event_channel_op(EVTCHNOP_alloc_unbound, &au))
            test_failure_exit("re-allocation %u of %u failed", i, n);
}
