/* Entry stubs for bounced exceptions and callbacks, the iret path and guest user mode. */
#include <public/xen.h>

#define IRET_STUB (hypercall_page + __HYPERVISOR_iret * 32)

/* Frames without an error code get a zero one, so every frame has the same layout. */
.macro ENTRY_NOERR name, vec
    .globl \name
\name:
    pop %rcx
    pop %r11
    pushq $0
    push %r11
    push %rcx
    pushq $\vec
    jmp trap_common
.endm

.macro ENTRY_ERR name, vec
    .globl \name
\name:
    pushq $\vec
    jmp trap_common
.endm

    .text
    ENTRY_NOERR trap_entry_0, 0
    ENTRY_NOERR trap_entry_1, 1
    ENTRY_NOERR trap_entry_2, 2
    ENTRY_NOERR trap_entry_3, 3
    ENTRY_NOERR trap_entry_4, 4
    ENTRY_NOERR trap_entry_5, 5
    ENTRY_NOERR trap_entry_6, 6
    ENTRY_NOERR trap_entry_7, 7
    ENTRY_ERR   trap_entry_8, 8
    ENTRY_NOERR trap_entry_9, 9
    ENTRY_ERR   trap_entry_10, 10
    ENTRY_ERR   trap_entry_11, 11
    ENTRY_ERR   trap_entry_12, 12
    ENTRY_ERR   trap_entry_13, 13
    ENTRY_ERR   trap_entry_14, 14
    ENTRY_NOERR trap_entry_15, 15
    ENTRY_NOERR trap_entry_16, 16
    ENTRY_ERR   trap_entry_17, 17
    ENTRY_NOERR trap_entry_18, 18
    ENTRY_NOERR trap_entry_19, 19
    ENTRY_NOERR trap_entry_0x80, 0x80
    ENTRY_NOERR trap_entry_0x81, 0x81
    ENTRY_NOERR event_entry, 0x100
    ENTRY_NOERR syscall_entry, 0x101

trap_common:
    push %rax
    push %rbx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi
    mov %rsp, %rbx
    and $-16, %rsp
    call guest_trap
    mov %rbx, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rbx
    pop %rax
    add $8, %rsp            /* vector */
    pop %rcx
    pop %r11
    add $8, %rsp            /* error code */
    pushq $0                /* iret flags */
    jmp IRET_STUB

/* long user_enter(uint64_t rip, uint64_t rsp): iret to guest user mode. */
    .globl user_enter
user_enter:
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, user_saved_rsp(%rip)
    pushq $FLAT_USER_SS
    push %rsi
    pushq $0x202
    pushq $FLAT_USER_CS
    push %rdi
    pushq $0
    jmp IRET_STUB

/* void user_return(long value): back in kernel mode, resume user_enter's caller. */
    .globl user_return
user_return:
    mov %rdi, %rax
    mov user_saved_rsp(%rip), %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    ret

/* long probe_read(const volatile void *p, uint64_t *val) */
    .globl probe_read
probe_read:
    lea 1f(%rip), %rax
    mov %rax, trap_recover_rip(%rip)
    movq $-1, probe_vector(%rip)
    mov (%rdi), %rax
    mov %rax, (%rsi)
    movq $0, trap_recover_rip(%rip)
    xor %eax, %eax
    ret
1:  mov probe_vector(%rip), %rax
    ret

/* long probe_write(volatile void *p, uint64_t val) */
    .globl probe_write
probe_write:
    lea 1f(%rip), %rax
    mov %rax, trap_recover_rip(%rip)
    movq $-1, probe_vector(%rip)
    mov %rsi, (%rdi)
    movq $0, trap_recover_rip(%rip)
    xor %eax, %eax
    ret
1:  mov probe_vector(%rip), %rax
    ret

    .data
    .balign 8
    .globl user_saved_rsp
user_saved_rsp:
    .quad 0
    .globl probe_vector
probe_vector:
    .quad 0

    .section .note.GNU-stack, "", @progbits
