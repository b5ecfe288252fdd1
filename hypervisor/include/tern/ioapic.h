/* I/O APIC routing. */
#ifndef TERN_IOAPIC_H
#define TERN_IOAPIC_H

#include <tern/types.h>

void ioapic_init(void);
int ioapic_route_isa_irq(unsigned int irq, unsigned int vector, uint32_t dest_apic_id);

#endif
