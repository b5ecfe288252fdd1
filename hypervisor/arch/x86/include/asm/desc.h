/* Descriptor tables: per-CPU GDT and TSS, the shared IDT. */
#ifndef ASM_DESC_H
#define ASM_DESC_H

#include <tern/types.h>

struct __attribute__((packed)) tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
};
_Static_assert(sizeof(struct tss64) == 104, "TSS layout");

enum { IST_NONE, IST_NMI, IST_DF, IST_MC, IST_DB, IST_MAX };

/* The LDT descriptor of the running vCPU (16 bytes, in the reserved page). */
#define LDT_SELECTOR 0xe050

void idt_init(void);
void idt_load(void);
struct cpu_info;
int cpu_desc_init(unsigned int cpu, struct cpu_info *ci);
bool on_ist_stack(unsigned int cpu, unsigned int ist, unsigned long sp);

/* Per-CPU windows guest descriptor frames are mapped into (16 pages each). */
unsigned long desc_gdt_window(unsigned int cpu);
unsigned long desc_ldt_window(unsigned int cpu);
uint64_t *desc_reserved_page(unsigned int cpu); /* GDT page 14, writable */
paddr_t desc_zero_page(void);

#endif
