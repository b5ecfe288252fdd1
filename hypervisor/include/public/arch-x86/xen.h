/* x86 part of the guest ABI: guest handles, trap table, full vCPU context, shared-info tail. */
#ifndef __XEN_PUBLIC_ARCH_X86_XEN_H__
#define __XEN_PUBLIC_ARCH_X86_XEN_H__

#include "../xen-compat.h"

/*
 * Guest handles. On x86-64 a guest pointer is just a 64-bit guest virtual
 * address, so a handle is a plain pointer to the named type (Xen wraps it in a
 * one-member struct; the layout is the same). The hypervisor must never
 * dereference one directly: it copies through its checked guest-access
 * helpers.
 */
#define XEN_GUEST_HANDLE(type)         type *
#define XEN_GUEST_HANDLE_PARAM(type)   XEN_GUEST_HANDLE(type)
#define XEN_GUEST_HANDLE_64(type)      XEN_GUEST_HANDLE(type)
#define __XEN_GUEST_HANDLE(type)       XEN_GUEST_HANDLE(type)
#define DEFINE_XEN_GUEST_HANDLE(name)  _Static_assert(sizeof(name *) == 8, "guest handle")
#define set_xen_guest_handle(hnd, val) do { (hnd) = (val); } while (0)
#define set_xen_guest_handle_raw(hnd, val) set_xen_guest_handle(hnd, val)

#include "xen-x86_64.h"

#define XEN_HAVE_PV_GUEST_ENTRY 1
#define XEN_HAVE_PV_UPCALL_MASK 1

/*
 * A guest GDT is at most 16 pages. Page 14 belongs to the hypervisor (its
 * flat ring-3 segments live there, see FLAT_RING3_*), so set_gdt accepts at
 * most FIRST_RESERVED_GDT_ENTRY guest entries. Linux passes one page (512).
 */
#define FIRST_RESERVED_GDT_PAGE  14
#define FIRST_RESERVED_GDT_BYTE  (FIRST_RESERVED_GDT_PAGE * 4096)
#define FIRST_RESERVED_GDT_ENTRY (FIRST_RESERVED_GDT_BYTE / 8)

/* vcpu_info slots in shared_info; later vCPUs need VCPUOP_register_vcpu_info. */
#define XEN_LEGACY_MAX_VCPUS 32
#define MAX_VIRT_CPUS        XEN_LEGACY_MAX_VCPUS /* older name of the same */

/*
 * Forced emulation: "ud2; .ascii \"xen\"" before an instruction asks the
 * hypervisor to emulate it (used for CPUID: XEN_CPUID). On #UD the
 * hypervisor matches these 5 bytes, emulates the next instruction and skips
 * both.
 */
#ifdef __ASSEMBLER__
#define XEN_EMULATE_PREFIX .byte 0x0f, 0x0b, 0x78, 0x65, 0x6e;
#define XEN_CPUID          XEN_EMULATE_PREFIX cpuid
#else
#define XEN_EMULATE_PREFIX ".byte 0x0f, 0x0b, 0x78, 0x65, 0x6e; "
#define XEN_CPUID          XEN_EMULATE_PREFIX "cpuid"
#endif

#ifndef __ASSEMBLER__

typedef uint64_t xen_pfn_t;   /* a frame number (MFN for PV guests) */
typedef uint64_t xen_ulong_t; /* a native word in ABI structs */
#define PRI_xen_pfn   "lx"
#define PRIu_xen_pfn  "lu"
#define PRI_xen_ulong "lx"

/*
 * One virtual IDT entry, all fields written by the guest
 * (__HYPERVISOR_set_trap_table takes an array ended by address == 0).
 * flags bits 0-1: DPL a software `int n` needs to reach the vector;
 * flags bit 2: mask events (set evtchn_upcall_mask) on delivery, i.e. an
 * interrupt gate. cs is ignored on 64-bit (entry is always FLAT_KERNEL_CS).
 */
#define TI_GET_DPL(_ti)       ((_ti)->flags & 3)
#define TI_GET_IF(_ti)        ((_ti)->flags & 4)
#define TI_SET_DPL(_ti, _dpl) ((_ti)->flags |= (_dpl))
#define TI_SET_IF(_ti, _if)   ((_ti)->flags |= ((!!(_if)) << 2))
struct trap_info {
    uint8_t vector;
    uint8_t flags;
    uint16_t cs;
    uint32_t _pad0;   /* must be zero */
    uint64_t address; /* handler VA; 0 ends the list */
};
typedef struct trap_info trap_info_t;
XEN_ABI_SIZE(struct trap_info, 16);
XEN_ABI_OFFSET(struct trap_info, address, 8);

typedef uint64_t tsc_timestamp_t;

/*
 * Full state of a vCPU: written by the guest for VCPUOP_initialise (bring up
 * a secondary vCPU), by the domain builder and the save/restore tools through
 * the control interface, read back by them for saving.
 */
#define _VGCF_i387_valid               0
#define VGCF_i387_valid                (1 << _VGCF_i387_valid)   /* fpu_ctxt holds state */
#define _VGCF_in_kernel                2
#define VGCF_in_kernel                 (1 << _VGCF_in_kernel)    /* start in guest kernel mode */
#define _VGCF_failsafe_disables_events 3
#define VGCF_failsafe_disables_events  (1 << _VGCF_failsafe_disables_events)
#define _VGCF_syscall_disables_events  4
#define VGCF_syscall_disables_events   (1 << _VGCF_syscall_disables_events)
#define _VGCF_online                   5
#define VGCF_online                    (1 << _VGCF_online)       /* vCPU is up */

struct vcpu_guest_context {
    struct {
        uint8_t x[512];
    } fpu_ctxt;      /* FXSAVE image, valid with VGCF_i387_valid */
    uint64_t flags;  /* VGCF_* */
#ifdef __XEN__
    struct guest_user_regs user_regs;
#else
    struct cpu_user_regs user_regs;
#endif
    struct trap_info trap_ctxt[256]; /* the virtual IDT */
    uint64_t ldt_base, ldt_ents;     /* LDT: linear address, entry count */
    uint64_t gdt_frames[16];         /* GDT: machine frames (read-only mapped) */
    uint64_t gdt_ents;               /* GDT: entry count */
    uint64_t kernel_ss, kernel_sp;   /* stack for user->kernel bounces */
    uint64_t ctrlreg[8];             /* CR0-CR7; CR3 = kernel L4, CR1 = user L4 (xen_pfn_to_cr3) */
    uint64_t debugreg[8];            /* DR0-DR7 */
    uint64_t event_callback_eip;     /* CALLBACKTYPE_event */
    uint64_t failsafe_callback_eip;  /* CALLBACKTYPE_failsafe */
    uint64_t syscall_callback_eip;   /* CALLBACKTYPE_syscall */
    uint64_t vm_assist;              /* bitmap of enabled VMASST_TYPE_* */
    uint64_t fs_base;
    uint64_t gs_base_kernel;
    uint64_t gs_base_user;
};
typedef struct vcpu_guest_context vcpu_guest_context_t;
XEN_ABI_SIZE(struct vcpu_guest_context, 5168);
XEN_ABI_OFFSET(struct vcpu_guest_context, flags, 512);
XEN_ABI_OFFSET(struct vcpu_guest_context, user_regs, 520);
XEN_ABI_OFFSET(struct vcpu_guest_context, trap_ctxt, 720);
XEN_ABI_OFFSET(struct vcpu_guest_context, ldt_base, 4816);
XEN_ABI_OFFSET(struct vcpu_guest_context, gdt_frames, 4832);
XEN_ABI_OFFSET(struct vcpu_guest_context, gdt_ents, 4960);
XEN_ABI_OFFSET(struct vcpu_guest_context, kernel_ss, 4968);
XEN_ABI_OFFSET(struct vcpu_guest_context, ctrlreg, 4984);
XEN_ABI_OFFSET(struct vcpu_guest_context, debugreg, 5048);
XEN_ABI_OFFSET(struct vcpu_guest_context, event_callback_eip, 5112);
XEN_ABI_OFFSET(struct vcpu_guest_context, syscall_callback_eip, 5128);
XEN_ABI_OFFSET(struct vcpu_guest_context, vm_assist, 5136);
XEN_ABI_OFFSET(struct vcpu_guest_context, fs_base, 5144);
XEN_ABI_OFFSET(struct vcpu_guest_context, gs_base_user, 5160);

/*
 * Architectural tail of shared_info. Written by the guest for the benefit of
 * save/restore tools (which read the p2m through it); nmi_reason is written
 * by the hypervisor.
 */
struct arch_shared_info {
    uint64_t max_pfn;                    /* G: entries in the p2m */
    xen_pfn_t pfn_to_mfn_frame_list_list; /* G: 3-level p2m root; ~0 = use p2m_vaddr */
    uint64_t nmi_reason;                 /* H: why an NMI was sent */
    uint64_t p2m_cr3;                    /* G: page table the p2m_vaddr is valid in; 0 = unused */
    uint64_t p2m_vaddr;                  /* G: VA of the linear p2m list */
    uint64_t p2m_generation;             /* G: odd while the p2m mapping changes */
};
typedef struct arch_shared_info arch_shared_info_t;
XEN_ABI_SIZE(struct arch_shared_info, 48);
XEN_ABI_OFFSET(struct arch_shared_info, p2m_cr3, 24);

#endif /* !__ASSEMBLER__ */

#endif /* __XEN_PUBLIC_ARCH_X86_XEN_H__ */
