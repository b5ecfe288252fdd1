/* Exception and interrupt entry: build struct cpu_user_regs, call do_trap(), return. */
#include <asm/config.h>
#include <asm/entry_macros.h>

        .section .text.entry, "ax"

/* Error code and vector share one 8-byte slot: error in the low half. */
.macro EXC_NOERR vec
        .balign 16
        pushq   $0
        movl    $\vec, 4(%rsp)
        jmp     common_entry
.endm
.macro EXC_ERR vec
        .balign 16
        movl    $\vec, 4(%rsp)
        jmp     common_entry
.endm

        .balign 16
        .globl  trap_stubs
trap_stubs:
        EXC_NOERR 0
        EXC_NOERR 1
        EXC_NOERR 2
        EXC_NOERR 3
        EXC_NOERR 4
        EXC_NOERR 5
        EXC_NOERR 6
        EXC_NOERR 7
        EXC_ERR   8
        EXC_NOERR 9
        EXC_ERR   10
        EXC_ERR   11
        EXC_ERR   12
        EXC_ERR   13
        EXC_ERR   14
        EXC_NOERR 15
        EXC_NOERR 16
        EXC_ERR   17
        EXC_NOERR 18
        EXC_NOERR 19
        EXC_NOERR 20
        EXC_ERR   21
        .set    vec, 22
        .rept   256 - 22
        EXC_NOERR vec
        .set    vec, vec + 1
        .endr

common_entry:
        cld
        SAVE_GPRS
        testb   $3, 16 * 8 + 8(%rsp)    /* from ring 3? */
        jz      1f
        /* A guest's frame belongs at cpu_info->guest_regs, where TSS.rsp0 puts it; an IST
         * vector (#DB, NMI, #MC) built it on its own stack: move it there. */
        mov     %rsp, %rdi
        or      $(STACK_SIZE - 1), %rdi
        sub     $(CPU_INFO_SIZE - 1 - 8), %rdi  /* &cpu_info->guest_regs */
        cmp     %rdi, %rsp
        je      1f
        mov     %rsp, %rsi
        mov     $21, %ecx                       /* sizeof(struct cpu_user_regs) / 8 */
        rep movsq
        sub     $(21 * 8), %rdi
        mov     %rdi, %rsp
1:
        mov     %rsp, %rdi
        /* The CPU aligned the frame; 21 quadwords leave us 8 off for the call. */
        sub     $8, %rsp
        call    do_trap
        add     $8, %rsp
        testb   $3, 16 * 8 + 8(%rsp)    /* from ring 3: leave through the guest exit path */
        jnz     return_to_guest
        RESTORE_GPRS
        add     $8, %rsp
        iretq
