/* I/O APIC routing. */
#ifndef TERN_IOAPIC_H
#define TERN_IOAPIC_H

#include <tern/types.h>

void ioapic_init(void);
int ioapic_route_isa_irq(unsigned int irq, unsigned int vector, uint32_t dest_apic_id);

/* GSIs for the hardware domain's devices: those on an I/O APIC the hypervisor does not use. */
#define MAX_GSIS 64
bool ioapic_gsi_available(uint32_t gsi);
void ioapic_reserve_gsi(uint32_t gsi); /* one the hypervisor keeps, driven or not */
/* Routes a GSI to vector on one CPU, left masked: 0 or -ENODEV. */
int ioapic_route_gsi(uint32_t gsi, unsigned int vector, uint32_t dest_apic_id, bool level, bool active_low);
void ioapic_mask_gsi(uint32_t gsi, bool masked);

#endif
