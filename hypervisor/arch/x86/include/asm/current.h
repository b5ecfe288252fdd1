/*
 * Per-CPU state found from the stack pointer: every hypervisor stack is STACK_SIZE
 * aligned with struct cpu_info at its top. Guests will own %gs, so we cannot use it.
 */
#ifndef ASM_CURRENT_H
#define ASM_CURRENT_H

#include <asm/config.h>
#include <tern/types.h>

struct cpu_info {
    unsigned int cpu_id;
    unsigned int apic_id;
    unsigned long per_cpu_offset;
};
_Static_assert(sizeof(struct cpu_info) <= CPU_INFO_SIZE, "cpu_info too big");

static inline struct cpu_info *get_cpu_info(void)
{
    unsigned long sp;
    asm("mov %%rsp, %0" : "=r"(sp));
    return (struct cpu_info *)(((sp | (STACK_SIZE - 1)) + 1) - CPU_INFO_SIZE);
}

#define smp_processor_id() (get_cpu_info()->cpu_id)

#endif
