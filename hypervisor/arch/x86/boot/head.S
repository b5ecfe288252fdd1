/*
 * Entry from the boot loader: multiboot2 (GRUB) or multiboot1 with the a.out kludge
 * (QEMU -kernel). Both enter in 32-bit protected mode with paging off; we build boot
 * page tables, switch to long mode and jump to the upper half.
 */
#include <asm/config.h>

#define PA(x)           ((x) - IMAGE_OFFSET)
#define MB2_MAGIC       0xe85250d6
#define MB2_BOOT_MAGIC  0x36d76289
#define MB1_MAGIC       0x1badb002
#define MB1_BOOT_MAGIC  0x2badb002
#define MB1_FLAGS       ((1 << 0) | (1 << 1) | (1 << 16)) /* align, meminfo, a.out kludge */

#define PTE_P   0x001
#define PTE_W   0x002
#define PTE_PS  0x080

        .section .boot.header, "a"
        .code32

        /* multiboot1 header: QEMU's loader needs the a.out kludge for an ELF64. */
        .balign 4
mb1_header:
        .long MB1_MAGIC
        .long MB1_FLAGS
        .long -(MB1_MAGIC + MB1_FLAGS)
        .long PA(mb1_header)            /* header_addr */
        .long PA(__image_start)         /* load_addr */
        .long PA(__data_end)            /* load_end_addr */
        .long PA(__bss_end)             /* bss_end_addr */
        .long PA(start32)               /* entry_addr */

        /* multiboot2 header */
        .balign 8
mb2_header:
        .long MB2_MAGIC
        .long 0                         /* i386 protected mode */
        .long mb2_header_end - mb2_header
        .long -(MB2_MAGIC + 0 + (mb2_header_end - mb2_header))
        /* information request: cmdline, modules, mmap, ACPI old/new */
        .balign 8
        .short 1, 0
        .long 8 + 4 * 5
        .long 1, 3, 6, 14, 15
        .balign 8
        /* entry address tag: the ELF entry is an upper-half address */
        .short 3, 0
        .long 12
        .long PA(start32)
        .balign 8
        .short 0, 0                     /* end tag */
        .long 8
mb2_header_end:

        .text
        .code32
        .globl start32
start32:
        cld
        cli
        mov     %eax, %edi              /* boot magic */
        mov     %ebx, %esi              /* boot information */
        mov     $PA(boot_stack_top), %esp

        /* Long mode is mandatory. */
        mov     $0x80000000, %eax
        cpuid
        cmp     $0x80000001, %eax
        jb      no_long_mode
        mov     $0x80000001, %eax
        cpuid
        bt      $29, %edx
        jnc     no_long_mode
        mov     %edx, %ebp              /* keep ext. features: NX is bit 20 */

        /* PD0..PD3: 2 MiB pages covering the first 4 GiB. */
        mov     $PA(boot_pd), %ebx
        xor     %ecx, %ecx
1:      mov     %ecx, %eax
        shl     $21, %eax
        or      $(PTE_P | PTE_W | PTE_PS), %eax
        mov     %eax, (%ebx, %ecx, 8)
        mov     %ecx, %eax
        shr     $11, %eax               /* bits 32+ of the address */
        mov     %eax, 4(%ebx, %ecx, 8)
        inc     %ecx
        cmp     $2048, %ecx
        jne     1b

        /* PDPT: identity/direct map of 4 GiB */
        mov     $PA(boot_pdpt), %ebx
        xor     %ecx, %ecx
2:      mov     %ecx, %eax
        shl     $12, %eax
        add     $(PA(boot_pd) + PTE_P + PTE_W), %eax
        mov     %eax, (%ebx, %ecx, 8)
        inc     %ecx
        cmp     $4, %ecx
        jne     2b

        /* image PDPT: the first GiB at IMAGE_OFFSET */
        movl    $(PA(boot_pd) + PTE_P + PTE_W), PA(boot_pdpt_img) + 8 * ((IMAGE_OFFSET >> 30) & 511)

        /* PML4: identity (slot 0, until the APs are up), image, direct map */
        movl    $(PA(boot_pdpt) + PTE_P + PTE_W), PA(boot_pml4)
        movl    $(PA(boot_pdpt_img) + PTE_P + PTE_W), PA(boot_pml4) + 8 * PML4_SLOT(IMAGE_OFFSET)
        movl    $(PA(boot_pdpt) + PTE_P + PTE_W), PA(boot_pml4) + 8 * PML4_SLOT(DIRECTMAP_VIRT_START)

        .globl  enter_long_mode
enter_long_mode:                        /* also the APs' path, from the trampoline */
        mov     %cr4, %eax
        or      $0x20, %eax             /* PAE */
        mov     %eax, %cr4
        mov     $PA(boot_pml4), %eax
        mov     %eax, %cr3
        mov     $0xc0000080, %ecx       /* EFER */
        rdmsr
        or      $0x101, %eax            /* LME, SCE */
        bt      $20, %ebp
        jnc     3f
        or      $0x800, %eax            /* NXE */
3:      wrmsr
        mov     %cr0, %eax
        or      $0x80010023, %eax       /* PG, WP, NE, MP, PE */
        mov     %eax, %cr0
        lgdt    PA(boot_gdt_desc)
        ljmp    $0x08, $PA(start64_low)

no_long_mode:
        mov     $PA(msg_no_lm), %esi
        mov     $0x3f8, %dx
4:      lodsb
        test    %al, %al
        jz      5f
        out     %al, %dx
        jmp     4b
5:      hlt
        jmp     5b

        .code64
start64_low:
        movabs  $start64, %rax
        jmp     *%rax
start64:
        mov     $0x10, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %ss
        xor     %eax, %eax
        mov     %eax, %fs
        mov     %eax, %gs
        /* APs arrive with %edi = 0 and their stack in ap_boot_stack. */
        test    %edi, %edi
        jz      ap_entry
        movabs  $(boot_stack_top - CPU_INFO_SIZE), %rsp
        xor     %ebp, %ebp
        /* %edi = magic, %esi = boot info (physical) */
        call    start_hypervisor
        ud2

ap_entry:
        movabs  $ap_boot_stack, %rax
        mov     (%rax), %rsp
        xor     %ebp, %ebp
        call    start_secondary
        ud2

        .section .rodata
msg_no_lm:
        .asciz  "Tern: this CPU has no long mode\r\n"

        .data
        .balign 8
boot_gdt:
        .quad   0
        .quad   0x00af9a000000ffff      /* 0x08: 64-bit code */
        .quad   0x00cf92000000ffff      /* 0x10: data */
        .quad   0x00cf9a000000ffff      /* 0x18: 32-bit code */
boot_gdt_end:
        .globl  boot_gdt_desc
boot_gdt_desc:
        .short  boot_gdt_end - boot_gdt - 1
        .quad   PA(boot_gdt)

        .globl  ap_boot_stack
ap_boot_stack:
        .quad   0

        .section .bss.page_aligned, "aw", @nobits
        .balign 4096
        .globl  boot_pml4, boot_pdpt, boot_pd
boot_pml4:      .skip 4096
boot_pdpt:      .skip 4096
boot_pdpt_img:  .skip 4096
boot_pd:        .skip 4096 * 4

        /* STACK_SIZE alignment comes from the linker script: an input section this
         * aligned would push the image's file offset past multiboot1's 8 KiB window. */
        .section .bss.stack_aligned, "aw", @nobits
        .balign 4096
        .globl  boot_stack, boot_stack_top
boot_stack:     .skip STACK_SIZE
boot_stack_top:
