/*
 * deny_exhaust: take every event channel and ask for far more memory than the allotment,
 * in every shape; each request is refused cleanly and the domain keeps working.
 */
#include "pv.h"

const char test_title[] = "exhausting event channels and memory is refused cleanly";

static xen_pfn_t list[4096];

void test_main(void)
{
    struct evtchn_bind_ipi ipi = { .vcpu = 0 };
    struct xen_memory_reservation r = { .domid = DOMID_SELF };
    domid_t self = DOMID_SELF;
    unsigned int ports = 0;
    long rc, cur;

    pv_map_shared_info();
    while ((rc = hypervisor_event_channel_op(EVTCHNOP_bind_ipi, &ipi)) == 0 && ports < 100000)
        ports++;
    ASSERT_RC(rc, -XEN_ENOSPC);
    for (unsigned int i = 0; i < 100; i++)
        ASSERT_RC(hypervisor_event_channel_op(EVTCHNOP_bind_ipi, &ipi), -XEN_ENOSPC);

    cur = hypervisor_memory_op(XENMEM_current_reservation, &self);
    set_xen_guest_handle(r.extent_start, list);
    for (unsigned int order = 0; order <= 9; order++) {
        r.extent_order = order;
        r.nr_extents = ARRAY_SIZE(list);
        ASSERT_RC(hypervisor_memory_op(XENMEM_increase_reservation, &r), 0);
        ASSERT_RC(hypervisor_memory_op(XENMEM_populate_physmap, &r), 0);
    }
    /* no list at all: still nothing beyond the allotment */
    set_xen_guest_handle(r.extent_start, NULL);
    r.extent_order = 0;
    r.nr_extents = 1u << 20;
    ASSERT_RC(hypervisor_memory_op(XENMEM_increase_reservation, &r), 0);
    ASSERT_EQ(hypervisor_memory_op(XENMEM_current_reservation, &self), cur);

    guest_printf("deny_exhaust: %u ports, then -ENOSPC; memory stays at %ld pages\n", ports, cur);
    /* the event channels we hold still work */
    struct evtchn_send s = { .port = ipi.port ? ipi.port : 1 };
    ASSERT_RC(hypervisor_event_channel_op(EVTCHNOP_send, &s), 0);
    ASSERT(evt_pending(s.port));
}
