/* misc_ops: vm_assist, physdev_op and console_io read, accepted and refused. */
#include "pv.h"

const char test_title[] = "vm_assist, physdev_op, console_io read refused for unprivileged";

void test_main(void)
{
    struct physdev_set_iopl iopl = { .iopl = 1 };
    struct physdev_irq_status_query q = { .irq = 3, .flags = 0xffffffff };
    char buf[16];

    ASSERT_RC(hypercall2(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_writable_pagetables), 0);
    ASSERT_RC(hypercall2(__HYPERVISOR_vm_assist, VMASST_CMD_disable, VMASST_TYPE_writable_pagetables), 0);
    ASSERT_RC(hypercall2(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_pae_extended_cr3), 0);
    ASSERT_RC(hypercall2(__HYPERVISOR_vm_assist, VMASST_CMD_enable, 31), -XEN_EINVAL);
    ASSERT_RC(hypercall2(__HYPERVISOR_vm_assist, VMASST_CMD_enable, 64), -XEN_EINVAL);
    ASSERT_RC(hypercall2(__HYPERVISOR_vm_assist, VMASST_CMD_enable, ~0UL), -XEN_EINVAL);
    ASSERT_RC(hypercall2(__HYPERVISOR_vm_assist, 7, VMASST_TYPE_writable_pagetables), -XEN_ENOSYS);

    ASSERT_RC(hypercall2(__HYPERVISOR_physdev_op, PHYSDEVOP_set_iopl, &iopl), 0);
    iopl.iopl = 4;
    ASSERT_RC(hypercall2(__HYPERVISOR_physdev_op, PHYSDEVOP_set_iopl, &iopl), -XEN_EINVAL);
    ASSERT_RC(hypercall2(__HYPERVISOR_physdev_op, PHYSDEVOP_set_iopl, 0xffff830000000000ULL), -XEN_EFAULT);
    ASSERT_RC(hypercall2(__HYPERVISOR_physdev_op, PHYSDEVOP_irq_status_query, &q), 0);
    ASSERT_EQ(q.flags, 0);
    ASSERT_RC(hypercall2(__HYPERVISOR_physdev_op, PHYSDEVOP_irq_status_query, NULL), -XEN_EFAULT);
    ASSERT_RC(hypercall2(__HYPERVISOR_physdev_op, 999, &q), -XEN_ENOSYS);

    ASSERT((start_info->flags & SIF_PRIVILEGED) == 0);
    ASSERT_RC(hypervisor_console_io(CONSOLEIO_read, sizeof(buf), buf), -XEN_EPERM);
}
