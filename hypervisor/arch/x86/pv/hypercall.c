/*
 * Hypercall dispatch. A 64-bit PV guest kernel issues `syscall` with the number in
 * %rax and arguments in %rdi %rsi %rdx %r10 %r8; the result goes back in %rax.
 * A `syscall` from guest user mode is the guest's own system call and is bounced.
 */
#include <tern/domain.h>
#include <tern/errno.h>
#include <tern/event.h>
#include <tern/grant_table.h>
#include <tern/printk.h>
#include <tern/sched.h>
#include <tern/softirq.h>
#include <asm/current.h>
#include <asm/pv.h>
#include <asm/pv_desc.h>
#include <asm/pv_hypercall.h>

typedef long (*hypercall_fn)(unsigned long, unsigned long, unsigned long, unsigned long,
                             unsigned long);

/* Handlers take fewer arguments than the dispatcher passes; in the SysV ABI the extra
 * registers are simply ignored, so the cast goes through a generic function type. */
#define HC(nr, fn) [nr] = (hypercall_fn)(void (*)(void))(fn)

static const hypercall_fn hypercall_table[64] = {
    HC(__HYPERVISOR_set_trap_table, do_set_trap_table),
    HC(__HYPERVISOR_mmu_update, do_mmu_update),
    HC(__HYPERVISOR_set_gdt, do_set_gdt),
    HC(__HYPERVISOR_stack_switch, do_stack_switch),
    HC(__HYPERVISOR_set_timer_op, do_set_timer_op),
    HC(__HYPERVISOR_xen_version, do_xen_version),
    HC(__HYPERVISOR_console_io, do_console_io),
    HC(__HYPERVISOR_vm_assist, do_vm_assist),
    HC(__HYPERVISOR_update_va_mapping, do_update_va_mapping),
    HC(__HYPERVISOR_iret, do_iret),
    HC(__HYPERVISOR_set_segment_base, do_set_segment_base),
    HC(__HYPERVISOR_mmuext_op, do_mmuext_op),
    HC(__HYPERVISOR_sched_op, do_sched_op),
    HC(__HYPERVISOR_multicall, do_multicall),
    HC(__HYPERVISOR_event_channel_op, do_event_channel_op),
    HC(__HYPERVISOR_vcpu_op, do_vcpu_op),
    HC(__HYPERVISOR_callback_op, do_callback_op),
    HC(__HYPERVISOR_set_callbacks, do_set_callbacks),
    HC(__HYPERVISOR_physdev_op, do_physdev_op),
    HC(__HYPERVISOR_memory_op, do_memory_op),
    HC(__HYPERVISOR_fpu_taskswitch, do_fpu_taskswitch),
    HC(__HYPERVISOR_set_debugreg, do_set_debugreg),
    HC(__HYPERVISOR_get_debugreg, do_get_debugreg),
    HC(__HYPERVISOR_update_descriptor, do_update_descriptor),
    HC(__HYPERVISOR_grant_table_op, do_grant_table_op),
    HC(__HYPERVISOR_sysctl, do_sysctl),
    HC(__HYPERVISOR_domctl, do_domctl),
};

long hypercall_dispatch(unsigned long nr, unsigned long a1, unsigned long a2, unsigned long a3,
                        unsigned long a4, unsigned long a5)
{
    if (nr >= sizeof(hypercall_table) / sizeof(hypercall_table[0]) || !hypercall_table[nr])
        return -ENOSYS;
    return hypercall_table[nr](a1, a2, a3, a4, a5);
}

bool hypercall_preempt_check(void)
{
    struct vcpu *v = current;
    const struct vcpu_info *vi = v->vcpu_info;

    if (v->in_multicall)
        return false;
    return softirq_pending(smp_processor_id()) || (vi->evtchn_upcall_pending && !vi->evtchn_upcall_mask);
}

long hypercall_continue(unsigned long a1, unsigned long a2, unsigned long a3, unsigned long a4)
{
    struct vcpu *v = current;

    v->hcall_args[0] = a1;
    v->hcall_args[1] = a2;
    v->hcall_args[2] = a3;
    v->hcall_args[3] = a4;
    v->hcall_continued = true;
    return 0;
}

void do_guest_sysenter(struct cpu_user_regs *regs)
{
    pv_bounce_sysenter(current, regs);
}

void do_guest_syscall(struct cpu_user_regs *regs)
{
    struct vcpu *v = current;

    if (!v->kernel_mode) {
        pv_bounce_syscall(v, regs);
        return;
    }
    /* iret rewrites the whole frame itself and must not have %rax overwritten */
    if (regs->rax == __HYPERVISOR_iret) {
        do_iret(0, 0, 0, 0, 0);
        return;
    }
    v->hcall_continued = false;
    long rc = hypercall_dispatch(regs->rax, regs->rdi, regs->rsi, regs->rdx, regs->r10, regs->r8);
    if (v->hcall_continued) {
        /* %rax keeps the hypercall number; back over the 2-byte syscall to issue it again */
        regs->rdi = v->hcall_args[0];
        regs->rsi = v->hcall_args[1];
        regs->rdx = v->hcall_args[2];
        regs->r10 = v->hcall_args[3];
        regs->rip -= 2;
        return;
    }
    regs->rax = (uint64_t)rc;
}
