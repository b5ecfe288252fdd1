/*
 * Per-CPU state found from the stack pointer: every hypervisor stack block is STACK_SIZE
 * aligned with struct cpu_info at its top. Guests own %gs, so we cannot use it.
 *
 * A guest's registers live in cpu_info->guest_regs while it runs: TSS.rsp0 points just
 * past them (16-byte aligned, as the CPU wants), so an exception or interrupt from ring 3
 * and the syscall stub both build the frame exactly there.
 */
#ifndef ASM_CURRENT_H
#define ASM_CURRENT_H

#include <asm/config.h>
#include <asm/regs.h>
#include <tern/types.h>

struct vcpu;

struct cpu_info {
    uint64_t pad;                       /* makes the end of guest_regs 16-byte aligned */
    struct cpu_user_regs guest_regs;
    unsigned int cpu_id;
    unsigned int apic_id;
    unsigned long per_cpu_offset;
    struct vcpu *curr_vcpu;
};
_Static_assert(sizeof(struct cpu_info) <= CPU_INFO_SIZE, "cpu_info too big");
_Static_assert((__builtin_offsetof(struct cpu_info, guest_regs) + sizeof(struct cpu_user_regs)) % 16 == 0,
               "guest frame end must be 16-byte aligned");

static inline struct cpu_info *get_cpu_info(void)
{
    unsigned long sp;
    asm("mov %%rsp, %0" : "=r"(sp));
    return (struct cpu_info *)(((sp | (STACK_SIZE - 1)) + 1) - CPU_INFO_SIZE);
}

/* TSS.rsp0: ring-3 entries push their frame into guest_regs */
static inline unsigned long guest_frame_top(struct cpu_info *ci)
{
    return (unsigned long)(&ci->guest_regs + 1);
}

#define smp_processor_id() (get_cpu_info()->cpu_id)
#define current (get_cpu_info()->curr_vcpu)
#define guest_cpu_user_regs() (&get_cpu_info()->guest_regs)

#endif
