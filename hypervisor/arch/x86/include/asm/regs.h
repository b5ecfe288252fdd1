/* Register frame saved on exception and interrupt entry (layout shared with entry.S). */
#ifndef ASM_REGS_H
#define ASM_REGS_H

#include <tern/types.h>

struct cpu_user_regs {
    uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi;
    uint32_t error_code;
    uint32_t entry_vector;
    /* pushed by the CPU */
    uint64_t rip, cs, rflags, rsp, ss;
};

#define REGS_OFF_ERROR   (15 * 8)
_Static_assert(__builtin_offsetof(struct cpu_user_regs, rip) == 16 * 8, "regs layout");

static inline bool regs_from_hypervisor(const struct cpu_user_regs *r) { return (r->cs & 3) == 0; }

#endif
