/*
 * Guest exceptions and the bounce-frame ABI of 64-bit PV: exceptions, event upcalls and
 * user-mode system calls are delivered by building a frame on the guest kernel stack
 * (RCX, R11, [error code], RIP, CS, RFLAGS, RSP, SS) and jumping to the registered
 * handler; the guest returns with the iret hypercall.
 */
#include <tern/bug.h>
#include <tern/domain.h>
#include <tern/errno.h>
#include <tern/event.h>
#include <tern/lib.h>
#include <tern/printk.h>
#include <tern/sched.h>
#include <asm/current.h>
#include <asm/processor.h>
#include <asm/pv.h>
#include <asm/pv_desc.h>
#include <asm/pv_hypercall.h>
#include <asm/pv_emul.h>
#include <asm/pv_mm.h>
#include <asm/pv_shadow.h>
#include <asm/uaccess.h>
#include <public/xen.h>
#include <public/arch-x86/xen.h>

#define TRAP_page_fault 14
#define X86_EFLAGS_TF (1ul << 8)
#define X86_EFLAGS_NT (1ul << 14)
#define X86_EFLAGS_RF (1ul << 16)
#define X86_EFLAGS_VM (1ul << 17)
#define X86_EFLAGS_AC (1ul << 18)
#define TI_MASK_EVENTS 4 /* trap_info.flags: mask events on entry, like an interrupt gate */

static bool has_error_code(unsigned int vec)
{
    return vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21;
}

/* The swapgs-and-CR3 equivalent of a mode change between guest kernel and guest user. */
static void toggle_guest_mode(struct vcpu *v)
{
    v->kernel_mode = !v->kernel_mode;
    asm volatile("swapgs");
    write_cr3(pv_guest_cr3(v));
}

/*
 * Builds the bounce frame and points the vCPU at handler. Returns false (and crashes the
 * domain) when the guest stack cannot take the frame.
 */
static bool bounce(struct vcpu *v, struct cpu_user_regs *regs, uint64_t handler, bool with_error,
                   uint32_t error, bool mask_events, const uint16_t *segs)
{
    uint64_t frame[13];
    unsigned int n = 0;
    uint8_t saved_mask = v->vcpu_info->evtchn_upcall_mask;
    uint64_t cs = regs->cs, sp;

    if (!v->kernel_mode) {
        toggle_guest_mode(v);
        sp = v->kernel_sp;
    } else {
        sp = regs->rsp;
        cs &= ~3ul; /* the guest kernel tells its own frames by RPL 0 */
    }
    frame[n++] = regs->rcx;
    frame[n++] = regs->r11;
    for (unsigned int i = 0; segs && i < 4; i++)
        frame[n++] = segs[i]; /* failsafe: DS ES FS GS */
    if (with_error)
        frame[n++] = error;
    frame[n++] = regs->rip;
    frame[n++] = (cs & 0xffff) | ((uint64_t)saved_mask << 32);
    frame[n++] = (regs->rflags & ~(X86_EFLAGS_IF | 0x3000ul)) | (saved_mask ? 0 : X86_EFLAGS_IF);
    frame[n++] = regs->rsp;
    frame[n++] = regs->ss;
    sp = (sp & ~15ul) - n * 8;
    if (copy_to_guest(sp, frame, n * 8)) {
        domain_crash(v->domain, "cannot write a bounce frame at %#lx (rip %#lx)",
                     (unsigned long)sp, (unsigned long)regs->rip);
        return false;
    }
    regs->rsp = sp;
    regs->rip = handler;
    regs->cs = FLAT_KERNEL_CS;
    regs->ss = FLAT_KERNEL_SS;
    regs->rflags &= ~(X86_EFLAGS_TF | X86_EFLAGS_NT | X86_EFLAGS_RF | X86_EFLAGS_VM | X86_EFLAGS_AC);
    if (mask_events)
        v->vcpu_info->evtchn_upcall_mask = 1;
    return true;
}

static const char *const trap_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS", "#NP",
    "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

/* Delivers an exception to the guest's handler, or crashes the domain when it has none. */
void pv_inject_trap(struct vcpu *v, struct cpu_user_regs *regs, unsigned int vec, uint32_t error)
{
    const struct trap_info *ti = &v->traps[vec & 0xff];

    if (!ti->address) {
        domain_crash(v->domain, "unhandled %s (vector %u, error %#x) at rip %#lx, cr2 %#lx",
                     vec < 32 && trap_names[vec] ? trap_names[vec] : "trap", vec, error,
                     (unsigned long)regs->rip, vec == TRAP_page_fault ? (unsigned long)read_cr2() : 0ul);
        return;
    }
    bounce(v, regs, ti->address, has_error_code(vec), error, ti->flags & TI_MASK_EVENTS, NULL);
}

/*
 * `int $n` faults with #GP (the IDT gates are DPL 0). The guest's own trap table says who
 * may raise n: its kernel counts as ring 1, its user mode as ring 3, as on Xen.
 */
static bool softint_permitted(const struct vcpu *v, unsigned int vec)
{
    const struct trap_info *ti = &v->traps[vec & 0xff];

    return ti->address && (ti->flags & 3) >= (v->kernel_mode ? 1u : 3u);
}

/*
 * The vector of an `int $n` (CD nn) that faulted through the IDT, read from the
 * instruction itself: emulators disagree on the error code's index scaling. The error
 * code is normalised to the architectural (n << 3) | 2.
 */
static bool softint_vector(const struct cpu_user_regs *regs, uint32_t *error)
{
    uint8_t insn[2];

    if (copy_from_guest(insn, regs->rip, sizeof(insn)) || insn[0] != 0xcd)
        return false;
    *error = ((uint32_t)insn[1] << 3) | 2;
    return true;
}

void do_guest_trap(struct cpu_user_regs *regs)
{
    struct vcpu *v = current;
    unsigned int vec = regs->entry_vector;
    uint32_t error = regs->error_code;

    if (is_idle_vcpu(v) || !v->domain)
        return;
    switch (vec) {
    case 6: /* #UD: the forced-emulation prefix, or a real one */
        if (pv_emulate_forced(v, regs))
            return;
        break;
    case 13: /* #GP: privileged instructions a PV kernel still executes */
        if (!error && v->kernel_mode && pv_emulate_privileged(v, regs))
            return;
        if ((error & 3) == 2 && softint_vector(regs, &error)) {
            if (!softint_permitted(v, error >> 3))
                break;
            regs->rip += 2; /* int $n: the handler returns after it */
            /* a software interrupt never carries an error code, whatever its vector */
            bounce(v, regs, v->traps[error >> 3].address, false, 0,
                   v->traps[error >> 3].flags & TI_MASK_EVENTS, NULL);
            return;
        }
        if (!error && pv_gp_is_stack_fault(regs))
            vec = 12; /* #SS(0), as hardware raises it (stackfault.c) */
        break;
    case 1: /* #DB: what hit goes in its DR6 */
        pv_debugreg_hit(v);
        break;
    case 7: /* #NM: the guest's own lazy FPU switching */
        if (!pv_fpu_nm(v)) {
            domain_crash(v->domain, "#NM without a virtual CR0.TS at rip %#lx", (unsigned long)regs->rip);
            return;
        }
        break;
    case TRAP_page_fault:
        /* log-dirty's own read-only or not-yet-filled shadow entries */
        if (pv_shadow_fault(v, read_cr2(), error))
            return;
        /* a write to one of its own read-only L1 tables: emulate it */
        if ((error & 3) == 3 && pv_ptwr_emulate(v, regs, read_cr2()))
            return;
        v->vcpu_info->arch.cr2 = read_cr2();
        /* U/S follows the guest's mode, not the CPL (always 3) */
        error = v->kernel_mode ? error & ~4u : error | 4u;
        break;
    }
    pv_inject_trap(v, regs, vec, error);
}

/* A guest user's syscall: from 64-bit code to the syscall callback, from compat code
 * (the CSTAR stub's CS) to the syscall32 one. */
void pv_bounce_syscall(struct vcpu *v, struct cpu_user_regs *regs)
{
    bool compat = (regs->cs & 0xffff) == FLAT_USER_CS32;
    uint64_t to = compat ? v->syscall32_callback : v->syscall_callback;

    if (!to) {
        regs->rip -= 2; /* no callback: #UD at the syscall, as on Xen */
        pv_inject_trap(v, regs, 6, 0);
        return;
    }
    /* the CPU moved RIP/RFLAGS into RCX/R11; the frame carries the originals */
    bounce(v, regs, to, false, 0, compat ? v->syscall32_mask_events : v->syscall_mask_events, NULL);
}

/* sysenter: to the sysenter callback with the syscall frame (RIP and RSP 0: the CPU keeps
 * neither); without one, #GP(0), as on Xen. */
void pv_bounce_sysenter(struct vcpu *v, struct cpu_user_regs *regs)
{
    if (!v->sysenter_callback) {
        pv_inject_trap(v, regs, 13, 0);
        return;
    }
    bounce(v, regs, v->sysenter_callback, false, 0, v->sysenter_mask_events, NULL);
}

/* A selector of the guest's would not load; events masked, as Linux registers it. */
bool pv_bounce_failsafe(struct vcpu *v, struct cpu_user_regs *regs, const uint16_t sel[4])
{
    return bounce(v, regs, v->failsafe_callback, false, 0, true, sel);
}

bool pv_deliver_events(struct vcpu *v)
{
    struct vcpu_info *vi = v->vcpu_info;

    if (!vi->evtchn_upcall_pending || vi->evtchn_upcall_mask || !v->event_callback)
        return false;
    return bounce(v, guest_cpu_user_regs(), v->event_callback, false, 0, true, NULL);
}

long do_set_trap_table(uint64_t traps)
{
    struct vcpu *v = current;
    struct trap_info t;

    if (!traps) {
        memset(v->traps, 0, sizeof(v->traps));
        return 0;
    }
    for (unsigned int i = 0; i < 256; i++) {
        if (copy_from_guest(&t, traps + i * sizeof(t), sizeof(t)))
            return -EFAULT;
        if (!t.address)
            return 0;
        if (!guest_range_ok(t.address, 1))
            return -EINVAL;
        v->traps[t.vector] = t;
    }
    return 0;
}

long do_iret(unsigned long a1, unsigned long a2, unsigned long a3, unsigned long a4,
             unsigned long a5)
{
    struct vcpu *v = current;
    struct cpu_user_regs *regs = guest_cpu_user_regs();
    struct iret_context ic;

    if (copy_from_guest(&ic, regs->rsp, sizeof(ic))) {
        domain_crash(v->domain, "iret with an unreadable frame at %#lx", (unsigned long)regs->rsp);
        return 0;
    }
    /* RPL 3 returns to guest user mode (without a user table, the kernel's serves both) */
    if ((ic.cs & 3) == 3 && v->kernel_mode)
        toggle_guest_mode(v);
    regs->rip = ic.rip;
    regs->cs = ic.cs | 3;
    regs->rflags = ic.rflags;
    regs->rsp = ic.rsp;
    regs->ss = ic.ss | 3;
    if (!(ic.flags & VGCF_in_syscall)) {
        regs->r11 = ic.r11;
        regs->rcx = ic.rcx;
    }
    regs->rax = ic.rax;
    v->vcpu_info->evtchn_upcall_mask = !(ic.rflags & X86_EFLAGS_IF);
    return (long)ic.rax; /* whoever sets %rax from the result (a multicall) keeps the frame's */
}

void pv_timer_event(struct vcpu *v)
{
    send_guest_vcpu_virq(v, VIRQ_TIMER);
    sched_vcpu_wake(v); /* a vCPU blocked on its timer wakes even with no VIRQ bound */
}
