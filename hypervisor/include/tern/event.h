/* Event channels: 2-level, and FIFO once a domain asks for it. */
#ifndef TERN_EVENT_H
#define TERN_EVENT_H

#include <tern/types.h>
#include <public/xen.h>
#include <public/event_channel.h>

#define DEFAULT_MAX_EVTCHNS 1024
#define CONTROL_MAX_EVTCHNS 32768 /* the control domain's: 4096 of them while it is 2-level */
#define NR_VIRQ_SLOTS 24

struct domain;
struct vcpu;

struct evtchn {
    uint8_t state;           /* EVTCHNSTAT_* */
    uint8_t fifo_late;       /* FIFO: raised before its event word's page was given */
    uint16_t notify_vcpu;
    uint8_t priority;        /* FIFO: the queue its next events join */
    uint8_t last_prio;       /* FIFO: the queue (vCPU, priority) it was last linked on; */
    uint16_t last_vcpu;      /*       kept when the port closes, as that queue may end at it */
    union {
        struct { domid_t remote_dom; } unbound;
        struct { struct domain *remote_dom; evtchn_port_t remote_port; } interdomain;
        uint32_t virq;
        uint32_t pirq;
    } u;
};

int evtchn_init_domain(struct domain *d, unsigned int max_ports);
void evtchn_destroy_domain(struct domain *d);
long do_event_channel_op(unsigned long cmd, uint64_t arg);
/* Raises a VIRQ bound on v (per-vCPU VIRQs) or on vCPU 0 (global ones). */
void send_guest_vcpu_virq(struct vcpu *v, unsigned int virq);
/* Raises a global VIRQ of domain domid, if it still exists and bound it. */
void send_global_virq_id(uint16_t domid, unsigned int virq);
unsigned int evtchn_ports_in_use(const struct domain *d);
unsigned int evtchn_port_limit(const struct domain *d);
/* A physical interrupt for domid's port bound to pirq (interrupt context; checks the binding). */
void evtchn_send_pirq(uint16_t domid, evtchn_port_t port, uint32_t pirq);
/* The port's pending bit in shared_info, masked or not. */
bool evtchn_is_pending(const struct domain *d, unsigned int port);
void evtchn_dump_pending(const struct domain *d);
/*
 * FIFO event channels (common/event_fifo.c), for event_channel.c: the caller holds the
 * event lock. d->fifo is set once, at the first init_control, and stays until teardown.
 */
long evtchn_fifo_op(struct domain *d, unsigned long cmd, void *arg);
void evtchn_fifo_raise(struct domain *d, unsigned int port);
void evtchn_fifo_clear(struct domain *d, unsigned int port);
void evtchn_fifo_unmask(struct domain *d, unsigned int port);
void evtchn_fifo_destroy(struct domain *d);
/* Under the lock too (EVTCHNOP_reset frees the FIFO state): */
bool evtchn_fifo_is_pending(const struct domain *d, unsigned int port);
bool evtchn_fifo_is_masked(const struct domain *d, unsigned int port);
void evtchn_fifo_each_frame(struct domain *d, void (*fn)(void *arg, mfn_t mfn), void *arg);
/* The guest frames the hypervisor writes events into, for log-dirty (takes the lock). */
void evtchn_event_frames(struct domain *d, void (*fn)(void *arg, mfn_t mfn), void *arg);
/* event_channel.c, for event_fifo.c */
void evtchn_upcall(struct vcpu *v);
void evtchn_wake_pollers(struct domain *d, unsigned int port);

/* The console port, bound to the hypervisor's console backend; and its notification. */
int evtchn_alloc_console(struct domain *d);
void evtchn_notify_console(struct domain *d);
void evtchn_notify_console_id(uint16_t domid);
void evtchn_quiesce(void);
/* console_ring.c */
void console_ring_drain(struct domain *d);
void console_serial_input(int c);
/* The control domain's console input (CONSOLEIO_read): up to n bytes, the count read. */
size_t console_read_input(char *buf, size_t n);
/* Gives serial input to domid (dom0 takes it from the start). */
void console_set_focus(uint16_t domid);

#endif
