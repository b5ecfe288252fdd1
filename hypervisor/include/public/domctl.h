/*
 * Domain control: __HYPERVISOR_domctl(struct xen_domctl *op), for the privileged control
 * domain only. Numbers and layouts are Xen 4.17's (interface version 0x15), so Xen's
 * documentation and Linux's privcmd pass-through describe them; Tern implements the subset
 * below and answers -ENOSYS to the rest.
 *
 * Errors common to all: -EPERM the caller is not the control domain; -EACCES a wrong
 * interface_version; -EFAULT an unreadable or unwritable op or buffer; -ESRCH no such
 * domain; -EINVAL a bad field (reserved fields must be zero).
 */
#ifndef __XEN_PUBLIC_DOMCTL_H__
#define __XEN_PUBLIC_DOMCTL_H__

#include "xen.h"

#define XEN_DOMCTL_INTERFACE_VERSION 0x00000015

/*
 * createdomain: IN config; the op's `domain` field asks for that id (0 or a reserved id
 * = "pick one"), OUT the new id in `domain`. The domain has no memory and its vCPUs are
 * down; it starts paused once by the control domain. -EEXIST the id is taken, -ENOMEM.
 * Only PV without IOMMU: flags must be 0 (or xs_domain), emulation_flags 0.
 */
#define XEN_DOMCTL_CDF_hvm          (1U << 0)
#define XEN_DOMCTL_CDF_hap          (1U << 1)
#define XEN_DOMCTL_CDF_s3_integrity (1U << 2)
#define XEN_DOMCTL_CDF_oos_off      (1U << 3)
#define XEN_DOMCTL_CDF_xs_domain    (1U << 4)
#define XEN_DOMCTL_CDF_iommu        (1U << 5)
#define XEN_DOMCTL_CDF_nested_virt  (1U << 6)
#define XEN_DOMCTL_CDF_vpmu         (1U << 7)

struct xen_arch_domainconfig {
    uint32_t emulation_flags; /* XEN_X86_EMU_*: HVM devices; 0 for PV */
    uint32_t misc_flags;
};

struct xen_domctl_createdomain {
    uint32_t ssidref;             /* security label; ignored */
    xen_domain_handle_t handle;   /* the domain's UUID */
    uint32_t flags;               /* XEN_DOMCTL_CDF_* */
    uint32_t iommu_opts;
    uint32_t max_vcpus;           /* 1 .. the hypervisor's limit */
    uint32_t max_evtchn_port;     /* ignored: every domain gets the default port count */
    int32_t max_grant_frames;     /* ignored: the default */
    int32_t max_maptrack_frames;  /* ignored: the default */
    uint32_t grant_opts;          /* low 4 bits: grant table version (0 = default, 1) */
    uint32_t vmtrace_size;        /* must be 0 */
    uint32_t cpupool_id;          /* must be 0 */
    struct xen_arch_domainconfig arch;
};
XEN_ABI_SIZE(struct xen_domctl_createdomain, 64);
XEN_ABI_OFFSET(struct xen_domctl_createdomain, flags, 20);
XEN_ABI_OFFSET(struct xen_domctl_createdomain, max_vcpus, 28);
XEN_ABI_OFFSET(struct xen_domctl_createdomain, arch, 56);

/* getdomaininfo: OUT the state of `domain`, or with -ESRCH none. */
#define XEN_DOMINF_dying     (1U << 0)  /* being destroyed */
#define XEN_DOMINF_hvm_guest (1U << 1)
#define XEN_DOMINF_shutdown  (1U << 2)  /* shut down; the code is in the shutdown bits */
#define XEN_DOMINF_paused    (1U << 3)  /* paused by the control domain */
#define XEN_DOMINF_blocked   (1U << 4)  /* every online vCPU waits for an event */
#define XEN_DOMINF_running   (1U << 5)  /* some vCPU is on a CPU */
#define XEN_DOMINF_debugged  (1U << 6)
#define XEN_DOMINF_xs_domain (1U << 7)
#define XEN_DOMINF_hap       (1U << 8)
#define XEN_DOMINF_shutdownshift 16     /* SHUTDOWN_* code in bits 16..23 */
#define XEN_DOMINF_shutdownmask  255

struct xen_domctl_getdomaininfo {
    domid_t domain;
    uint16_t pad1;
    uint32_t flags;               /* XEN_DOMINF_* */
    uint64_t tot_pages;           /* pages it owns */
    uint64_t max_pages;           /* its ceiling */
    uint64_t outstanding_pages;
    uint64_t shr_pages;
    uint64_t paged_pages;
    uint64_t shared_info_frame;   /* MFN of its shared_info */
    uint64_t cpu_time;            /* ns on CPUs, all vCPUs */
    uint32_t nr_online_vcpus;
    uint32_t max_vcpu_id;
    uint32_t ssidref;
    xen_domain_handle_t handle;
    uint32_t cpupool;
    uint8_t gpaddr_bits;          /* guest physical address width */
    uint8_t pad2[7];
    struct xen_arch_domainconfig arch_config;
};
typedef struct xen_domctl_getdomaininfo xen_domctl_getdomaininfo_t;
XEN_ABI_SIZE(struct xen_domctl_getdomaininfo, 112);
XEN_ABI_OFFSET(struct xen_domctl_getdomaininfo, tot_pages, 8);
XEN_ABI_OFFSET(struct xen_domctl_getdomaininfo, cpu_time, 56);
XEN_ABI_OFFSET(struct xen_domctl_getdomaininfo, nr_online_vcpus, 64);
XEN_ABI_OFFSET(struct xen_domctl_getdomaininfo, handle, 76);
XEN_ABI_OFFSET(struct xen_domctl_getdomaininfo, cpupool, 92);
XEN_ABI_OFFSET(struct xen_domctl_getdomaininfo, arch_config, 104);

/* max_mem: IN the ceiling in KiB; below what it owns: -EINVAL. */
struct xen_domctl_max_mem {
    uint64_t max_memkb;
};

/* max_vcpus: IN the vCPU count; only the count given at creation (-EINVAL otherwise). */
struct xen_domctl_max_vcpus {
    uint32_t max;
};

/*
 * setvcpucontext: vCPU `vcpu` of a domain paused by the control domain (-EBUSY otherwise).
 * getvcpucontext (13) uses the same struct and is not implemented yet (-ENOSYS); it comes
 * with save/restore. ctxt is a vcpu_guest_context; set takes CR3 (ctrlreg[3]) as the
 * kernel L4 (validated and pinned as a base pointer), CR1 as the user L4, the GDT frames,
 * trap table, callbacks and registers, and brings the vCPU up with VGCF_online.
 */
struct xen_domctl_vcpucontext {
    uint32_t vcpu;
    uint32_t _pad;
    XEN_GUEST_HANDLE_64(vcpu_guest_context_t) ctxt;
};
XEN_ABI_SIZE(struct xen_domctl_vcpucontext, 16);

/* getvcpuinfo: IN vcpu, OUT the rest. */
struct xen_domctl_getvcpuinfo {
    uint32_t vcpu;
    uint8_t online;               /* up */
    uint8_t blocked;              /* waiting for an event */
    uint8_t running;              /* on a CPU */
    uint8_t _pad;
    uint64_t cpu_time;            /* ns */
    uint32_t cpu;                 /* the CPU it is on, or last ran on */
    uint32_t _pad2;
};
XEN_ABI_SIZE(struct xen_domctl_getvcpuinfo, 24);

/*
 * getpageframeinfo3: IN num MFNs at array (at most 1024); OUT each entry with its top
 * four bits replaced by the frame's type: XEN_DOMCTL_PFINFO_XTAB when the domain does not
 * own it, L1TAB..L4TAB for page tables (| LPINTAB when pinned), NOTAB otherwise.
 */
#define XEN_DOMCTL_PFINFO_LTAB_SHIFT 28
#define XEN_DOMCTL_PFINFO_NOTAB      (0x0U << 28)
#define XEN_DOMCTL_PFINFO_L1TAB      (0x1U << 28)
#define XEN_DOMCTL_PFINFO_L2TAB      (0x2U << 28)
#define XEN_DOMCTL_PFINFO_L3TAB      (0x3U << 28)
#define XEN_DOMCTL_PFINFO_L4TAB      (0x4U << 28)
#define XEN_DOMCTL_PFINFO_LTABTYPE_MASK (0x7U << 28)
#define XEN_DOMCTL_PFINFO_LPINTAB    (0x8U << 28)
#define XEN_DOMCTL_PFINFO_XTAB       (0xfU << 28) /* invalid */
#define XEN_DOMCTL_PFINFO_XALLOC     (0xeU << 28) /* allocated but of no use to save */
#define XEN_DOMCTL_PFINFO_BROKEN     (0xdU << 28)
#define XEN_DOMCTL_PFINFO_LTAB_MASK  (0xfU << 28)

struct xen_domctl_getpageframeinfo3 {
    uint64_t num;
    XEN_GUEST_HANDLE_64(xen_pfn_t) array;
};
XEN_ABI_SIZE(struct xen_domctl_getpageframeinfo3, 16);

/*
 * copy_frames (Tern's own; Xen's toolstack maps each frame instead): IN num frames of the
 * domain at array (machine frame numbers, at most 1024), and buffer, num * 4096 bytes of
 * the caller's, resident and writable. Without XEN_DOMCTL_COPY_FRAMES_WRITE the frames are
 * copied into the buffer in order and each array entry gets its type in the top bits as
 * getpageframeinfo3 gives it (XTAB: not the domain's, its part of the buffer untouched).
 * With it the buffer is copied into the frames; every one must be the domain's and not
 * in use as a page table or descriptor table (-EINVAL, -EBUSY: nothing after it copied).
 */
#define XEN_DOMCTL_COPY_FRAMES_WRITE 1u
struct xen_domctl_copy_frames {
    uint32_t num;
    uint32_t flags;
    XEN_GUEST_HANDLE_64(xen_pfn_t) array;
    uint64_t buffer;
};
XEN_ABI_SIZE(struct xen_domctl_copy_frames, 24);

/* get_address_size / set_address_size: 64 for 64-bit PV; set accepts only 64. */
struct xen_domctl_address_size {
    uint32_t size;
};

/*
 * shadow_op: log-dirty mode of a PV domain. The bitmap has one bit per guest frame
 * number (the M2P's pfn of each frame), bit n in byte n / 8; `pages` is its size in bits
 * going in and how many it filled coming out. CLEAN returns the bitmap and starts a new
 * round; PEEK returns it and leaves it. stats count the faults taken and the pages
 * dirtied in the round.
 */
#define XEN_DOMCTL_SHADOW_OP_OFF             0
#define XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY 2
#define XEN_DOMCTL_SHADOW_OP_CLEAN           11
#define XEN_DOMCTL_SHADOW_OP_PEEK            12
#define XEN_DOMCTL_SHADOW_OP_GET_ALLOCATION  30
#define XEN_DOMCTL_SHADOW_OP_ENABLE          32
#define XEN_DOMCTL_SHADOW_ENABLE_LOG_DIRTY   (1U << 2)  /* mode of OP_ENABLE: the only one */

struct xen_domctl_shadow_op_stats {
    uint32_t fault_count;
    uint32_t dirty_count;
};

struct xen_domctl_shadow_op {
    uint32_t op;                  /* XEN_DOMCTL_SHADOW_OP_* */
    uint32_t mode;                /* OP_ENABLE: XEN_DOMCTL_SHADOW_ENABLE_* */
    uint32_t mb;                  /* GET_ALLOCATION: shadow memory in MiB (out) */
    uint32_t _pad;
    XEN_GUEST_HANDLE_64(uint8_t) dirty_bitmap; /* CLEAN/PEEK: where the bitmap goes, or 0 */
    uint64_t pages;               /* in: the bitmap's size in bits; out: bits filled */
    struct xen_domctl_shadow_op_stats stats;
};
XEN_ABI_SIZE(struct xen_domctl_shadow_op, 40);
XEN_ABI_OFFSET(struct xen_domctl_shadow_op, dirty_bitmap, 16);

/*
 * set_ext_vcpucontext / get_ext_vcpucontext: what a vCPU's context leaves out, the callbacks
 * for syscall from compat mode and for sysenter (64-bit syscall is in vcpu_guest_context),
 * each with whether entering it masks events. `size`: how much the caller gives (set: at
 * least up to mcg) or got (get). cs is always the flat kernel selector for a 64-bit guest.
 * mcg: virtual machine-check state, which Tern does not keep: 0 on get, ignored on set.
 */
struct xen_domctl_ext_vcpucontext {
    uint32_t vcpu;
    uint32_t size;
    uint64_t syscall32_callback_eip;
    uint64_t sysenter_callback_eip;
    uint16_t syscall32_callback_cs;
    uint16_t sysenter_callback_cs;
    uint8_t syscall32_disables_events;
    uint8_t sysenter_disables_events;
    uint8_t _pad[2];
    uint64_t mcg[4];
};
XEN_ABI_SIZE(struct xen_domctl_ext_vcpucontext, 64);
XEN_ABI_OFFSET(struct xen_domctl_ext_vcpucontext, syscall32_callback_cs, 24);
XEN_ABI_OFFSET(struct xen_domctl_ext_vcpucontext, mcg, 32);

struct xen_domctl {
    uint32_t cmd;                 /* XEN_DOMCTL_* */
    uint32_t interface_version;   /* XEN_DOMCTL_INTERFACE_VERSION */
    domid_t domain;               /* the domain acted on */
    uint16_t _pad[3];
    union {
        struct xen_domctl_createdomain createdomain;
        struct xen_domctl_getdomaininfo getdomaininfo;
        struct xen_domctl_max_mem max_mem;
        struct xen_domctl_max_vcpus max_vcpus;
        struct xen_domctl_vcpucontext vcpucontext;
        struct xen_domctl_getvcpuinfo getvcpuinfo;
        struct xen_domctl_getpageframeinfo3 getpageframeinfo3;
        struct xen_domctl_address_size address_size;
        struct xen_domctl_shadow_op shadow_op;
        struct xen_domctl_copy_frames copy_frames;
        struct xen_domctl_ext_vcpucontext ext_vcpucontext;
        uint8_t pad[128];
    } u;
};
XEN_ABI_SIZE(struct xen_domctl, 144);
XEN_ABI_OFFSET(struct xen_domctl, domain, 8);
XEN_ABI_OFFSET(struct xen_domctl, u, 16);

#define XEN_DOMCTL_createdomain       1
#define XEN_DOMCTL_destroydomain      2  /* NULL; -EINVAL for the caller itself */
#define XEN_DOMCTL_pausedomain        3  /* NULL; returns once no vCPU is on a CPU */
#define XEN_DOMCTL_unpausedomain      4  /* NULL; -EINVAL if not paused */
#define XEN_DOMCTL_getdomaininfo      5
#define XEN_DOMCTL_shadow_op          10
#define XEN_DOMCTL_max_mem            11
#define XEN_DOMCTL_setvcpucontext     12
#define XEN_DOMCTL_getvcpucontext     13 /* the domain paused; frames are machine frames */
#define XEN_DOMCTL_getvcpuinfo        14
#define XEN_DOMCTL_max_vcpus          15
#define XEN_DOMCTL_resumedomain       27 /* NULL; a domain shut down for suspend runs on */
#define XEN_DOMCTL_set_address_size   35
#define XEN_DOMCTL_set_ext_vcpucontext 42 /* the domain paused */
#define XEN_DOMCTL_get_ext_vcpucontext 43
#define XEN_DOMCTL_get_address_size   36
#define XEN_DOMCTL_getpageframeinfo3  61
#define XEN_DOMCTL_copy_frames        0x7e00 /* Tern's own */

#endif
