/* Emulation of the few privileged instructions a PV kernel executes. */
#ifndef ASM_PV_EMUL_H
#define ASM_PV_EMUL_H

#include <tern/types.h>
#include <asm/regs.h>

struct vcpu;

/* ud2a; 'x' 'e' 'n'; cpuid — the forced-emulation prefix. True when handled. */
bool pv_emulate_forced(struct vcpu *v, struct cpu_user_regs *regs);
/* rdmsr/wrmsr, mov to/from CRn and DRn, rdtsc(p), in/out: true when handled. */
bool pv_emulate_privileged(struct vcpu *v, struct cpu_user_regs *regs);
/* The guest's view of CPUID under Tern's policy. */
void pv_cpuid(const struct vcpu *v, uint32_t leaf, uint32_t sub, uint32_t res[4]);

#endif
