/* The local APIC, in xAPIC (MMIO) or x2APIC (MSR) mode. */
#ifndef ASM_APIC_H
#define ASM_APIC_H

#include <tern/types.h>

#define APIC_DM_FIXED   0x000
#define APIC_DM_NMI     0x400
#define APIC_DM_INIT    0x500
#define APIC_DM_STARTUP 0x600

void apic_init_bsp(paddr_t mmio_base);
void apic_init_cpu(void);
bool apic_x2apic_mode(void);
uint32_t apic_current_id(void);
void apic_eoi(void);
uint32_t apic_read_esr(void);
void apic_send_ipi(uint32_t apic_id, uint32_t mode_vector);
/* One-shot timer: count APIC ticks (divide-by-1); 0 stops it. */
void apic_timer_oneshot(uint32_t ticks);
uint32_t apic_timer_current(void);
void apic_timer_prepare_calibration(void);

#endif
