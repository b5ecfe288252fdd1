/* Virtual CPU operations: __HYPERVISOR_vcpu_op(int cmd, uint vcpuid, void *arg). */
#ifndef __XEN_PUBLIC_VCPU_H__
#define __XEN_PUBLIC_VCPU_H__

#include "xen.h"

/*
 * Commands act on vCPU `vcpuid` of the calling domain. Errors common to all:
 * -ENOENT no such vCPU, -EFAULT bad arg pointer, -EINVAL bad field,
 * -ENOSYS unknown command.
 *  initialise     vcpu_guest_context; set up a vCPU that was never started.
 *                 -EEXIST if already initialised.
 *  up             NULL; start an initialised vCPU. -EINVAL if not initialised.
 *  down           NULL; stop it (it can be brought up again).
 *  is_up          NULL; returns 1 if running, 0 if down.
 *  get_runstate_info  vcpu_runstate_info (OUT).
 *  register_runstate_memory_area  H keeps a vcpu_runstate_info at that VA
 *                 current (re-registering replaces it; VA 0 stops it).
 *  set_periodic_timer / stop_periodic_timer: VIRQ_TIMER every period_ns
 *                 (-EINVAL below 1 ms).
 *  set_singleshot_timer / stop_singleshot_timer: one VIRQ_TIMER at
 *                 timeout_abs_ns; a past deadline fires at once unless
 *                 VCPU_SSHOTTMR_future (then -ETIME).
 *  register_vcpu_info  move this vCPU's vcpu_info to (mfn, offset); once
 *                 per vCPU (-EINVAL again), must not cross a page.
 *  send_nmi       NULL; NMI to the vCPU.
 *  get_physid     vcpu_get_physid (OUT); dom0 only.
 *  register_vcpu_time_memory_area  H keeps a copy of vcpu_time_info there.
 */
#define VCPUOP_initialise                     0
#define VCPUOP_up                             1
#define VCPUOP_down                           2
#define VCPUOP_is_up                          3
#define VCPUOP_get_runstate_info              4
#define VCPUOP_register_runstate_memory_area  5
#define VCPUOP_set_periodic_timer             6
#define VCPUOP_stop_periodic_timer            7
#define VCPUOP_set_singleshot_timer           8
#define VCPUOP_stop_singleshot_timer          9
#define VCPUOP_register_vcpu_info             10
#define VCPUOP_send_nmi                       11
#define VCPUOP_get_physid                     12
#define VCPUOP_register_vcpu_time_memory_area 13
#define VCPUOP_register_runstate_phys_area    14
#define VCPUOP_register_vcpu_time_phys_area   15

/* vcpu_runstate_info.state */
#define RUNSTATE_running  0 /* on a physical CPU */
#define RUNSTATE_runnable 1 /* wants a CPU */
#define RUNSTATE_blocked  2 /* waiting for an event */
#define RUNSTATE_offline  3 /* down, or paused by the toolstack */

#ifndef __ASSEMBLER__

/*
 * Written by H. With VMASST_TYPE_runstate_update_flag, H sets
 * XEN_RUNSTATE_UPDATE in state_entry_time while it rewrites the area.
 */
#define XEN_RUNSTATE_UPDATE (xen_mk_ullong(1) << 63)
struct vcpu_runstate_info {
    int32_t state;             /* RUNSTATE_* */
    uint32_t _pad0;
    uint64_t state_entry_time; /* system time (ns) the state was entered */
    uint64_t time[4];          /* ns spent in each RUNSTATE_* */
};
typedef struct vcpu_runstate_info vcpu_runstate_info_t;
XEN_ABI_SIZE(struct vcpu_runstate_info, 48);
XEN_ABI_OFFSET(struct vcpu_runstate_info, state_entry_time, 8);
XEN_ABI_OFFSET(struct vcpu_runstate_info, time, 16);

struct vcpu_register_runstate_memory_area {
    union {
        XEN_GUEST_HANDLE(vcpu_runstate_info_t) h;
        struct vcpu_runstate_info *v;
        uint64_t p;
    } addr; /* IN: guest VA */
};
typedef struct vcpu_register_runstate_memory_area vcpu_register_runstate_memory_area_t;
XEN_ABI_SIZE(struct vcpu_register_runstate_memory_area, 8);

struct vcpu_set_periodic_timer {
    uint64_t period_ns; /* IN */
};
typedef struct vcpu_set_periodic_timer vcpu_set_periodic_timer_t;
XEN_ABI_SIZE(struct vcpu_set_periodic_timer, 8);

#define _VCPU_SSHOTTMR_future (0)
#define VCPU_SSHOTTMR_future  (1U << _VCPU_SSHOTTMR_future)
struct vcpu_set_singleshot_timer {
    uint64_t timeout_abs_ns; /* IN: system time (ns) */
    uint32_t flags;          /* IN: VCPU_SSHOTTMR_* */
    uint32_t _pad0;
};
typedef struct vcpu_set_singleshot_timer vcpu_set_singleshot_timer_t;
XEN_ABI_SIZE(struct vcpu_set_singleshot_timer, 16);
XEN_ABI_OFFSET(struct vcpu_set_singleshot_timer, flags, 8);

struct vcpu_register_vcpu_info {
    uint64_t mfn;    /* IN: frame that will hold the vcpu_info */
    uint32_t offset; /* IN: byte offset in it; offset + 64 <= 4096 */
    uint32_t rsvd;   /* IN: zero */
};
typedef struct vcpu_register_vcpu_info vcpu_register_vcpu_info_t;
XEN_ABI_SIZE(struct vcpu_register_vcpu_info, 16);
XEN_ABI_OFFSET(struct vcpu_register_vcpu_info, offset, 8);

struct vcpu_get_physid {
    uint64_t phys_id; /* OUT: APIC id (low 32 bits), ACPI id (high 32) */
};
typedef struct vcpu_get_physid vcpu_get_physid_t;
XEN_ABI_SIZE(struct vcpu_get_physid, 8);
#define xen_vcpu_physid_to_x86_apicid(physid) ((uint32_t)(physid))
#define xen_vcpu_physid_to_x86_acpiid(physid) ((uint32_t)((physid) >> 32))

struct vcpu_register_time_memory_area {
    union {
        XEN_GUEST_HANDLE(vcpu_time_info_t) h;
        struct vcpu_time_info *v;
        uint64_t p;
    } addr; /* IN: guest VA */
};
typedef struct vcpu_register_time_memory_area vcpu_register_time_memory_area_t;
XEN_ABI_SIZE(struct vcpu_register_time_memory_area, 8);

#endif /* !__ASSEMBLER__ */

#endif /* __XEN_PUBLIC_VCPU_H__ */
