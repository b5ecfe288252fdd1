/* Interrupt vectors and their handlers. */
#ifndef TERN_IRQ_H
#define TERN_IRQ_H

#include <asm/regs.h>

#define FIRST_IRQ_VECTOR      0x20
#define ISA_IRQ_VECTOR(irq)   (0x30 + (irq))   /* legacy IRQs routed through the I/O APIC */
#define TIMER_VECTOR          0xf0
#define CALL_FUNCTION_VECTOR  0xf1
#define EVENT_CHECK_VECTOR    0xf2
#define ERROR_VECTOR          0xfe
#define SPURIOUS_VECTOR       0xff

typedef void (*irq_handler_t)(struct cpu_user_regs *regs);

void set_irq_handler(unsigned int vector, irq_handler_t handler);
void do_irq(struct cpu_user_regs *regs);
void irq_init(void);
unsigned long irq_count(unsigned int vector);

#endif
