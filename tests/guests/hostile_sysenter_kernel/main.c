/*
 * hostile_sysenter_kernel: sysenter from guest kernel mode, %rsp pointing into the
 * hypervisor. The CPU keeps no stack for sysenter, so its frame says %rsp 0 and the bounce
 * to the sysenter callback (the guest is in kernel mode: no stack switch) would go just
 * below the top of the address space, where nothing is mapped; where sysenter is #UD in
 * 64-bit mode (AMD's CPUs, and QEMU showing their vendor), the #UD's bounce meets the
 * hypervisor stack instead. Either way the domain is crashed, never the hypervisor.
 */
#include "pv.h"

const char test_title[] = "sysenter from guest kernel mode with a hypervisor stack crashes the domain";

void test_main(void)
{
    extern char syscall_entry[];
    struct callback_register cb = { .type = CALLBACKTYPE_sysenter,
                                    .address = (uint64_t)(uintptr_t)syscall_entry };

    traps_install();
    ASSERT_RC(hypercall2(__HYPERVISOR_callback_op, CALLBACKOP_register, &cb), 0);
    guest_printf("hostile_sysenter_kernel: sysenter with %%rsp in the hypervisor\n");
    __asm__ volatile("mov %%rsp, %%rbx\n\t"
                     "mov $0xffff830000100000, %%rsp\n\t"
                     "sysenter\n\t"
                     "mov %%rbx, %%rsp" ::: "rbx", "memory");
    test_failure_exit("came back from sysenter");
}
