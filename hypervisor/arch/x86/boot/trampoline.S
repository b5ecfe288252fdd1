/*
 * Application processor start-up: copied below 1 MiB, entered in real mode by SIPI.
 * It switches to protected mode and joins the BSP's path into long mode (head.S).
 */
#include <asm/config.h>

#define PA(x)   ((x) - IMAGE_OFFSET)
#define T(x)    ((x) - trampoline_start)

        .section .rodata
        .code16
        .globl  trampoline_start, trampoline_end, trampoline_gdt, trampoline_gdt_base, trampoline_jump
trampoline_start:
        cli
        cld
        mov     %cs, %ax
        mov     %ax, %ds
        lgdtl   T(trampoline_gdt_desc)
        mov     %cr0, %eax
        or      $1, %eax
        mov     %eax, %cr0
        ljmpl   *T(trampoline_jump)

        .code32
        .globl  trampoline_pm32
trampoline_pm32:
        mov     $0x10, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     $0x80000001, %eax
        cpuid
        mov     %edx, %ebp              /* NX support, as the BSP passes it */
        xor     %edi, %edi              /* marks an AP for start64 */
        mov     $PA(enter_long_mode), %eax
        jmp     *%eax

        .balign 8
trampoline_gdt:
        .quad   0
        .quad   0
        .quad   0x00cf92000000ffff      /* 0x10: data */
        .quad   0x00cf9a000000ffff      /* 0x18: 32-bit code */
trampoline_gdt_desc:
        .short  trampoline_gdt_desc - trampoline_gdt - 1
trampoline_gdt_base:
        .long   0                       /* patched: linear address of trampoline_gdt */
trampoline_jump:
        .long   0                       /* patched: linear address of trampoline_pm32 */
        .short  0x18
trampoline_end:
