/* Core of the guest ABI (Xen x86-64 PV): hypercall numbers, MMU ops, start_info, shared_info. */
#ifndef __XEN_PUBLIC_XEN_H__
#define __XEN_PUBLIC_XEN_H__

/*
 * Notation in these headers. For fields, who writes them: "G:" the guest,
 * "H:" the hypervisor (or the domain builder acting for it), "T:" the
 * toolstack. For operations: IN (read by the hypervisor), OUT (written back),
 * and the errors returned (always negative: -XEN_Exxx, see errno.h).
 * Any unreadable or unwritable guest pointer gives -XEN_EFAULT; an unknown
 * hypercall or sub-op gives -XEN_ENOSYS. Numbers here are ABI: append only.
 */

#include "xen-compat.h"
#include "arch-x86/xen.h"

/*
 * Hypercall numbers (%rax). Arguments are listed as (arg1, arg2, ...).
 *  set_trap_table(trap_info_t *list)                 0 / -EFAULT / -EINVAL
 *  mmu_update(mmu_update_t *req, uint count, uint *done, domid_t dom)
 *                                                    0 / -EINVAL / -EPERM / -ESRCH
 *  set_gdt(xen_pfn_t *frames, uint entries)          0 / -EINVAL (bad frame or descriptor)
 *  stack_switch(ulong ss, ulong sp)                  0; sets kernel_ss/kernel_sp
 *  set_callbacks(event, failsafe, syscall)           0 (legacy form of callback_op)
 *  fpu_taskswitch(int set)                           0; sets/clears virtual CR0.TS
 *  sched_op_compat(int cmd, ulong arg)               old sched_op, no struct
 *  platform_op(xen_platform_op_t *)                  privileged; -EPERM for domUs
 *  set_debugreg(int reg, ulong val)                  0 / -EINVAL / -EPERM
 *  get_debugreg(int reg)                             value / -EINVAL
 *  update_descriptor(uint64 maddr, uint64 desc)      0 / -EINVAL (bad descriptor or frame)
 *  memory_op(uint cmd, void *arg)                    see memory.h
 *  multicall(multicall_entry_t *calls, uint n)       0; per-call result in each entry
 *  update_va_mapping(ulong va, uint64 pte, ulong flags)   0 / -EINVAL; flags UVMF_*
 *  set_timer_op(uint64 timeout_abs_ns)               0; one-shot VIRQ_TIMER, 0 cancels
 *  event_channel_op_compat(evtchn_op_t *)            old form, cmd inside the struct
 *  xen_version(int cmd, void *arg)                   see version.h
 *  console_io(int cmd, uint count, char *buf)        see CONSOLEIO_*
 *  physdev_op_compat(physdev_op_t *)                 old form
 *  grant_table_op(uint cmd, void *args, uint count)  see grant_table.h
 *  vm_assist(uint cmd, uint type)                    0 / -EINVAL (unknown type)
 *  update_va_mapping_otherdomain(va, pte, flags, domid)   privileged
 *  iret(void)                                        frame on the stack, see xen-x86_64.h
 *  vcpu_op(int cmd, uint vcpuid, void *arg)          see vcpu.h
 *  set_segment_base(uint which, ulong base)          SEGBASE_*
 *  mmuext_op(mmuext_op_t *ops, uint count, uint *done, domid_t dom)
 *                                                    0 / -EINVAL / -EPERM / -EBUSY
 *  sched_op(int cmd, void *arg)                      see sched.h
 *  callback_op(int cmd, void *arg)                   see callback.h
 *  event_channel_op(int cmd, void *arg)              see event_channel.h
 *  physdev_op(int cmd, void *arg)                    see physdev.h
 * The others are privileged, HVM-only or not provided; they return -ENOSYS
 * (or -EPERM) to PV domUs.
 */
#define __HYPERVISOR_set_trap_table                 0
#define __HYPERVISOR_mmu_update                     1
#define __HYPERVISOR_set_gdt                        2
#define __HYPERVISOR_stack_switch                   3
#define __HYPERVISOR_set_callbacks                  4
#define __HYPERVISOR_fpu_taskswitch                 5
#define __HYPERVISOR_sched_op_compat                6
#define __HYPERVISOR_platform_op                    7
#define __HYPERVISOR_set_debugreg                   8
#define __HYPERVISOR_get_debugreg                   9
#define __HYPERVISOR_update_descriptor              10
/* 11 is unused */
#define __HYPERVISOR_memory_op                      12
#define __HYPERVISOR_multicall                      13
#define __HYPERVISOR_update_va_mapping              14
#define __HYPERVISOR_set_timer_op                   15
#define __HYPERVISOR_event_channel_op_compat        16
#define __HYPERVISOR_xen_version                    17
#define __HYPERVISOR_console_io                     18
#define __HYPERVISOR_physdev_op_compat              19
#define __HYPERVISOR_grant_table_op                 20
#define __HYPERVISOR_vm_assist                      21
#define __HYPERVISOR_update_va_mapping_otherdomain  22
#define __HYPERVISOR_iret                           23
#define __HYPERVISOR_vcpu_op                        24
#define __HYPERVISOR_set_segment_base               25
#define __HYPERVISOR_mmuext_op                      26
#define __HYPERVISOR_xsm_op                         27
#define __HYPERVISOR_nmi_op                         28
#define __HYPERVISOR_sched_op                       29
#define __HYPERVISOR_callback_op                    30
#define __HYPERVISOR_xenoprof_op                    31
#define __HYPERVISOR_event_channel_op               32
#define __HYPERVISOR_physdev_op                     33
#define __HYPERVISOR_hvm_op                         34
#define __HYPERVISOR_sysctl                         35
#define __HYPERVISOR_domctl                         36
#define __HYPERVISOR_kexec_op                       37
#define __HYPERVISOR_tmem_op                        38
#define __HYPERVISOR_argo_op                        39
#define __HYPERVISOR_xenpmu_op                      40
#define __HYPERVISOR_dm_op                          41
#define __HYPERVISOR_hypfs_op                       42
#define __HYPERVISOR_arch_0                         48
#define __HYPERVISOR_arch_1                         49
#define __HYPERVISOR_arch_2                         50
#define __HYPERVISOR_arch_3                         51
#define __HYPERVISOR_arch_4                         52
#define __HYPERVISOR_arch_5                         53
#define __HYPERVISOR_arch_6                         54
#define __HYPERVISOR_arch_7                         55

/*
 * Virtual interrupts, bound to event channels with EVTCHNOP_bind_virq.
 * Per-vCPU ones (V) are bound once per vCPU; global ones (G) go to one
 * domain (usually dom0); D is per domain.
 */
#define VIRQ_TIMER      0  /* V: single-shot or periodic timer expired */
#define VIRQ_DEBUG      1  /* V: dump debug state */
#define VIRQ_CONSOLE    2  /* G: input on the hypervisor's console */
#define VIRQ_DOM_EXC    3  /* G: some domain shut down or crashed */
#define VIRQ_TBUF       4  /* G: trace buffer has data */
#define VIRQ_DEBUGGER   6  /* G: a domain paused for debugging */
#define VIRQ_XENOPROF   7  /* V: profiling sample */
#define VIRQ_CON_RING   8  /* G: hypervisor console ring has new output */
#define VIRQ_PCPU_STATE 9  /* G: physical CPU went on/offline */
#define VIRQ_MEM_EVENT  10 /* G: memory event */
#define VIRQ_ARGO       11 /* D: argo message */
#define VIRQ_ENOMEM     12 /* G: hypervisor heap low */
#define VIRQ_XENPMU     13 /* V: performance counter interrupt */
#define VIRQ_ARCH_0     16
#define VIRQ_ARCH_1     17
#define VIRQ_ARCH_2     18
#define VIRQ_ARCH_3     19
#define VIRQ_ARCH_4     20
#define VIRQ_ARCH_5     21
#define VIRQ_ARCH_6     22
#define VIRQ_ARCH_7     23
#define NR_VIRQS        24

/*
 * mmu_update request types, in the low 2 bits of mmu_update.ptr (the rest is
 * a machine address, 8-byte aligned).
 *  NORMAL_PT_UPDATE: *ptr = val, checked against the type of the page that
 *    holds ptr (validated L1-L4 entries; an untyped writable page is just
 *    written). -EINVAL for a bad entry, -EPERM for a frame the caller may not
 *    map that way.
 *  MACHPHYS_UPDATE: M2P[ptr >> 12] = val (a PFN). Caller must own the frame.
 *  PT_UPDATE_PRESERVE_AD: as NORMAL, but keeps Accessed/Dirty already set.
 *  PT_UPDATE_NO_TRANSLATE: as NORMAL, val not translated (foreign resources).
 */
#define MMU_NORMAL_PT_UPDATE       0
#define MMU_MACHPHYS_UPDATE        1
#define MMU_PT_UPDATE_PRESERVE_AD  2
#define MMU_PT_UPDATE_NO_TRANSLATE 3

/*
 * mmuext_op commands (struct mmuext_op.cmd). The argument column says which
 * member is used; MFNs must belong to the domain named in the hypercall.
 *  PIN_L1..L4_TABLE  arg1.mfn: validate as that level and hold the type.
 *                    -EINVAL bad entries; -EBUSY page has another type.
 *  UNPIN_TABLE       arg1.mfn: drop the pin. -EINVAL if not pinned.
 *  NEW_BASEPTR       arg1.mfn: new kernel L4 (validated, becomes CR3).
 *  NEW_USER_BASEPTR  arg1.mfn: L4 used in guest user mode; 0 = none.
 *  TLB_FLUSH_LOCAL, INVLPG_LOCAL (arg1.linear_addr): this vCPU only.
 *  TLB_FLUSH_MULTI, INVLPG_MULTI: arg2.vcpumask = VA of a vCPU bitmap.
 *  TLB_FLUSH_ALL, INVLPG_ALL: all vCPUs of the domain.
 *  FLUSH_CACHE, FLUSH_CACHE_GLOBAL: wbinvd; privileged.
 *  SET_LDT           arg1.linear_addr, arg2.nr_ents (<= 8192, page aligned).
 *  CLEAR_PAGE        arg1.mfn; COPY_PAGE arg1.mfn <- arg2.src_mfn.
 *  MARK_SUPER, UNMARK_SUPER: superpage ops; not provided (-ENOSYS).
 */
#define MMUEXT_PIN_L1_TABLE       0
#define MMUEXT_PIN_L2_TABLE       1
#define MMUEXT_PIN_L3_TABLE       2
#define MMUEXT_PIN_L4_TABLE       3
#define MMUEXT_UNPIN_TABLE        4
#define MMUEXT_NEW_BASEPTR        5
#define MMUEXT_TLB_FLUSH_LOCAL    6
#define MMUEXT_INVLPG_LOCAL       7
#define MMUEXT_TLB_FLUSH_MULTI    8
#define MMUEXT_INVLPG_MULTI       9
#define MMUEXT_TLB_FLUSH_ALL      10
#define MMUEXT_INVLPG_ALL         11
#define MMUEXT_FLUSH_CACHE        12
#define MMUEXT_SET_LDT            13
/* 14 is unused */
#define MMUEXT_NEW_USER_BASEPTR   15
#define MMUEXT_CLEAR_PAGE         16
#define MMUEXT_COPY_PAGE          17
#define MMUEXT_FLUSH_CACHE_GLOBAL 18
#define MMUEXT_MARK_SUPER         19
#define MMUEXT_UNMARK_SUPER       20

/*
 * update_va_mapping flags: a flush type in bits 0-1, a scope in bit 2.
 * UVMF_MULTI: OR in the VA of a vCPU bitmap (8-byte aligned, so the low bits
 * stay free); UVMF_LOCAL is MULTI with no bitmap.
 */
#define UVMF_NONE           (xen_mk_ulong(0) << 0)
#define UVMF_TLB_FLUSH      (xen_mk_ulong(1) << 0)
#define UVMF_INVLPG         (xen_mk_ulong(2) << 0)
#define UVMF_FLUSHTYPE_MASK (xen_mk_ulong(3) << 0)
#define UVMF_MULTI          (xen_mk_ulong(0) << 2)
#define UVMF_LOCAL          (xen_mk_ulong(0) << 2)
#define UVMF_ALL            (xen_mk_ulong(1) << 2)

/*
 * console_io commands.
 *  CONSOLEIO_write: write count bytes from buf to the hypervisor console.
 *    Returns 0 (as Xen does; guests should also accept count), -EFAULT if
 *    any byte of buf is unreadable (so a count running past the guest's
 *    mappings fails too). Output of domUs is tagged with the domain.
 *  CONSOLEIO_read: read up to count bytes of console input into buf;
 *    returns the number read. Only for the console-owning domain (-EPERM).
 */
#define CONSOLEIO_write 0
#define CONSOLEIO_read  1

/*
 * vm_assist(cmd, type): turn on/off a hypervisor assist for this domain.
 * Returns 0, -EINVAL for an unknown command or an assist not available to
 * 64-bit PV guests.
 */
#define VMASST_CMD_enable                0
#define VMASST_CMD_disable               1
#define VMASST_TYPE_4gb_segments         0  /* 32-bit only; accepted and ignored */
#define VMASST_TYPE_4gb_segments_notify  1  /* 32-bit only */
#define VMASST_TYPE_writable_pagetables  2  /* trap-and-emulate guest writes to its L1s */
#define VMASST_TYPE_pae_extended_cr3     3  /* 32-bit PAE only */
#define VMASST_TYPE_architectural_iopl   4  /* iopl in rflags, not PHYSDEVOP_set_iopl */
#define VMASST_TYPE_runstate_update_flag 5  /* XEN_RUNSTATE_UPDATE in runstate area */
#define VMASST_TYPE_m2p_strict           32 /* M2P hidden from guest user mode */

/*
 * Domain ids. Real domains are 0 .. DOMID_FIRST_RESERVED-1; the rest are
 * names the hypercalls understand in domid arguments.
 */
#ifndef __ASSEMBLER__
#define DOMID_FIRST_RESERVED 0x7FF0U
#define DOMID_SELF           0x7FF0U /* the calling domain */
#define DOMID_IO             0x7FF1U /* owner of I/O memory (dom0 may map it) */
#define DOMID_XEN            0x7FF2U /* owner of hypervisor memory */
#define DOMID_COW            0x7FF3U /* owner of shared copy-on-write pages */
#define DOMID_INVALID        0x7FF4U /* no owner */
#define DOMID_ANY            0x7FF5U /* wildcard (e.g. alloc_unbound remote) */
#define DOMID_IDLE           0x7FFFU /* the idle domain */
#define DOMID_MASK           0x7FFFU

typedef uint16_t domid_t;

/* One mmu_update request; G writes both. See MMU_* for the encoding of ptr. */
struct mmu_update {
    uint64_t ptr; /* machine address of the entry | MMU_* type */
    uint64_t val; /* new value */
};
typedef struct mmu_update mmu_update_t;
XEN_ABI_SIZE(struct mmu_update, 16);

/* One mmuext_op request, all IN (G writes it). See MMUEXT_* for the arguments. */
struct mmuext_op {
    uint32_t cmd; /* MMUEXT_* */
    uint32_t _pad0;
    union {
        xen_pfn_t mfn;
        uint64_t linear_addr;
    } arg1;
    union {
        uint32_t nr_ents;
        XEN_GUEST_HANDLE(const void) vcpumask;
        xen_pfn_t src_mfn;
    } arg2;
};
typedef struct mmuext_op mmuext_op_t;
XEN_ABI_SIZE(struct mmuext_op, 24);
XEN_ABI_OFFSET(struct mmuext_op, arg1, 8);
XEN_ABI_OFFSET(struct mmuext_op, arg2, 16);

/*
 * One call in a multicall batch. G writes op and args; H writes result (the
 * call's return value). Only five arguments are used; args[5] is ignored.
 * The multicall itself returns 0 unless the array is unreadable (-EFAULT);
 * a nested multicall gets -EINVAL in its result.
 */
struct multicall_entry {
    xen_ulong_t op;
    xen_ulong_t result;
    xen_ulong_t args[6];
};
typedef struct multicall_entry multicall_entry_t;
XEN_ABI_SIZE(struct multicall_entry, 64);
XEN_ABI_OFFSET(struct multicall_entry, args, 16);

/*
 * Per-vCPU time, written by H (H bumps version to odd, updates, bumps it to
 * even: G retries while odd or changed).
 *   now_ns = system_time + ((((tsc - tsc_timestamp) << tsc_shift) (or >> -shift))
 *            * tsc_to_system_mul) >> 32
 */
struct vcpu_time_info {
    uint32_t version;
    uint32_t pad0;
    uint64_t tsc_timestamp;     /* TSC at the last update */
    uint64_t system_time;       /* ns since boot at tsc_timestamp */
    uint32_t tsc_to_system_mul; /* 32.32 fixed-point ns per (shifted) tick */
    int8_t tsc_shift;
    uint8_t flags;              /* XEN_PVCLOCK_* */
    uint8_t pad1[2];
};
typedef struct vcpu_time_info vcpu_time_info_t;
XEN_ABI_SIZE(struct vcpu_time_info, 32);
XEN_ABI_OFFSET(struct vcpu_time_info, tsc_timestamp, 8);
XEN_ABI_OFFSET(struct vcpu_time_info, system_time, 16);
XEN_ABI_OFFSET(struct vcpu_time_info, tsc_to_system_mul, 24);
XEN_ABI_OFFSET(struct vcpu_time_info, tsc_shift, 28);
XEN_ABI_OFFSET(struct vcpu_time_info, flags, 29);

#define XEN_PVCLOCK_TSC_STABLE_BIT (1 << 0) /* TSC is invariant and synchronised */
#define XEN_PVCLOCK_GUEST_STOPPED  (1 << 1) /* vCPU was paused; for watchdogs */

/*
 * Per-vCPU event state (in shared_info for vCPUs 0-31, or wherever
 * VCPUOP_register_vcpu_info put it).
 * evtchn_upcall_pending: H sets it when a port becomes pending; G clears it
 *   before scanning. evtchn_upcall_mask: G sets/clears it (the virtual IF);
 *   H sets it when delivering an event upcall or a masking trap, and clears
 *   it on SCHEDOP_block. evtchn_pending_sel: H sets bit i when word i of
 *   evtchn_pending gains a bit; G clears it by exchange.
 */
struct vcpu_info {
    uint8_t evtchn_upcall_pending;
    uint8_t evtchn_upcall_mask;
    uint8_t _pad0[6];
    xen_ulong_t evtchn_pending_sel;
    struct arch_vcpu_info arch;
    struct vcpu_time_info time;
};
typedef struct vcpu_info vcpu_info_t;
XEN_ABI_SIZE(struct vcpu_info, 64);
XEN_ABI_OFFSET(struct vcpu_info, evtchn_upcall_mask, 1);
XEN_ABI_OFFSET(struct vcpu_info, evtchn_pending_sel, 8);
XEN_ABI_OFFSET(struct vcpu_info, arch, 16);
XEN_ABI_OFFSET(struct vcpu_info, time, 32);

/*
 * The shared-info page: one per domain, frame given in start_info.shared_info,
 * mapped by the guest itself (update_va_mapping) and writable.
 * evtchn_pending: bit p is port p. H sets it (atomically); G clears it.
 * evtchn_mask: G sets/clears; H only reads. A port that becomes pending while
 * masked raises no upcall: G must check pending bits when unmasking.
 * wc_*: wall-clock time (seconds since 1970, UTC) at system time 0; H writes,
 * versioned like vcpu_time_info.
 */
struct shared_info {
    struct vcpu_info vcpu_info[XEN_LEGACY_MAX_VCPUS];
    xen_ulong_t evtchn_pending[sizeof(xen_ulong_t) * 8];
    xen_ulong_t evtchn_mask[sizeof(xen_ulong_t) * 8];
    uint32_t wc_version;
    uint32_t wc_sec;
    uint32_t wc_nsec;
    uint32_t wc_sec_hi; /* upper 32 bits of the seconds */
    struct arch_shared_info arch;
};
typedef struct shared_info shared_info_t;
XEN_ABI_SIZE(struct shared_info, 3136);
XEN_ABI_OFFSET(struct shared_info, evtchn_pending, 0x800);
XEN_ABI_OFFSET(struct shared_info, evtchn_mask, 0xa00);
XEN_ABI_OFFSET(struct shared_info, wc_version, 0xc00);
XEN_ABI_OFFSET(struct shared_info, wc_sec_hi, 0xc0c);
XEN_ABI_OFFSET(struct shared_info, arch, 0xc10);
#define xen_wc_sec_hi wc_sec_hi

/*
 * Start-of-day state of a PV domain, built by the domain builder (H) before
 * the first instruction. The guest's initial page tables map, from virt_base
 * (XEN_ELFNOTE_VIRT_BASE) upward, VA = virt_base + pfn * 4096 for:
 *  1. the kernel image (from PFN 0),       2. the module (initrd), if any,
 *  3. the p2m list (mfn_list, 8 bytes per PFN), 4. this start_info page,
 *  5. (domU) the xenstore page, 6. (domU) the console ring page,
 *  7. the bootstrap page tables (mapped read-only), 8. one stack page,
 * each page aligned, the whole rounded up to 4 MiB with at least 512 KiB
 * spare. Entry: %rsi = VA of start_info, %rsp = end of the stack page,
 * events masked, CS/SS = FLAT_KERNEL_CS/SS.
 * All fields H-written; the guest treats the page as read-mostly.
 */
#define MAX_GUEST_CMDLINE 1024
struct start_info {
    /* Valid at boot and after resume. */
    char magic[32];        /* "xen-3.0-x86_64", NUL padded */
    uint64_t nr_pages;     /* pages the domain owns */
    uint64_t shared_info;  /* MACHINE address of the shared-info page */
    uint32_t flags;        /* SIF_* */
    uint32_t _pad0;
    xen_pfn_t store_mfn;   /* MFN of the xenstore ring page */
    uint32_t store_evtchn; /* its event channel (0: none / local) */
    uint32_t _pad1;
    union {
        struct {
            xen_pfn_t mfn;   /* MFN of the console ring (io/console.h) */
            uint32_t evtchn; /* its event channel */
            uint32_t _pad0;
        } domU;
        struct {
            uint32_t info_off;  /* offset of a dom0_vga_console_info in this page */
            uint32_t info_size; /* its size */
        } dom0;
    } console;
    /* Valid at boot only. */
    uint64_t pt_base;      /* VIRTUAL address of the bootstrap L4 */
    uint64_t nr_pt_frames; /* number of bootstrap page-table frames */
    uint64_t mfn_list;     /* VIRTUAL address of the p2m list */
    uint64_t mod_start;    /* VA of the module, or its PFN with SIF_MOD_START_PFN */
    uint64_t mod_len;      /* module size in bytes (0: none) */
    char cmd_line[MAX_GUEST_CMDLINE]; /* NUL-terminated command line */
    uint64_t first_p2m_pfn; /* first PFN of a p2m placed via XEN_ELFNOTE_INIT_P2M */
    uint64_t nr_p2m_frames; /* frames of that p2m (with its page tables) */
};
typedef struct start_info start_info_t;
XEN_ABI_SIZE(struct start_info, 1168);
XEN_ABI_OFFSET(struct start_info, nr_pages, 32);
XEN_ABI_OFFSET(struct start_info, shared_info, 40);
XEN_ABI_OFFSET(struct start_info, flags, 48);
XEN_ABI_OFFSET(struct start_info, store_mfn, 56);
XEN_ABI_OFFSET(struct start_info, store_evtchn, 64);
XEN_ABI_OFFSET(struct start_info, console, 72);
XEN_ABI_OFFSET(struct start_info, console.domU.evtchn, 80);
XEN_ABI_OFFSET(struct start_info, pt_base, 88);
XEN_ABI_OFFSET(struct start_info, mfn_list, 104);
XEN_ABI_OFFSET(struct start_info, mod_len, 120);
XEN_ABI_OFFSET(struct start_info, cmd_line, 128);
XEN_ABI_OFFSET(struct start_info, first_p2m_pfn, 1152);
#endif /* !__ASSEMBLER__ */

/* start_info.flags */
#define SIF_PRIVILEGED      (1 << 0)    /* domain may use privileged hypercalls */
#define SIF_INITDOMAIN      (1 << 1)    /* this is dom0 */
#define SIF_MULTIBOOT_MOD   (1 << 2)    /* mod_start is a xen_multiboot_mod_list */
#define SIF_MOD_START_PFN   (1 << 3)    /* mod_start is a PFN, not a VA */
#define SIF_VIRT_P2M_4TOOLS (1 << 4)    /* tools read the p2m via p2m_vaddr */
#define SIF_PM_MASK         (0xFF << 8) /* power-management options, passed through */

#ifndef __ASSEMBLER__
/* Module list entry when SIF_MULTIBOOT_MOD is set; H writes. */
struct xen_multiboot_mod_list {
    uint32_t mod_start; /* first byte (pseudo-physical) */
    uint32_t mod_end;   /* last byte, inclusive */
    uint32_t cmdline;   /* NUL-terminated string */
    uint32_t pad;       /* zero */
};
XEN_ABI_SIZE(struct xen_multiboot_mod_list, 16);

/* dom0 only: the boot console the hypervisor found (start_info.console.dom0). */
typedef struct dom0_vga_console_info {
    uint8_t video_type; /* XEN_VGATYPE_* */
    uint8_t _pad0[3];
    union {
        struct {
            uint16_t font_height;
            uint16_t cursor_x, cursor_y;
            uint16_t rows, columns;
        } text_mode_3;
        struct {
            uint16_t width, height;  /* pixels */
            uint16_t bytes_per_line;
            uint16_t bits_per_pixel;
            uint32_t lfb_base;       /* low 32 bits of the frame buffer address */
            uint32_t lfb_size;       /* in 64 KiB units */
            uint8_t red_pos, red_size;
            uint8_t green_pos, green_size;
            uint8_t blue_pos, blue_size;
            uint8_t rsvd_pos, rsvd_size;
            uint32_t gbl_caps;
            uint16_t mode_attrs;
            uint16_t pad;
            uint32_t ext_lfb_base;   /* high 32 bits of the frame buffer address */
        } vesa_lfb;
    } u;
} dom0_vga_console_info_t;
XEN_ABI_SIZE(dom0_vga_console_info_t, 40);
XEN_ABI_OFFSET(dom0_vga_console_info_t, u, 4);
#define xen_vga_console_info   dom0_vga_console_info
#define xen_vga_console_info_t dom0_vga_console_info_t
#define XEN_VGATYPE_TEXT_MODE_3 0x03
#define XEN_VGATYPE_VESA_LFB    0x23
#define XEN_VGATYPE_EFI_LFB     0x70

typedef uint8_t xen_domain_handle_t[16]; /* the domain's UUID */
typedef struct {
    uint8_t a[16];
} xen_uuid_t;
#endif /* !__ASSEMBLER__ */

#endif /* __XEN_PUBLIC_XEN_H__ */
