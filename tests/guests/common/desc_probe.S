/* iret probes with guest selectors, the failsafe callback entry and faulting jumps (desc.h). */
#include <public/xen.h>

#define IRET_STUB (hypercall_page + __HYPERVISOR_iret * 32)
#define KERNEL_CS_RPL0 (FLAT_KERNEL_CS & ~3)

/* long desc_iret_probe(uint64_t rip, uint64_t cs, uint64_t ss) */
    .text
    .globl desc_iret_probe
desc_iret_probe:
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, probe_saved_rsp(%rip)
    lea probe_stack_top(%rip), %rcx
    push %rdx                   /* ss */
    push %rcx                   /* rsp */
    pushq $0x202                /* rflags */
    push %rsi                   /* cs */
    push %rdi                   /* rip */
    pushq $0                    /* flags */
    jmp IRET_STUB

    .globl desc_landing
desc_landing:
    xor %eax, %eax
    mov %cs, %ax
    mov %rax, %rbx
    xor %eax, %eax
    mov %ss, %ax
    shl $16, %rax
    or %rbx, %rax
    jmp probe_return

/* Entered on the failsafe frame: RCX R11 DS ES FS GS RIP CS RFLAGS RSP SS from %rsp up. */
    .globl desc_failsafe_entry
desc_failsafe_entry:
    lea desc_failsafe_frame(%rip), %rdi
    mov %rsp, %rsi
    mov $11, %ecx
    rep movsq
    mov $-1, %rax
    jmp probe_return

/* Back on the caller's stack with flat kernel selectors, returning %rax. */
probe_return:
    mov %rax, probe_result(%rip)
    mov probe_saved_rsp(%rip), %rcx
    lea probe_stack_top(%rip), %rsp
    pushq $FLAT_KERNEL_SS
    push %rcx
    pushq $0x202
    pushq $KERNEL_CS_RPL0
    lea 1f(%rip), %rax
    push %rax
    pushq $0
    jmp IRET_STUB
1:  mov probe_result(%rip), %rax
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    ret

/* long load_ds(uint16_t sel) / load_fs(uint16_t sel): 0, or the vector (trap table recovery). */
.macro LOAD_SEG name, seg
    .globl \name
\name:
    lea 1f(%rip), %rax
    mov %rax, trap_recover_rip(%rip)
    movq $-1, probe_vector(%rip)
    mov %edi, %\seg
    movq $0, trap_recover_rip(%rip)
    xor %eax, %eax
    ret
1:  mov probe_vector(%rip), %rax
    ret
.endm

    LOAD_SEG load_ds, ds
    LOAD_SEG load_fs, fs

/* long desc_jump_noncanonical(void) */
    .globl desc_jump_noncanonical
desc_jump_noncanonical:
    lea 1f(%rip), %rax
    mov %rax, trap_recover_rip(%rip)
    movq $-1, probe_vector(%rip)
    movabs $0x0000800000000000, %rax
    jmp *%rax
    xor %eax, %eax              /* not reached: the jump faults */
    ret
1:  mov probe_vector(%rip), %rax
    ret

    .data
    .balign 8
probe_saved_rsp:
    .quad 0
probe_result:
    .quad 0
    .globl desc_failsafe_frame
desc_failsafe_frame:
    .fill 11, 8, 0

    .bss
    .balign 16
probe_stack:
    .skip 4096
probe_stack_top:

    .section .note.GNU-stack, "", @progbits
