/* Scheduler operations: __HYPERVISOR_sched_op(int cmd, void *arg). */
#ifndef __XEN_PUBLIC_SCHED_H__
#define __XEN_PUBLIC_SCHED_H__

#include "event_channel.h"

/*
 * Commands (arg type; result):
 *  yield           NULL; 0. Give up the CPU, stay runnable.
 *  block           NULL; 0. Clear evtchn_upcall_mask and sleep until an
 *                  event is pending (returns at once if one already is).
 *  shutdown        sched_shutdown; does not return for poweroff, reboot,
 *                  crash, watchdog; returns 0 after resume for suspend.
 *                  -EINVAL for an unknown reason.
 *  poll            sched_poll; 0 when one of the ports is pending or the
 *                  timeout (absolute system time, 0 = none) passed.
 *                  -EINVAL bad port or too many ports, -EFAULT.
 *  remote_shutdown sched_remote_shutdown; privileged (-EPERM).
 *  shutdown_code   sched_shutdown; records the reason to report for a
 *                  later shutdown (suspend-cancel protocol).
 *  watchdog        sched_watchdog; id 0 creates (returns the id), timeout 0
 *                  destroys, else re-arms. -EINVAL, -ENOSPC.
 *  pin_override    sched_pin_override; dom0 only (-EPERM).
 * Unknown commands: -ENOSYS.
 */
#define SCHEDOP_yield           0
#define SCHEDOP_block           1
#define SCHEDOP_shutdown        2
#define SCHEDOP_poll            3
#define SCHEDOP_remote_shutdown 4
#define SCHEDOP_shutdown_code   5
#define SCHEDOP_watchdog        6
#define SCHEDOP_pin_override    7

/* Shutdown reasons, as the toolstack sees them. */
#define SHUTDOWN_poweroff   0 /* clean exit: destroy the domain */
#define SHUTDOWN_reboot     1 /* destroy, then restart it */
#define SHUTDOWN_suspend    2 /* save it (migration, snapshot) */
#define SHUTDOWN_crash      3 /* the guest crashed (or was crashed) */
#define SHUTDOWN_watchdog   4 /* its watchdog expired */
#define SHUTDOWN_soft_reset 5 /* reset without destroying (kexec) */
#define SHUTDOWN_MAX        5

#ifndef __ASSEMBLER__

struct sched_shutdown {
    uint32_t reason; /* IN: SHUTDOWN_* */
};
typedef struct sched_shutdown sched_shutdown_t;
XEN_ABI_SIZE(struct sched_shutdown, 4);

struct sched_poll {
    XEN_GUEST_HANDLE(evtchn_port_t) ports; /* IN: array of local ports */
    uint32_t nr_ports;                     /* IN */
    uint32_t _pad0;
    uint64_t timeout;                      /* IN: absolute system time (ns), 0 = none */
};
typedef struct sched_poll sched_poll_t;
XEN_ABI_SIZE(struct sched_poll, 24);
XEN_ABI_OFFSET(struct sched_poll, nr_ports, 8);
XEN_ABI_OFFSET(struct sched_poll, timeout, 16);

struct sched_remote_shutdown {
    domid_t domain_id; /* IN */
    uint16_t _pad0;
    uint32_t reason;   /* IN: SHUTDOWN_* */
};
typedef struct sched_remote_shutdown sched_remote_shutdown_t;
XEN_ABI_SIZE(struct sched_remote_shutdown, 8);
XEN_ABI_OFFSET(struct sched_remote_shutdown, reason, 4);

struct sched_watchdog {
    uint32_t id;      /* IN: 0 = new */
    uint32_t timeout; /* IN: seconds, 0 = destroy */
};
typedef struct sched_watchdog sched_watchdog_t;
XEN_ABI_SIZE(struct sched_watchdog, 8);

struct sched_pin_override {
    int32_t pcpu; /* IN: physical CPU, or -1 to undo */
};
typedef struct sched_pin_override sched_pin_override_t;
XEN_ABI_SIZE(struct sched_pin_override, 4);

#endif /* !__ASSEMBLER__ */

#endif /* __XEN_PUBLIC_SCHED_H__ */
