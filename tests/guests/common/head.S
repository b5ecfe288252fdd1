/* Test-guest entry point, Xen ELF notes and the hypercall page. */
#include <public/elfnote.h>

#define VIRT_BASE 0xffffffff80000000

/* One "Xen" note: namesz, descsz, type, "Xen\0", then the descriptor. */
#define XEN_NOTE(type, desc...)                                                \
    .balign 4;                                                                 \
    .long 2f - 1f;                                                             \
    .long 4f - 3f;                                                             \
    .long type;                                                                \
1:  .asciz "Xen";                                                              \
2:  .balign 4;                                                                 \
3:  desc;                                                                      \
4:  .balign 4

    .section .note.Xen, "a", @note
    XEN_NOTE(XEN_ELFNOTE_GUEST_OS,       .asciz "Tern-test")
    XEN_NOTE(XEN_ELFNOTE_GUEST_VERSION,  .asciz "1")
    XEN_NOTE(XEN_ELFNOTE_XEN_VERSION,    .asciz "xen-3.0")
#ifndef LOWER_HALF /* (guest_low.ld: no VIRT_BASE, the VAs are the p_paddrs) */
    XEN_NOTE(XEN_ELFNOTE_VIRT_BASE,      .quad VIRT_BASE)
    XEN_NOTE(XEN_ELFNOTE_PADDR_OFFSET,   .quad 0)
#endif
    XEN_NOTE(XEN_ELFNOTE_ENTRY,          .quad _start)
    XEN_NOTE(XEN_ELFNOTE_HYPERCALL_PAGE, .quad hypercall_page)
    XEN_NOTE(XEN_ELFNOTE_FEATURES,       .asciz "!writable_page_tables|pae_pgdir_above_4gb")
    XEN_NOTE(XEN_ELFNOTE_LOADER,         .asciz "generic")
    XEN_NOTE(XEN_ELFNOTE_PAE_MODE,       .asciz "yes")

/*
 * Entry: 64-bit, guest kernel mode (ring 3), %rsi = start_info VA, %rsp = the
 * builder's stack (recorded for the start_info test, then replaced by ours).
 */
    .section .text.head, "ax", @progbits
    .globl _start
_start:
    mov %rsp, boot_entry_rsp(%rip)
    lea stack_top(%rip), %rsp
    xor %ebp, %ebp
    mov %rsi, %rdi
    call guest_start
    /* guest_start never returns; if it does, fault so the domain dies. */
1:  ud2
    jmp 1b

/*
 * Filled by the hypervisor (XEN_ELFNOTE_HYPERCALL_PAGE) with one 32-byte stub
 * per hypercall. Pre-filled with int3 so an unfilled page is detectable and
 * calling it faults instead of running off into the next stub.
 */
    .section .text.hypercall_page, "ax", @progbits
    .balign 4096
    .globl hypercall_page
hypercall_page:
    .fill 4096, 1, 0xcc

    .data
    .balign 8
    .globl boot_entry_rsp
boot_entry_rsp:
    .quad 0

    .bss
    .balign 4096
stack:
    .skip 16384
stack_top:

    .section .note.GNU-stack, "", @progbits
