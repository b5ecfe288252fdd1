/* Assembly macros shared by the entry paths: the general registers of struct cpu_user_regs. */
#ifndef ASM_ENTRY_MACROS_H
#define ASM_ENTRY_MACROS_H

#ifdef __ASSEMBLY__
/* Pushes the registers in the order struct cpu_user_regs lists them, last field first. */
.macro SAVE_GPRS
        push    %rdi
        push    %rsi
        push    %rdx
        push    %rcx
        push    %rax
        push    %r8
        push    %r9
        push    %r10
        push    %r11
        push    %rbx
        push    %rbp
        push    %r12
        push    %r13
        push    %r14
        push    %r15
.endm

.macro RESTORE_GPRS
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %rbp
        pop     %rbx
        pop     %r11
        pop     %r10
        pop     %r9
        pop     %r8
        pop     %rax
        pop     %rcx
        pop     %rdx
        pop     %rsi
        pop     %rdi
.endm
#endif

#endif
