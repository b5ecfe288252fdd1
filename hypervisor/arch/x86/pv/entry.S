/*
 * Guest entry and exit. A PV guest runs in ring 3; its registers live in
 * cpu_info->guest_regs while the hypervisor handles an entry:
 *  - exceptions and interrupts from ring 3 arrive through the IDT with TSS.rsp0 pointing
 *    just past guest_regs (common_entry, entry.S);
 *  - `syscall` (hypercalls from guest kernel mode, system calls from guest user mode)
 *    arrives at a per-CPU stub page, which saves the guest %rsp, switches to the
 *    hypervisor stack and builds the same frame.
 * Every return to a guest goes through return_to_guest.
 */
#include <asm/config.h>
#include <asm/entry_macros.h>

#define FLAT_RING3_CS32 0xe023
#define FLAT_RING3_CS64 0xe033
#define FLAT_RING3_SS64 0xe02b
#define SYSCALL_VECTOR  0x100   /* entry_vector marking a syscall frame */

/*
 * The syscall stubs, copied to a per-CPU page with its data page right after it, so the
 * RIP-relative operands below reach that CPU's data: [0] scratch for the guest %rsp,
 * [8] the guest frame top (TSS.rsp0), [16] the address of syscall_enter. The first is
 * LSTAR's (64-bit code), the second CSTAR's (compat code: its frame says so by its CS).
 */
.macro SYSCALL_STUB cs
        mov     %rsp, syscall_stub_page + 4096(%rip)
        mov     syscall_stub_page + 4096 + 8(%rip), %rsp
        pushq   $FLAT_RING3_SS64
        pushq   syscall_stub_page + 4096(%rip)
        pushq   %r11                    /* guest rflags */
        pushq   $\cs
        pushq   %rcx                    /* guest rip */
        pushq   $0
        movl    $SYSCALL_VECTOR, 4(%rsp)
        jmp     *syscall_stub_page + 4096 + 16(%rip)
.endm
        .section .rodata.page_aligned, "a"
        .balign 4096
        .globl  syscall_stub_page, syscall_stub_compat
syscall_stub_page:
        SYSCALL_STUB FLAT_RING3_CS64
        .balign 64
syscall_stub_compat:
        SYSCALL_STUB FLAT_RING3_CS32
        .balign 4096

        .text
        .globl  syscall_enter
syscall_enter:
        cld
        SAVE_GPRS
        xor     %ebp, %ebp              /* ends stack traces here */
        mov     %rsp, %rdi
        sti
        sub     $8, %rsp
        call    do_guest_syscall
        add     $8, %rsp
        /* fall through */

/* Entered with %rsp at the start of cpu_info->guest_regs. */
        .globl  return_to_guest
return_to_guest:
        cli
        sub     $8, %rsp
        call    guest_exit_checks       /* softirqs, scheduling, event delivery; IRQs off after */
        add     $8, %rsp
        RESTORE_GPRS
        add     $8, %rsp
.Lguest_iret:
        iretq
        .pushsection .ex_table, "a"
        .balign 8
        .quad   .Lguest_iret, guest_iret_fault
        .popsection

/*
 * The CPU refused the frame (a guest selector, a non-canonical %rip): the fixup
 * resumes here with the guest's registers and %rsp at guest_regs.rip, as just
 * before the iretq. Rebuild the frame, let the guest's failsafe callback (or a
 * crash) handle it and leave again.
 */
guest_iret_fault:
        sub     $8, %rsp
        SAVE_GPRS
        mov     %rsp, %rdi
        sub     $8, %rsp
        call    pv_exit_fault
        add     $8, %rsp
        jmp     return_to_guest

/*
 * sysenter, on CPUs that have it in long mode (Intel's): SYSENTER_ESP is this CPU's guest
 * frame top. The CPU saves nothing, so the frame's RIP and RSP are 0 and its CS a null
 * selector, as on Xen (the guest passes what it needs in registers). The frame keeps the
 * guest's flags; TF, NT and AC leave ours (an iretq with NT set would fault).
 */
        .globl  sysenter_enter
sysenter_enter:
        pushq   $FLAT_RING3_SS64
        pushq   $0
        pushfq
        pushfq
        andq    $~0x44100, (%rsp)
        popfq
        pushq   $3
        pushq   $0
        pushq   $0
        movl    $SYSCALL_VECTOR, 4(%rsp)
        cld
        SAVE_GPRS
        xor     %ebp, %ebp
        mov     %rsp, %rdi
        sti
        sub     $8, %rsp
        call    do_guest_sysenter
        add     $8, %rsp
        jmp     return_to_guest

/* reset_stack_and_jump(void (*fn)(void)): drops this CPU's hypervisor stack. */
        .globl  reset_stack_and_jump
reset_stack_and_jump:
        mov     %rsp, %rax
        or      $(STACK_SIZE - 1), %rax
        sub     $(CPU_INFO_SIZE - 1 - 8), %rax  /* &cpu_info->guest_regs */
        mov     %rax, %rsp
        xor     %ebp, %ebp
        jmp     *%rdi
