/* Dispatch of interrupt vectors to their handlers. */
#include <tern/irq.h>
#include <tern/printk.h>
#include <tern/smp.h>
#include <asm/apic.h>

static irq_handler_t handlers[256];
static unsigned long counts[256];

void set_irq_handler(unsigned int vector, irq_handler_t handler)
{
    handlers[vector & 0xff] = handler;
}

unsigned long irq_count(unsigned int vector)
{
    return __atomic_load_n(&counts[vector & 0xff], __ATOMIC_RELAXED);
}

void do_irq(struct cpu_user_regs *regs)
{
    unsigned int vec = regs->entry_vector;
    irq_handler_t h = handlers[vec];

    __atomic_fetch_add(&counts[vec], 1, __ATOMIC_RELAXED);
    if (vec == SPURIOUS_VECTOR)
        return; /* no EOI for spurious interrupts */
    if (h)
        h(regs);
    else
        printk(KERN_WARN "CPU %u: unexpected interrupt vector 0x%02x\n", smp_processor_id(), vec);
    apic_eoi();
}

static void error_interrupt(struct cpu_user_regs *regs)
{
    printk(KERN_WARN "CPU %u: APIC error 0x%x\n", smp_processor_id(), apic_read_esr());
}

void irq_init(void)
{
    set_irq_handler(ERROR_VECTOR, error_interrupt);
}
