/* Exceptions: every vector reaches do_trap(); a fault in the hypervisor is fatal and reported. */
#include <tern/bug.h>
#include <tern/irq.h>
#include <tern/mm.h>
#include <tern/printk.h>
#include <tern/shutdown.h>
#include <tern/smp.h>
#include <tern/symbols.h>
#include <asm/current.h>
#include <asm/desc.h>
#include <asm/processor.h>
#include <asm/regs.h>
#include <asm/pv.h>
#include <asm/pv_shadow.h>
#include <asm/uaccess.h>

unsigned long nmi_count, nmi_on_ist;

static const char *const exception_names[32] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
    "#BR bound range", "#UD invalid opcode", "#NM device not available", "#DF double fault",
    "coprocessor overrun", "#TS invalid TSS", "#NP segment not present", "#SS stack fault",
    "#GP general protection", "#PF page fault", "reserved", "#MF x87 error",
    "#AC alignment check", "#MC machine check", "#XM SIMD error", "#VE virtualisation",
    "#CP control protection",
};

static const char *exception_name(unsigned int vec)
{
    return vec < 32 && exception_names[vec] ? exception_names[vec] : "reserved";
}

void dump_stack_trace(const void *frame)
{
    const unsigned long *fp = frame;

    printk(KERN_ERR "Stack trace:\n");
    for (unsigned int depth = 0; fp && depth < 32; depth++) {
        unsigned long next, ret;
        if (((unsigned long)fp & 7) || !hypervisor_va_mapped((unsigned long)fp) ||
            !hypervisor_va_mapped((unsigned long)(fp + 1)))
            break;
        next = fp[0];
        ret = fp[1];
        if (!ret)
            break;
        print_symbol("  ", ret);
        if (next <= (unsigned long)fp)
            break; /* frames go up the stack; anything else is garbage */
        fp = (const unsigned long *)next;
    }
}

static void dump_registers(const struct cpu_user_regs *r)
{
    printk(KERN_ERR "CPU %u  RIP %04lx:%016lx  RFLAGS %016lx\n", smp_processor_id(),
           (unsigned long)r->cs, (unsigned long)r->rip, (unsigned long)r->rflags);
    print_symbol("  at ", r->rip);
    printk(KERN_ERR "RAX %016lx RBX %016lx RCX %016lx RDX %016lx\n", r->rax, r->rbx, r->rcx, r->rdx);
    printk(KERN_ERR "RSI %016lx RDI %016lx RBP %016lx RSP %016lx\n", r->rsi, r->rdi, r->rbp, r->rsp);
    printk(KERN_ERR "R8  %016lx R9  %016lx R10 %016lx R11 %016lx\n", r->r8, r->r9, r->r10, r->r11);
    printk(KERN_ERR "R12 %016lx R13 %016lx R14 %016lx R15 %016lx\n", r->r12, r->r13, r->r14, r->r15);
    printk(KERN_ERR "CR0 %016lx CR2 %016lx CR3 %016lx CR4 %016lx\n", read_cr0(), read_cr2(),
           read_cr3(), read_cr4());
    printk(KERN_ERR "SS %04lx\n", (unsigned long)r->ss);
}

static void __noreturn fatal_trap(const struct cpu_user_regs *r)
{
    console_force_unlock();
    printk(KERN_ERR "\n*** FATAL TRAP: vector %u (%s), error code 0x%04x ***\n", r->entry_vector,
           exception_name(r->entry_vector), r->error_code);
    dump_registers(r);
    dump_stack_trace((const void *)r->rbp);
    panic("fatal trap %u in the hypervisor", r->entry_vector);
}

void do_trap(struct cpu_user_regs *regs);
void do_trap(struct cpu_user_regs *regs)
{
    unsigned int vec = regs->entry_vector;

    if (vec >= FIRST_IRQ_VECTOR) {
        do_irq(regs);
        return;
    }
    if (regs->cs & 3) {
        do_guest_trap(regs); /* a guest's own exception: its handler or its crash */
        return;
    }
    /* the hypervisor touched guest memory through a log-dirty shadow not yet filled or writable */
    if (vec == 14 && pv_shadow_fault(current, read_cr2(), regs->error_code))
        return;
    if (vec >= 11 && vec <= 14 && fixup_exception(&regs->rip))
        return; /* a guest copy, segment load or iret that faulted: see its fixup */
    if (vec == 1) {
        /* A guest's breakpoint hit in ring 0: the hypervisor touched watched guest memory,
         * or a `mov ss` shadow carried the #DB over a syscall or int into our entry (on
         * #DB's own stack, whatever %rsp the guest left). Data breakpoints are traps, so
         * carrying on is safe; as on Xen the guest is not told. */
        asm volatile("mov %0, %%db6" ::"r"(0xffff0ff0ul));
        return;
    }
    if (vec == 2) {
        /* No NMI sources are armed yet: count it, report it and carry on. */
        unsigned long sp;
        asm("mov %%rsp, %0" : "=r"(sp));
        nmi_count++;
        if (on_ist_stack(smp_processor_id(), IST_NMI, sp))
            nmi_on_ist++;
        printk(KERN_WARN "NMI on CPU %u\n", smp_processor_id());
        return;
    }
    fatal_trap(regs);
}
