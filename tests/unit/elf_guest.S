/* A tiny PV guest kernel image, assembled and linked on the host as a real-toolchain ELF fixture. */
#define VIRT_BASE 0xffffffff80000000 /* as in elf_guest.lds */
#define XEN_NOTE(type, desc...)                                                \
    .balign 4;                                                                 \
    .long 2f - 1f, 4f - 3f, type;                                              \
1:  .asciz "Xen";                                                              \
2:  .balign 4;                                                                 \
3:  desc;                                                                      \
4:  .balign 4

    .section .text, "ax"
    .globl guest_start
guest_start:                    /* e_entry: the ENTRY note must win */
    hlt
    jmp guest_start
    .balign 4096
    .globl hypercall_page
hypercall_page:
    .fill 4096, 1, 0xc3

    .section .data, "aw"
    .globl marker
marker:
    .ascii "tern elf fixture"

    .section .bss, "aw", @nobits
    .globl bss_area
bss_area:
    .skip 0x2345

    .section .data..percpu, "aw"
    .globl percpu_var
percpu_var:
    .quad 0x1122334455667788

    .section .init.text, "ax"
    .quad 0
    .globl startup
startup:                        /* like Linux's startup_xen, in init text */
    cli
    hlt

    .section .notes, "a"
    XEN_NOTE(6, .asciz "tern-test")             /* GUEST_OS */
    XEN_NOTE(7, .asciz "0.1")                   /* GUEST_VERSION */
    XEN_NOTE(5, .asciz "xen-3.0")               /* XEN_VERSION */
    XEN_NOTE(8, .asciz "generic")               /* LOADER */
    XEN_NOTE(3, .quad VIRT_BASE)                /* VIRT_BASE */
    XEN_NOTE(4, .quad 0)                        /* PADDR_OFFSET */
    XEN_NOTE(1, .quad startup)                  /* ENTRY */
    XEN_NOTE(2, .quad hypercall_page)           /* HYPERCALL_PAGE */
    XEN_NOTE(10, .asciz "!writable_page_tables|pae_pgdir_above_4gb|no_such")
    XEN_NOTE(17, .long (1 << 11) | (1 << 15))   /* SUPPORTED_FEATURES */
    XEN_NOTE(9, .asciz "yes")                   /* PAE_MODE */
    XEN_NOTE(15, .quad 0x8000000000)            /* INIT_P2M */
    XEN_NOTE(16, .long 1)                       /* MOD_START_PFN */
    XEN_NOTE(13, .quad 1; .quad 1)              /* L1_MFN_VALID: skipped */
    XEN_NOTE(18, .long startup - VIRT_BASE)     /* PHYS32_ENTRY */
    .balign 4
    .long 5, 4, 1                               /* a note for someone else */
    .asciz "Tern"
    .balign 4
    .long 0xdeadbeef
