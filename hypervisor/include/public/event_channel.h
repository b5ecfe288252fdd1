/* Event channels: __HYPERVISOR_event_channel_op(int cmd, void *arg) and its structs. */
#ifndef __XEN_PUBLIC_EVENT_CHANNEL_H__
#define __XEN_PUBLIC_EVENT_CHANNEL_H__

#include "xen.h"

/*
 * A port is a per-domain index into shared_info.evtchn_pending/mask (2-level
 * ABI: 4096 ports on x86-64). Every command takes a pointer to its struct
 * (IN fields read, OUT fields written on success) and returns 0 or:
 *  -EFAULT  the struct is unreadable/unwritable
 *  -EINVAL  bad port, vCPU, VIRQ or state for this command
 *  -ESRCH   unknown domain
 *  -EPERM   a domain other than DOMID_SELF without privilege
 *  -ENOSPC  no free port (alloc/bind)
 *  -EEXIST  VIRQ already bound on that vCPU
 *  -ENOENT  vCPU does not exist
 *  -ENOSYS  unknown command
 *
 * FIFO ABI (init_control, expand_array, set_priority): instead of the bitmaps in
 * shared_info, each port has a 32-bit event word in guest pages the guest hands over
 * (1024 words a page); a raised port is appended to one of 16 per-vCPU queues (0 the
 * most urgent) whose heads are in a control block, also guest memory. The domain
 * changes over at its first init_control; ports bound before keep their pending state.
 */
#define EVTCHNOP_bind_interdomain 0
#define EVTCHNOP_bind_virq        1
#define EVTCHNOP_bind_pirq        2
#define EVTCHNOP_close            3
#define EVTCHNOP_send             4
#define EVTCHNOP_status           5
#define EVTCHNOP_alloc_unbound    6
#define EVTCHNOP_bind_ipi         7
#define EVTCHNOP_bind_vcpu        8
#define EVTCHNOP_unmask           9
#define EVTCHNOP_reset            10
#define EVTCHNOP_init_control     11
#define EVTCHNOP_expand_array     12
#define EVTCHNOP_set_priority     13

#ifndef __ASSEMBLER__

typedef uint32_t evtchn_port_t;

#define EVTCHN_2L_NR_CHANNELS (sizeof(xen_ulong_t) * sizeof(xen_ulong_t) * 64)

/*
 * alloc_unbound: make a port in `dom` that `remote_dom` may later connect to
 * with bind_interdomain. remote_dom may be DOMID_SELF. OUT: port (in dom).
 */
struct evtchn_alloc_unbound {
    domid_t dom, remote_dom; /* IN */
    evtchn_port_t port;      /* OUT */
};
typedef struct evtchn_alloc_unbound evtchn_alloc_unbound_t;
XEN_ABI_SIZE(struct evtchn_alloc_unbound, 8);
XEN_ABI_OFFSET(struct evtchn_alloc_unbound, port, 4);

/*
 * bind_interdomain: connect a new local port to remote_port of remote_dom,
 * which must be unbound and allocated for this domain. OUT: local_port.
 */
struct evtchn_bind_interdomain {
    domid_t remote_dom;        /* IN */
    uint16_t _pad0;
    evtchn_port_t remote_port; /* IN */
    evtchn_port_t local_port;  /* OUT */
};
typedef struct evtchn_bind_interdomain evtchn_bind_interdomain_t;
XEN_ABI_SIZE(struct evtchn_bind_interdomain, 12);
XEN_ABI_OFFSET(struct evtchn_bind_interdomain, remote_port, 4);

/* bind_virq: bind VIRQ `virq` on vCPU `vcpu` to a new port. OUT: port. */
struct evtchn_bind_virq {
    uint32_t virq;      /* IN: VIRQ_* */
    uint32_t vcpu;      /* IN */
    evtchn_port_t port; /* OUT */
};
typedef struct evtchn_bind_virq evtchn_bind_virq_t;
XEN_ABI_SIZE(struct evtchn_bind_virq, 12);

/* bind_pirq: bind a physical IRQ (privileged domains). OUT: port. */
#define BIND_PIRQ__WILL_SHARE 1
struct evtchn_bind_pirq {
    uint32_t pirq;      /* IN */
    uint32_t flags;     /* IN: BIND_PIRQ__* */
    evtchn_port_t port; /* OUT */
};
typedef struct evtchn_bind_pirq evtchn_bind_pirq_t;
XEN_ABI_SIZE(struct evtchn_bind_pirq, 12);

/* bind_ipi: a port that, when sent, notifies `vcpu` of this domain. OUT: port. */
struct evtchn_bind_ipi {
    uint32_t vcpu;      /* IN */
    evtchn_port_t port; /* OUT */
};
typedef struct evtchn_bind_ipi evtchn_bind_ipi_t;
XEN_ABI_SIZE(struct evtchn_bind_ipi, 8);

/* close: free a local port; an interdomain peer becomes unbound. */
struct evtchn_close {
    evtchn_port_t port; /* IN */
};
typedef struct evtchn_close evtchn_close_t;
XEN_ABI_SIZE(struct evtchn_close, 4);

/* send: raise the event at the other end (peer, IPI target). */
struct evtchn_send {
    evtchn_port_t port; /* IN */
};
typedef struct evtchn_send evtchn_send_t;
XEN_ABI_SIZE(struct evtchn_send, 4);

/* status: describe port `port` of domain `dom`. */
#define EVTCHNSTAT_closed      0 /* not in use */
#define EVTCHNSTAT_unbound     1 /* waiting for an interdomain peer */
#define EVTCHNSTAT_interdomain 2 /* connected to another domain's port */
#define EVTCHNSTAT_pirq        3 /* bound to a physical IRQ */
#define EVTCHNSTAT_virq        4 /* bound to a VIRQ */
#define EVTCHNSTAT_ipi         5 /* bound as an IPI */
struct evtchn_status {
    domid_t dom;        /* IN */
    uint16_t _pad0;
    evtchn_port_t port; /* IN */
    uint32_t status;    /* OUT: EVTCHNSTAT_* */
    uint32_t vcpu;      /* OUT: vCPU notified */
    union {
        struct {
            domid_t dom;
        } unbound;      /* OUT: who may connect */
        struct {
            domid_t dom;
            uint16_t _pad0;
            evtchn_port_t port;
        } interdomain;  /* OUT: the peer */
        uint32_t pirq;  /* OUT */
        uint32_t virq;  /* OUT */
    } u;
};
typedef struct evtchn_status evtchn_status_t;
XEN_ABI_SIZE(struct evtchn_status, 24);
XEN_ABI_OFFSET(struct evtchn_status, status, 8);
XEN_ABI_OFFSET(struct evtchn_status, u, 16);

/* bind_vcpu: deliver `port` to `vcpu` from now on (not for VIRQ/IPI ports). */
struct evtchn_bind_vcpu {
    evtchn_port_t port; /* IN */
    uint32_t vcpu;      /* IN */
};
typedef struct evtchn_bind_vcpu evtchn_bind_vcpu_t;
XEN_ABI_SIZE(struct evtchn_bind_vcpu, 8);

/* unmask: clear the mask bit and, if pending, raise the upcall it missed. */
struct evtchn_unmask {
    evtchn_port_t port; /* IN */
};
typedef struct evtchn_unmask evtchn_unmask_t;
XEN_ABI_SIZE(struct evtchn_unmask, 4);

/* reset: close every port of `dom` (DOMID_SELF, or with privilege a domain it has paused:
 * -EINVAL if running) and take it back to 2-level events. */
struct evtchn_reset {
    domid_t dom; /* IN */
};
typedef struct evtchn_reset evtchn_reset_t;
XEN_ABI_SIZE(struct evtchn_reset, 2);

/* FIFO ABI. init_control: vCPU `vcpu`'s control block is at `offset` (8-aligned, the
 * block within the page) in guest frame `control_gfn`; -ENOENT no such vCPU, -EINVAL bad
 * offset, frame or a second block for the vCPU. */
struct evtchn_init_control {
    uint64_t control_gfn; /* IN */
    uint32_t offset;      /* IN */
    uint32_t vcpu;        /* IN */
    uint8_t link_bits;    /* OUT */
    uint8_t _pad[7];
};
typedef struct evtchn_init_control evtchn_init_control_t;
XEN_ABI_SIZE(struct evtchn_init_control, 24);
XEN_ABI_OFFSET(struct evtchn_init_control, link_bits, 16);

/* expand_array: one more page of event words, for the next 1024 ports; -ENOSPC when the
 * array covers every port the domain may have, -EOPNOTSUPP before init_control. */
struct evtchn_expand_array {
    uint64_t array_gfn; /* IN */
};
typedef struct evtchn_expand_array evtchn_expand_array_t;
XEN_ABI_SIZE(struct evtchn_expand_array, 8);

/* set_priority: the queue (0..15) the port's next events go to; -EINVAL above 15. */
struct evtchn_set_priority {
    evtchn_port_t port; /* IN */
    uint32_t priority;  /* IN */
};
typedef struct evtchn_set_priority evtchn_set_priority_t;
XEN_ABI_SIZE(struct evtchn_set_priority, 8);

/* Argument of the old event_channel_op_compat: the command travels inside. */
struct evtchn_op {
    uint32_t cmd; /* EVTCHNOP_* */
    union {
        evtchn_alloc_unbound_t alloc_unbound;
        evtchn_bind_interdomain_t bind_interdomain;
        evtchn_bind_virq_t bind_virq;
        evtchn_bind_pirq_t bind_pirq;
        evtchn_bind_ipi_t bind_ipi;
        evtchn_close_t close;
        evtchn_send_t send;
        evtchn_status_t status;
        evtchn_bind_vcpu_t bind_vcpu;
        evtchn_unmask_t unmask;
    } u;
};
typedef struct evtchn_op evtchn_op_t;
XEN_ABI_SIZE(struct evtchn_op, 28);
XEN_ABI_OFFSET(struct evtchn_op, u, 4);

#endif /* !__ASSEMBLER__ */

#define EVTCHN_FIFO_PRIORITY_MAX     0
#define EVTCHN_FIFO_PRIORITY_DEFAULT 7
#define EVTCHN_FIFO_PRIORITY_MIN     15
#define EVTCHN_FIFO_MAX_QUEUES       16

/* An event word: flag bits at the top, the next port of its queue (LINK) at the bottom. */
typedef uint32_t event_word_t;
#define EVTCHN_FIFO_PENDING   31 /* raised; the guest clears it */
#define EVTCHN_FIFO_MASKED    30 /* the guest sets and clears it */
#define EVTCHN_FIFO_LINKED    29 /* on a queue; the guest clears it as it takes the port off */
#define EVTCHN_FIFO_BUSY      28 /* the hypervisor is writing LINK: the guest leaves MASKED */
#define EVTCHN_FIFO_LINK_BITS 17
#define EVTCHN_FIFO_LINK_MASK ((1u << EVTCHN_FIFO_LINK_BITS) - 1)
#define EVTCHN_FIFO_NR_CHANNELS (1u << EVTCHN_FIFO_LINK_BITS)
#define EVTCHN_FIFO_WORDS_PER_PAGE 1024

/* ready: bit q set when queue q gained a first event; head[q]: the port the guest takes
 * next from queue q when it has run off the end of what it had. */
struct evtchn_fifo_control_block {
    uint32_t ready;
    uint32_t _rsvd;
    uint32_t head[EVTCHN_FIFO_MAX_QUEUES];
};
typedef struct evtchn_fifo_control_block evtchn_fifo_control_block_t;
XEN_ABI_SIZE(struct evtchn_fifo_control_block, 72);

#endif /* __XEN_PUBLIC_EVENT_CHANNEL_H__ */
