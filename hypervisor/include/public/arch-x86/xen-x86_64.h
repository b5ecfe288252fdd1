/* x86-64 PV specifics of the guest ABI: selectors, address-space split, register frames. */
#ifndef __XEN_PUBLIC_ARCH_X86_XEN_X86_64_H__
#define __XEN_PUBLIC_ARCH_X86_XEN_X86_64_H__

/*
 * Making a hypercall. The guest kernel runs in ring 3, so a hypercall is a
 * `syscall` executed in guest kernel mode:
 *   %rax = hypercall number, arguments in %rdi, %rsi, %rdx, %r10, %r8,
 *   result in %rax (>= 0 success, -XEN_Exxx failure).
 * %rcx and %r11 are destroyed by `syscall` itself; argument registers may be
 * clobbered. Every pointer argument is a guest virtual address in the
 * current page tables. Syscall from guest *user* mode is not a hypercall: it
 * is bounced to the guest's CALLBACKTYPE_syscall handler.
 *
 * A guest may instead ask for a hypercall page (XEN_ELFNOTE_HYPERCALL_PAGE):
 * the hypervisor fills one page with 128 stubs of 32 bytes, and hypercall N
 * is `call hypercall_page + N * 32`. Stock Linux 6.1 no longer uses it.
 */
#define TRAP_INSTR "syscall"

/*
 * Flat segments in the hypervisor-owned part of every guest GDT (page 14,
 * see FIRST_RESERVED_GDT_PAGE), all DPL 3. Guest kernel and guest user share
 * them: both run in ring 3.
 */
#define FLAT_RING3_CS32 0xe023 /* GDT entry 7172: 32-bit code */
#define FLAT_RING3_CS64 0xe033 /* GDT entry 7174: 64-bit code */
#define FLAT_RING3_DS32 0xe02b /* GDT entry 7173: data */
#define FLAT_RING3_DS64 0x0000 /* null selector: 64-bit data needs none */
#define FLAT_RING3_SS32 0xe02b
#define FLAT_RING3_SS64 0xe02b

#define FLAT_KERNEL_DS64 FLAT_RING3_DS64
#define FLAT_KERNEL_DS32 FLAT_RING3_DS32
#define FLAT_KERNEL_DS   FLAT_KERNEL_DS64
#define FLAT_KERNEL_CS64 FLAT_RING3_CS64
#define FLAT_KERNEL_CS32 FLAT_RING3_CS32
#define FLAT_KERNEL_CS   FLAT_KERNEL_CS64
#define FLAT_KERNEL_SS64 FLAT_RING3_SS64
#define FLAT_KERNEL_SS32 FLAT_RING3_SS32
#define FLAT_KERNEL_SS   FLAT_KERNEL_SS64

#define FLAT_USER_DS64 FLAT_RING3_DS64
#define FLAT_USER_DS32 FLAT_RING3_DS32
#define FLAT_USER_DS   FLAT_USER_DS64
#define FLAT_USER_CS64 FLAT_RING3_CS64
#define FLAT_USER_CS32 FLAT_RING3_CS32
#define FLAT_USER_CS   FLAT_USER_CS64
#define FLAT_USER_SS64 FLAT_RING3_SS64
#define FLAT_USER_SS32 FLAT_RING3_SS32
#define FLAT_USER_SS   FLAT_USER_SS64

/*
 * The hypervisor owns PML4 slots 256-271. Guests may not map anything there;
 * the hypervisor copies its own entries into every guest L4. The first part
 * is the read-only machine-to-physical table (one 8-byte PFN per MFN), mapped
 * user-readable so guests can translate MFNs themselves.
 */
#define __HYPERVISOR_VIRT_START 0xFFFF800000000000
#define __HYPERVISOR_VIRT_END   0xFFFF880000000000
#define __MACH2PHYS_VIRT_START  0xFFFF800000000000
#define __MACH2PHYS_VIRT_END    0xFFFF804000000000

#ifndef HYPERVISOR_VIRT_START
#define HYPERVISOR_VIRT_START xen_mk_ulong(__HYPERVISOR_VIRT_START)
#define HYPERVISOR_VIRT_END   xen_mk_ulong(__HYPERVISOR_VIRT_END)
#endif
#define MACH2PHYS_VIRT_START xen_mk_ulong(__MACH2PHYS_VIRT_START)
#define MACH2PHYS_VIRT_END   xen_mk_ulong(__MACH2PHYS_VIRT_END)
#define MACH2PHYS_NR_ENTRIES ((MACH2PHYS_VIRT_END - MACH2PHYS_VIRT_START) >> 3)
#ifndef machine_to_phys_mapping
#define machine_to_phys_mapping ((const uint64_t *)MACH2PHYS_VIRT_START)
#endif

/*
 * __HYPERVISOR_set_segment_base(which, base): which is one of these, base a
 * 64-bit address. Returns 0, or -XEN_EINVAL for an unknown `which` or a
 * non-canonical base. GS_USER_SEL loads the user %gs selector from base[15:0]
 * (as if between two swapgs); -XEN_EFAULT if the selector cannot be loaded.
 */
#define SEGBASE_FS          0
#define SEGBASE_GS_USER     1
#define SEGBASE_GS_KERNEL   2
#define SEGBASE_GS_USER_SEL 3

/*
 * __HYPERVISOR_iret: the guest pushes a struct iret_context and issues the
 * hypercall with %rsp pointing at it. Return to guest user mode when
 * (cs & 3) == 3 (the hypervisor switches to the user page tables and %gs).
 * Unless flags has VGCF_in_syscall, %r11 and %rcx are restored too. The
 * event mask becomes !rflags.IF. Does not return on success; a frame the
 * hypervisor cannot use (unreadable stack, no user page table) crashes the
 * domain.
 */
#define _VGCF_in_syscall 8
#define VGCF_in_syscall  (1 << _VGCF_in_syscall)
#define VGCS_in_syscall  VGCF_in_syscall

#ifndef __ASSEMBLER__

/* All fields written by the guest; lowest address first. */
struct iret_context {
    uint64_t rax, r11, rcx, flags, rip, cs, rflags, rsp, ss;
};
XEN_ABI_SIZE(struct iret_context, 72);
XEN_ABI_OFFSET(struct iret_context, flags, 24);
XEN_ABI_OFFSET(struct iret_context, ss, 64);

/*
 * Guest register frame, as in vcpu_guest_context.user_regs. Only the 64-bit
 * names exist here. The hypervisor's own trap frame is a different type, so
 * hypervisor builds (which define __XEN__) see this one as guest_user_regs.
 */
#ifdef __XEN__
#define cpu_user_regs guest_user_regs
#endif
struct cpu_user_regs {
    uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
    uint64_t rax, rcx, rdx, rsi, rdi;
    uint32_t error_code;   /* private to the hypervisor */
    uint32_t entry_vector; /* private to the hypervisor */
    uint64_t rip;
    uint16_t cs, _pad0[1];
    uint8_t saved_upcall_mask; /* event mask at the time of the trap */
    uint8_t _pad1[3];
    uint64_t rflags; /* rflags.IF == !saved_upcall_mask */
    uint64_t rsp;
    uint16_t ss, _pad2[3];
    uint16_t es, _pad3[3];
    uint16_t ds, _pad4[3];
    uint16_t fs, _pad5[3];
    uint16_t gs, _pad6[3];
};
XEN_ABI_SIZE(struct cpu_user_regs, 200);
XEN_ABI_OFFSET(struct cpu_user_regs, rax, 80);
XEN_ABI_OFFSET(struct cpu_user_regs, rdi, 112);
XEN_ABI_OFFSET(struct cpu_user_regs, error_code, 120);
XEN_ABI_OFFSET(struct cpu_user_regs, rip, 128);
XEN_ABI_OFFSET(struct cpu_user_regs, cs, 136);
XEN_ABI_OFFSET(struct cpu_user_regs, saved_upcall_mask, 140);
XEN_ABI_OFFSET(struct cpu_user_regs, rflags, 144);
XEN_ABI_OFFSET(struct cpu_user_regs, ss, 160);
XEN_ABI_OFFSET(struct cpu_user_regs, gs, 192);
#ifdef __XEN__
#undef cpu_user_regs
#else
typedef struct cpu_user_regs cpu_user_regs_t;
#endif

/* CR3 values in vcpu_guest_context.ctrlreg[] and arch_shared_info.p2m_cr3. */
#define xen_pfn_to_cr3(pfn) ((uint64_t)(pfn) << 12)
#define xen_cr3_to_pfn(cr3) ((uint64_t)(cr3) >> 12)

/* Per-vCPU architectural part of struct vcpu_info. */
struct arch_vcpu_info {
    uint64_t cr2; /* H: faulting address of the last #PF bounced to the guest */
    uint64_t pad; /* keeps vcpu_info at 64 bytes */
};
typedef struct arch_vcpu_info arch_vcpu_info_t;
XEN_ABI_SIZE(struct arch_vcpu_info, 16);

/* Guest virtual address of a callback (event, failsafe, syscall). */
typedef uint64_t xen_callback_t;

#endif /* !__ASSEMBLER__ */

#endif /* __XEN_PUBLIC_ARCH_X86_XEN_X86_64_H__ */
