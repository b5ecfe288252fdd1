/* callbacks: callback_op register/unregister and set_callbacks, with their refusals. */
#include "pv.h"

const char test_title[] = "callback_op and set_callbacks: accepted and refused registrations";

extern char event_entry[], syscall_entry[];

static long reg(unsigned int type, unsigned int flags, uint64_t address)
{
    struct callback_register cb = { .type = type, .flags = flags, .address = address };

    return hypercall2(__HYPERVISOR_callback_op, CALLBACKOP_register, &cb);
}

static unsigned int ports_seen;

static void count_port(unsigned int port)
{
    (void)port;
    ports_seen++;
}

void test_main(void)
{
    uint64_t ev = (uint64_t)(uintptr_t)event_entry, sc = (uint64_t)(uintptr_t)syscall_entry;
    struct callback_unregister un = { .type = CALLBACKTYPE_event };
    struct evtchn_bind_ipi ipi = { .vcpu = 0 };
    struct evtchn_send send;

    traps_install();
    ASSERT_RC(reg(CALLBACKTYPE_event, 0, ev), 0);
    ASSERT_RC(reg(CALLBACKTYPE_failsafe, 0, ev), 0);
    ASSERT_RC(reg(CALLBACKTYPE_syscall, CALLBACKF_mask_events, sc), 0);
    ASSERT_RC(reg(CALLBACKTYPE_nmi, 0, ev), 0);
    ASSERT_RC(reg(CALLBACKTYPE_sysenter, 0, ev), 0); /* (syscall32 guest: their use) */
    ASSERT_RC(reg(CALLBACKTYPE_syscall32, CALLBACKF_mask_events, sc), 0);
    /* refused: unknown type, unknown flags, hypervisor and non-canonical addresses */
    ASSERT_RC(reg(99, 0, ev), -XEN_EINVAL);
    ASSERT_RC(reg(CALLBACKTYPE_sysenter, 0, 0x0000800000000000ULL), -XEN_EINVAL);
    ASSERT_RC(reg(CALLBACKTYPE_event, 0x80, ev), -XEN_EINVAL);
    ASSERT_RC(reg(CALLBACKTYPE_event, 0, 0xffff830000000000ULL), -XEN_EINVAL);
    ASSERT_RC(reg(CALLBACKTYPE_event, 0, 0x0000800000000000ULL), -XEN_EINVAL);
    ASSERT_RC(hypercall2(__HYPERVISOR_callback_op, CALLBACKOP_register, 0xffff830000000000ULL),
              -XEN_EFAULT);
    ASSERT_RC(hypercall2(__HYPERVISOR_callback_op, 7, &un), -XEN_ENOSYS);
    ASSERT_RC(hypercall2(__HYPERVISOR_callback_op, CALLBACKOP_unregister, &un), -XEN_EINVAL);
    ASSERT_RC(hypercall2(__HYPERVISOR_callback_op, CALLBACKOP_unregister, NULL), -XEN_EFAULT);

    ASSERT_RC(hypercall3(__HYPERVISOR_set_callbacks, ev, ev, 0xffff830000000000ULL), -XEN_EINVAL);
    ASSERT_RC(hypercall3(__HYPERVISOR_set_callbacks, ev, ev, sc), 0);

    /* the event callback set last is the one that runs */
    event_port_hook = count_port;
    ASSERT_RC(hypervisor_event_channel_op(EVTCHNOP_bind_ipi, &ipi), 0);
    send.port = ipi.port;
    ASSERT_RC(hypervisor_event_channel_op(EVTCHNOP_send, &send), 0);
    events_enable();
    events_disable();
    ASSERT_EQ(ports_seen, 1);
}
