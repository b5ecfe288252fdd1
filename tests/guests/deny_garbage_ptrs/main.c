/*
 * deny_garbage_ptrs: every hypercall that takes a pointer, given garbage: NULL, the
 * hypervisor's direct map and image, non-canonical, unmapped; outputs also aimed at the
 * read-only M2P. Each gets -EFAULT (or -EINVAL for huge counts) and we survive.
 */
#include "pv.h"

const char test_title[] = "garbage, hypervisor and read-only pointers and huge counts are refused";

static uint8_t hole[4096] __attribute__((aligned(4096)));

static uint64_t bad[8];
static unsigned int nr_bad;

static void check_inputs(uint64_t p)
{
    struct sched_poll poll = { .nr_ports = 1 };

    if (p) /* a NULL table means "clear", not a fault */
        ASSERT_RC(hypercall1(__HYPERVISOR_set_trap_table, p), -XEN_EFAULT);
    ASSERT_RC(hypervisor_mmu_update((void *)p, 1, NULL, DOMID_SELF), -XEN_EFAULT);
    ASSERT_RC(hypervisor_mmuext_op((void *)p, 1, NULL, DOMID_SELF), -XEN_EFAULT);
    ASSERT_RC(hypercall2(__HYPERVISOR_multicall, p, 1), -XEN_EFAULT);
    ASSERT_RC(hypervisor_sched_op(SCHEDOP_shutdown, (void *)p), -XEN_EFAULT);
    ASSERT_RC(hypervisor_sched_op(SCHEDOP_poll, (void *)p), -XEN_EFAULT);
    poll.ports = (evtchn_port_t *)p;
    ASSERT_RC(hypervisor_sched_op(SCHEDOP_poll, &poll), -XEN_EFAULT);
    ASSERT_RC(hypervisor_event_channel_op(EVTCHNOP_bind_ipi, (void *)p), -XEN_EFAULT);
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_initialise, 0, (void *)p), -XEN_EFAULT);
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_register_vcpu_info, 0, (void *)p), -XEN_EFAULT);
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_set_singleshot_timer, 0, (void *)p), -XEN_EFAULT);
    ASSERT_RC(hypervisor_memory_op(XENMEM_increase_reservation, (void *)p), -XEN_EFAULT);
    ASSERT_RC(hypervisor_memory_op(XENMEM_memory_map, (void *)p), -XEN_EFAULT);
    ASSERT_RC(hypercall2(__HYPERVISOR_callback_op, CALLBACKOP_register, p), -XEN_EFAULT);
    ASSERT_RC(hypercall2(__HYPERVISOR_physdev_op, PHYSDEVOP_set_iopl, p), -XEN_EFAULT);
    ASSERT_RC(hypervisor_console_io(CONSOLEIO_write, 8, (void *)p), -XEN_EFAULT);
    ASSERT_RC(hypervisor_xen_version(XENVER_get_features, (void *)p), -XEN_EFAULT);
}

static void check_outputs(uint64_t p)
{
    struct xen_memory_map map = { .nr_entries = 1 };
    struct xen_memory_reservation r = { .nr_extents = 1, .domid = DOMID_SELF };
    mmuext_op_t op = { .cmd = MMUEXT_TLB_FLUSH_LOCAL };
    long rc;

    ASSERT_RC(hypervisor_xen_version(XENVER_extraversion, (void *)p), -XEN_EFAULT);
    ASSERT_RC(hypervisor_xen_version(XENVER_compile_info, (void *)p), -XEN_EFAULT);
    ASSERT_RC(hypervisor_xen_version(XENVER_capabilities, (void *)p), -XEN_EFAULT);
    ASSERT_RC(hypervisor_xen_version(XENVER_guest_handle, (void *)p), -XEN_EFAULT);
    ASSERT_RC(hypervisor_memory_op(XENMEM_machphys_mapping, (void *)p), -XEN_EFAULT);
    set_xen_guest_handle(map.buffer, (struct e820entry *)p);
    ASSERT_RC(hypervisor_memory_op(XENMEM_memory_map, &map), -XEN_EFAULT);
    if (p) /* a NULL count pointer means "do not report" */
        ASSERT_RC(hypervisor_mmuext_op(&op, 1, (unsigned int *)p, DOMID_SELF), -XEN_EFAULT);
    /* a decrease that cannot read its list gives back nothing */
    set_xen_guest_handle(r.extent_start, (xen_pfn_t *)p);
    rc = hypervisor_memory_op(XENMEM_decrease_reservation, &r);
    ASSERT_RC(rc, 0);
}

void test_main(void)
{
    struct xen_machphys_mapping m;
    long cur;
    domid_t self = DOMID_SELF;

    ASSERT_RC(hypervisor_update_va_mapping((uint64_t)(uintptr_t)hole, 0, UVMF_INVLPG), 0);
    bad[nr_bad++] = 0;
    bad[nr_bad++] = 0xffff830000000000ULL;
    bad[nr_bad++] = 0xffff82d040200000ULL;
    bad[nr_bad++] = 0x8000000000000000ULL;
    bad[nr_bad++] = 0x00007ffffffff000ULL;
    bad[nr_bad++] = (uint64_t)(uintptr_t)hole;
    bad[nr_bad++] = 0xfffffffffffffff8ULL;
    cur = hypervisor_memory_op(XENMEM_current_reservation, &self);
    for (unsigned int i = 0; i < nr_bad; i++) {
        check_inputs(bad[i]);
        check_outputs(bad[i]);
    }
    /* the M2P is readable by us but must not be written for us */
    ASSERT_RC(hypervisor_memory_op(XENMEM_machphys_mapping, &m), 0);
    uint64_t before = ((volatile uint64_t *)(uintptr_t)m.v_start)[0];
    check_outputs(m.v_start);
    ASSERT_EQ(((volatile uint64_t *)(uintptr_t)m.v_start)[0], before);

    /* huge counts */
    mmu_update_t u = { 0 };
    struct xen_memory_reservation r = { .nr_extents = 1ULL << 40, .domid = DOMID_SELF };
    mmuext_op_t x = { .cmd = MMUEXT_PIN_L1_TABLE, .arg1.mfn = 0 };
    ASSERT_RC(hypercall4(__HYPERVISOR_mmu_update, &u, 1ULL << 32, NULL, DOMID_SELF), -XEN_EINVAL);
    ASSERT_RC(hypercall4(__HYPERVISOR_mmuext_op, &x, 1ULL << 32, NULL, DOMID_SELF), -XEN_EINVAL);
    /* a count that claims to resume a long batch just runs it: the first entry is refused */
    ASSERT(hypervisor_mmu_update(&u, 0xffffffff, NULL, DOMID_SELF) < 0);
    ASSERT(hypervisor_mmuext_op(&x, 0xffffffff, NULL, DOMID_SELF) < 0);
    ASSERT_RC(hypercall2(__HYPERVISOR_multicall, &u, ~0UL), -XEN_EINVAL);
    ASSERT_RC(hypervisor_memory_op(XENMEM_increase_reservation, &r), -XEN_EINVAL);
    ASSERT_EQ(hypervisor_memory_op(XENMEM_current_reservation, &self), cur);
    ASSERT_RC(hypervisor_console_write("deny_garbage_ptrs: still here\n", 30), 0);
}
