/* multicall: a mixed batch with a result per entry; nesting and iret refused; bad batches. */
#include "pv.h"

const char test_title[] = "multicall: per-entry results, nested multicall refused, bad batches";

static const char msg[] = "multicall: console write from inside a batch\n";

void test_main(void)
{
    static multicall_entry_t mc[8];
    struct evtchn_bind_ipi ipi = { .vcpu = 0 };
    struct evtchn_status st = { .dom = DOMID_SELF };

    mc[0].op = __HYPERVISOR_xen_version;
    mc[0].args[0] = XENVER_version;
    mc[1].op = __HYPERVISOR_console_io;
    mc[1].args[0] = CONSOLEIO_write;
    mc[1].args[1] = sizeof(msg) - 1;
    mc[1].args[2] = (uint64_t)(uintptr_t)msg;
    mc[2].op = 11; /* no such hypercall */
    mc[3].op = __HYPERVISOR_event_channel_op;
    mc[3].args[0] = EVTCHNOP_bind_ipi;
    mc[3].args[1] = (uint64_t)(uintptr_t)&ipi;
    mc[4].op = __HYPERVISOR_multicall;
    mc[4].args[0] = (uint64_t)(uintptr_t)mc;
    mc[4].args[1] = 1;
    mc[5].op = __HYPERVISOR_iret;
    mc[6].op = __HYPERVISOR_console_io; /* a bad pointer fails this entry alone */
    mc[6].args[0] = CONSOLEIO_write;
    mc[6].args[1] = 8;
    mc[6].args[2] = 0xffff830000000000ULL;
    mc[7].op = __HYPERVISOR_vcpu_op;
    mc[7].args[0] = VCPUOP_is_up;
    mc[7].args[1] = 0;
    for (unsigned int i = 0; i < 8; i++)
        mc[i].result = 0xdeadbeef;

    ASSERT_RC(hypercall2(__HYPERVISOR_multicall, mc, 8), 0);
    ASSERT_EQ(mc[0].result, hypervisor_xen_version(XENVER_version, NULL));
    ASSERT_CONSOLE_WRITE_OK((long)mc[1].result, sizeof(msg) - 1);
    ASSERT_EQ((long)mc[2].result, -XEN_ENOSYS);
    ASSERT_EQ(mc[3].result, 0);
    ASSERT(ipi.port != 0);
    st.port = ipi.port;
    ASSERT_RC(hypervisor_event_channel_op(EVTCHNOP_status, &st), 0);
    ASSERT_EQ(st.status, EVTCHNSTAT_ipi); /* the batched bind really happened */
    ASSERT_EQ((long)mc[4].result, -XEN_EINVAL);
    ASSERT_EQ((long)mc[5].result, -XEN_EINVAL);
    ASSERT_EQ((long)mc[6].result, -XEN_EFAULT);
    ASSERT_EQ(mc[7].result, 1);

    ASSERT_RC(hypercall2(__HYPERVISOR_multicall, mc, 0), 0);
    ASSERT_RC(hypercall2(__HYPERVISOR_multicall, 0xffff830000000000ULL, 1), -XEN_EFAULT);
    ASSERT_RC(hypercall2(__HYPERVISOR_multicall, NULL, 1), -XEN_EFAULT);
    ASSERT_RC(hypercall2(__HYPERVISOR_multicall, mc, 1UL << 40), -XEN_EINVAL);
}
