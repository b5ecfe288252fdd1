/* What we take from the ACPI tables: CPUs, I/O APICs, timers, power-off. */
#ifndef TERN_ACPI_H
#define TERN_ACPI_H

#include <tern/types.h>

#define MAX_IOAPICS 8

struct acpi_info {
    bool found;
    unsigned int nr_cpus;
    uint32_t cpu_apic_ids[64];
    paddr_t lapic_base;
    unsigned int nr_ioapics;
    struct { uint8_t id; paddr_t base; uint32_t gsi_base; } ioapics[MAX_IOAPICS];
    /* ISA IRQ -> GSI, with polarity/trigger flags from the overrides */
    uint32_t isa_gsi[16];
    uint16_t isa_flags[16];
    paddr_t hpet_base;
    uint16_t pm_timer_port;
    bool pm_timer_32bit;
    uint16_t pm1a_cnt_port;
    uint16_t pm1b_cnt_port;
    uint8_t slp_typ_s5;
    bool have_s5;
};

extern struct acpi_info acpi_info;

/* Must run while low memory is still mapped by the boot page tables. */
int acpi_parse(void);

#endif
