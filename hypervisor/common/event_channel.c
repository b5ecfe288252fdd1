/*
 * Event channels. Ports live in a per-domain array; one global lock covers
 * every port of every domain, which keeps interdomain binding and teardown simple
 * (no lock ordering) at the cost of contention we do not see yet.
 *
 * 2-level (shared_info's bitmaps) until the domain sets up FIFO events (event_fifo.c).
 * Raising port p for vCPU v, 2-level: set pending[p]; if it was clear and mask[p] is
 * clear, set bit p/64 of v's pending_sel; if that was clear, set upcall_pending and kick v.
 */
#include <tern/bug.h>
#include <tern/domain.h>
#include <tern/errno.h>
#include <tern/event.h>
#include <tern/lib.h>
#include <tern/printk.h>
#include <tern/sched.h>
#include <tern/smp.h>
#include <tern/xmalloc.h>
#include <asm/current.h>
#include <asm/pv_irq.h>
#include <asm/uaccess.h>

static DEFINE_SPINLOCK(evtchn_lock);

#define BITS_PER_WORD 64

static bool test_and_set(uint64_t *words, unsigned int bit)
{
    uint64_t m = 1ull << (bit % BITS_PER_WORD);
    return __atomic_fetch_or(&words[bit / BITS_PER_WORD], m, __ATOMIC_SEQ_CST) & m;
}

static bool test_bit(const uint64_t *words, unsigned int bit)
{
    return __atomic_load_n(&words[bit / BITS_PER_WORD], __ATOMIC_ACQUIRE) & (1ull << (bit % BITS_PER_WORD));
}

static void clear_bit(uint64_t *words, unsigned int bit)
{
    __atomic_fetch_and(&words[bit / BITS_PER_WORD], ~(1ull << (bit % BITS_PER_WORD)), __ATOMIC_SEQ_CST);
}

/* Makes v notice: wakes it if it sleeps, interrupts its CPU if it runs elsewhere. */
static void vcpu_kick(struct vcpu *v)
{
    int cpu = __atomic_load_n(&v->processor, __ATOMIC_ACQUIRE);

    if (__atomic_load_n(&v->state, __ATOMIC_SEQ_CST) == VCPU_BLOCKED)
        sched_vcpu_wake(v);
    else if (cpu >= 0 && (unsigned int)cpu != smp_processor_id())
        smp_send_event_check((unsigned int)cpu);
}

static void mark_upcall(struct vcpu *v, unsigned int port)
{
    struct vcpu_info *vi = v->vcpu_info;

    if (!__atomic_fetch_or(&vi->evtchn_pending_sel, 1ull << (port / BITS_PER_WORD), __ATOMIC_SEQ_CST) ||
        !vi->evtchn_upcall_pending) {
        __atomic_store_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
        vcpu_kick(v);
    }
}

/* Without the lock: a FIFO domain's state may go (EVTCHNOP_reset), so that look takes it. */
static bool port_test(const struct domain *d, unsigned int port, bool pending)
{
    unsigned long flags;
    bool r;

    if (!__atomic_load_n(&d->fifo, __ATOMIC_ACQUIRE))
        return test_bit(pending ? d->shared_info->evtchn_pending : d->shared_info->evtchn_mask, port);
    spin_lock_irqsave(&evtchn_lock, flags);
    if (d->fifo)
        r = pending ? evtchn_fifo_is_pending(d, port) : evtchn_fifo_is_masked(d, port);
    else
        r = test_bit(pending ? d->shared_info->evtchn_pending : d->shared_info->evtchn_mask, port);
    spin_unlock_irqrestore(&evtchn_lock, flags);
    return r;
}

bool evtchn_is_pending(const struct domain *d, unsigned int port)
{
    return port_test(d, port, true);
}

void evtchn_event_frames(struct domain *d, void (*fn)(void *arg, mfn_t mfn), void *arg)
{
    unsigned long flags;

    spin_lock_irqsave(&evtchn_lock, flags);
    evtchn_fifo_each_frame(d, fn, arg);
    spin_unlock_irqrestore(&evtchn_lock, flags);
}

static bool is_masked(const struct domain *d, unsigned int port)
{
    return port_test(d, port, false);
}

/* FIFO: a queue of v's gained its first event. */
void evtchn_upcall(struct vcpu *v)
{
    if (!__atomic_exchange_n(&v->vcpu_info->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST))
        vcpu_kick(v);
}

/* Debug keys: the ports pending now, masked ones marked. */
void evtchn_dump_pending(const struct domain *d)
{
    char buf[96];
    int len = 0;

    if (!d->shared_info || !d->evtchn)
        return;
    for (unsigned int p = 1; p < evtchn_port_limit(d) && len < (int)sizeof(buf) - 8; p++)
        if (evtchn_is_pending(d, p))
            len += snprintf(buf + len, sizeof(buf) - (size_t)len, " %u%s", p, is_masked(d, p) ? "m" : "");
    if (len)
        printk(KERN_ALWAYS "    pending ports (m: masked)%s:%s\n", d->fifo ? ", FIFO" : "", buf);
}

/* SCHEDOP_poll waits on ports that are usually masked: a pending bit alone wakes it. */
void evtchn_wake_pollers(struct domain *d, unsigned int port)
{
    struct vcpu *v;

    for_each_vcpu(d, v) {
        int polled = __atomic_load_n(&v->poll_port, __ATOMIC_SEQ_CST);
        if (polled == POLL_ANY || polled == (int)port)
            sched_vcpu_wake(v);
    }
}

/* Caller holds evtchn_lock. */
static void set_pending(struct domain *d, unsigned int port)
{
    struct shared_info *si = d->shared_info;
    struct vcpu *v = d->vcpus[d->evtchn[port].notify_vcpu];

    if (d->fifo) {
        evtchn_fifo_raise(d, port);
        return;
    }
    if (test_and_set(si->evtchn_pending, port))
        return;
    if (!test_bit(si->evtchn_mask, port) && v)
        mark_upcall(v, port);
    evtchn_wake_pollers(d, port);
}

/* Ports a domain may use now: its table, and no more than 2-level bitmaps hold. */
unsigned int evtchn_port_limit(const struct domain *d)
{
    if (__atomic_load_n(&d->fifo, __ATOMIC_ACQUIRE) || d->max_evtchns < EVTCHN_2L_NR_CHANNELS)
        return d->max_evtchns;
    return EVTCHN_2L_NR_CHANNELS;
}

int evtchn_init_domain(struct domain *d, unsigned int max_ports)
{
    if (max_ports > EVTCHN_FIFO_NR_CHANNELS)
        max_ports = EVTCHN_FIFO_NR_CHANNELS;
    d->evtchn = xzalloc_array(struct evtchn, max_ports);
    if (!d->evtchn)
        return -ENOMEM;
    d->max_evtchns = max_ports;
    /* port 0 is never handed out: guests use it as "none" */
    d->evtchn[0].state = 0xff;
    d->evtchn_free_hint = 1;
    return 0;
}

unsigned int evtchn_ports_in_use(const struct domain *d)
{
    unsigned int n = 0;
    for (unsigned int p = 1; p < d->max_evtchns; p++)
        n += d->evtchn[p].state != EVTCHNSTAT_closed;
    return n;
}

/* Caller holds evtchn_lock. */
static int get_free_port(struct domain *d)
{
    /* every port below the hint is taken: a control domain's thousands stay cheap to add */
    for (unsigned int p = d->evtchn_free_hint; p < evtchn_port_limit(d); p++)
        if (d->evtchn[p].state == EVTCHNSTAT_closed) {
            d->evtchn[p].priority = EVTCHN_FIFO_PRIORITY_DEFAULT;
            d->evtchn_free_hint = p + 1;
            return (int)p;
        }
    return -ENOSPC;
}

static bool port_valid(const struct domain *d, evtchn_port_t port)
{
    return port > 0 && port < evtchn_port_limit(d);
}

/* Caller holds evtchn_lock. */
static void close_port(struct domain *d, evtchn_port_t port)
{
    struct evtchn *c = &d->evtchn[port];

    switch (c->state) {
    case EVTCHNSTAT_interdomain: {
        struct domain *rd = c->u.interdomain.remote_dom;
        if (!rd) {
            d->console_port = 0; /* the hypervisor's console end */
            break;
        }
        struct evtchn *rc = &rd->evtchn[c->u.interdomain.remote_port];
        rc->state = EVTCHNSTAT_unbound; /* the peer may be bound again */
        rc->u.unbound.remote_dom = d->domid;
        break;
    }
    case EVTCHNSTAT_virq: {
        struct vcpu *v = d->vcpus[c->notify_vcpu];
        if (v && c->u.virq < NR_VIRQ_SLOTS)
            v->virq_to_port[c->u.virq] = 0;
        break;
    }
    case EVTCHNSTAT_pirq:
        pirq_unbind(d, c->u.pirq);
        break;
    }
    uint16_t last_vcpu = c->last_vcpu;
    uint8_t last_prio = c->last_prio;
    memset(c, 0, sizeof(*c));
    if (port < d->evtchn_free_hint)
        d->evtchn_free_hint = port;
    c->last_vcpu = last_vcpu; /* FIFO: that queue may still end at this port */
    c->last_prio = last_prio;
    if (d->fifo)
        evtchn_fifo_clear(d, port);
    else
        clear_bit(d->shared_info->evtchn_pending, port);
}

void evtchn_destroy_domain(struct domain *d)
{
    unsigned long flags;

    if (!d->evtchn)
        return;
    spin_lock_irqsave(&evtchn_lock, flags);
    for (unsigned int p = 1; p < d->max_evtchns; p++)
        if (d->evtchn[p].state != EVTCHNSTAT_closed)
            close_port(d, p);
    evtchn_fifo_destroy(d);
    spin_unlock_irqrestore(&evtchn_lock, flags);
    xfree(d->evtchn);
    d->evtchn = NULL;
}

void evtchn_send_pirq(uint16_t domid, evtchn_port_t port, uint32_t pirq)
{
    unsigned long flags;
    struct domain *d;

    spin_lock_irqsave(&evtchn_lock, flags);
    d = domain_by_id(domid);
    if (d && d->evtchn && port_valid(d, port) && d->evtchn[port].state == EVTCHNSTAT_pirq &&
        d->evtchn[port].u.pirq == pirq)
        set_pending(d, port);
    spin_unlock_irqrestore(&evtchn_lock, flags);
}

/* The console port: its other end is the hypervisor's console backend. */
int evtchn_alloc_console(struct domain *d)
{
    unsigned long flags;
    int port;

    spin_lock_irqsave(&evtchn_lock, flags);
    port = get_free_port(d);
    if (port > 0) {
        d->evtchn[port].state = EVTCHNSTAT_interdomain;
        d->evtchn[port].u.interdomain.remote_dom = NULL;
        d->console_port = (unsigned int)port;
    }
    spin_unlock_irqrestore(&evtchn_lock, flags);
    return port;
}

void evtchn_notify_console(struct domain *d)
{
    unsigned long flags;

    spin_lock_irqsave(&evtchn_lock, flags);
    if (d->evtchn && d->console_port)
        set_pending(d, d->console_port);
    spin_unlock_irqrestore(&evtchn_lock, flags);
}

/* By id, for callers that cannot hold a domain: the lookup happens under our lock. */
void evtchn_notify_console_id(uint16_t domid)
{
    unsigned long flags;
    struct domain *d;

    spin_lock_irqsave(&evtchn_lock, flags);
    d = domain_by_id(domid);
    if (d && d->evtchn && d->console_port)
        set_pending(d, d->console_port);
    spin_unlock_irqrestore(&evtchn_lock, flags);
}

void send_global_virq_id(uint16_t domid, unsigned int virq)
{
    unsigned long flags;
    struct domain *d;

    if (virq >= NR_VIRQ_SLOTS)
        return;
    spin_lock_irqsave(&evtchn_lock, flags);
    d = domain_by_id(domid);
    if (d && d->evtchn && d->vcpus[0] && d->vcpus[0]->virq_to_port[virq])
        set_pending(d, d->vcpus[0]->virq_to_port[virq]);
    spin_unlock_irqrestore(&evtchn_lock, flags);
}

/* Waits out anyone who found d under the event lock before it was unlinked. */
void evtchn_quiesce(void)
{
    unsigned long flags;

    spin_lock_irqsave(&evtchn_lock, flags);
    spin_unlock_irqrestore(&evtchn_lock, flags);
}

void send_guest_vcpu_virq(struct vcpu *v, unsigned int virq)
{
    struct domain *d = v->domain;
    unsigned long flags;

    if (virq >= NR_VIRQ_SLOTS)
        return;
    spin_lock_irqsave(&evtchn_lock, flags);
    if (d->evtchn && v->virq_to_port[virq])
        set_pending(d, v->virq_to_port[virq]);
    spin_unlock_irqrestore(&evtchn_lock, flags);
}

static bool virq_is_per_vcpu(uint32_t virq)
{
    return virq == VIRQ_TIMER || virq == VIRQ_DEBUG || virq == VIRQ_XENOPROF || virq == VIRQ_XENPMU;
}

static struct domain *target_domain(domid_t dom)
{
    struct domain *cd = current->domain;

    if (dom == DOMID_SELF || dom == cd->domid)
        return cd;
    return cd->is_privileged ? domain_by_id(dom) : NULL;
}

/* Caller holds evtchn_lock. Every port closed, and 2-level events again (no stale bits). */
static void reset_ports(struct domain *d)
{
    for (unsigned int p = 1; p < d->max_evtchns; p++)
        if (d->evtchn[p].state != EVTCHNSTAT_closed)
            close_port(d, p);
    if (d->fifo) {
        evtchn_fifo_destroy(d);
        memset(d->shared_info->evtchn_pending, 0, sizeof(d->shared_info->evtchn_pending));
    }
}

static long evtchn_op_locked(struct domain *d, unsigned long cmd, void *a)
{
    int port;

    switch (cmd) {
    case EVTCHNOP_alloc_unbound: {
        struct evtchn_alloc_unbound *op = a;
        struct domain *td = target_domain(op->dom);
        if (!td)
            return -EPERM;
        if ((port = get_free_port(td)) < 0)
            return port;
        td->evtchn[port].state = EVTCHNSTAT_unbound;
        td->evtchn[port].u.unbound.remote_dom = op->remote_dom == DOMID_SELF ? d->domid : op->remote_dom;
        op->port = (evtchn_port_t)port;
        return 0;
    }
    case EVTCHNOP_bind_interdomain: {
        struct evtchn_bind_interdomain *op = a;
        struct domain *rd = op->remote_dom == DOMID_SELF ? d : domain_by_id(op->remote_dom);
        struct evtchn *rc;
        if (!rd)
            return -ESRCH;
        if (!port_valid(rd, op->remote_port))
            return -EINVAL;
        rc = &rd->evtchn[op->remote_port];
        if (rc->state != EVTCHNSTAT_unbound || rc->u.unbound.remote_dom != d->domid)
            return -EINVAL;
        if ((port = get_free_port(d)) < 0)
            return port;
        d->evtchn[port].state = EVTCHNSTAT_interdomain;
        d->evtchn[port].u.interdomain.remote_dom = rd;
        d->evtchn[port].u.interdomain.remote_port = op->remote_port;
        rc->state = EVTCHNSTAT_interdomain;
        rc->u.interdomain.remote_dom = d;
        rc->u.interdomain.remote_port = (evtchn_port_t)port;
        op->local_port = (evtchn_port_t)port;
        set_pending(d, (unsigned int)port); /* both ends see the connection, as on Xen */
        return 0;
    }
    case EVTCHNOP_bind_virq: {
        struct evtchn_bind_virq *op = a;
        struct vcpu *v;
        if (op->virq >= NR_VIRQ_SLOTS || op->vcpu >= d->max_vcpus || !(v = d->vcpus[op->vcpu]))
            return -EINVAL;
        if (!virq_is_per_vcpu(op->virq) && op->vcpu != 0)
            return -EINVAL;
        if (v->virq_to_port[op->virq])
            return -EEXIST;
        if ((port = get_free_port(d)) < 0)
            return port;
        d->evtchn[port].state = EVTCHNSTAT_virq;
        d->evtchn[port].notify_vcpu = (uint16_t)op->vcpu;
        d->evtchn[port].u.virq = op->virq;
        v->virq_to_port[op->virq] = (uint32_t)port;
        op->port = (evtchn_port_t)port;
        return 0;
    }
    case EVTCHNOP_bind_pirq: {
        struct evtchn_bind_pirq *op = a;
        int rc;
        if (!d->is_privileged)
            return -EPERM;
        if ((port = get_free_port(d)) < 0)
            return port;
        if ((rc = pirq_bind(d, op->pirq, (evtchn_port_t)port)))
            return rc;
        d->evtchn[port].state = EVTCHNSTAT_pirq;
        d->evtchn[port].notify_vcpu = 0;
        d->evtchn[port].u.pirq = op->pirq;
        op->port = (evtchn_port_t)port;
        return 0;
    }
    case EVTCHNOP_bind_ipi: {
        struct evtchn_bind_ipi *op = a;
        if (op->vcpu >= d->max_vcpus || !d->vcpus[op->vcpu])
            return -ENOENT;
        if ((port = get_free_port(d)) < 0)
            return port;
        d->evtchn[port].state = EVTCHNSTAT_ipi;
        d->evtchn[port].notify_vcpu = (uint16_t)op->vcpu;
        op->port = (evtchn_port_t)port;
        return 0;
    }
    case EVTCHNOP_close: {
        struct evtchn_close *op = a;
        if (!port_valid(d, op->port))
            return -EINVAL;
        close_port(d, op->port);
        return 0;
    }
    case EVTCHNOP_send: {
        struct evtchn_send *op = a;
        struct evtchn *c;
        if (!port_valid(d, op->port))
            return -EINVAL;
        c = &d->evtchn[op->port];
        switch (c->state) {
        case EVTCHNSTAT_interdomain:
            if (!c->u.interdomain.remote_dom) {
                d->console_kick = true; /* drained once the lock is dropped */
                return 0;
            }
            set_pending(c->u.interdomain.remote_dom, c->u.interdomain.remote_port);
            return 0;
        case EVTCHNSTAT_ipi:
            set_pending(d, op->port);
            return 0;
        case EVTCHNSTAT_unbound:
            return 0; /* nobody listens yet: dropped, as on Xen */
        default:
            return -EINVAL;
        }
    }
    case EVTCHNOP_status: {
        struct evtchn_status *op = a;
        struct domain *td = target_domain(op->dom);
        struct evtchn *c;
        if (!td)
            return -ESRCH;
        if (op->port >= evtchn_port_limit(td))
            return -EINVAL;
        c = &td->evtchn[op->port];
        memset(&op->u, 0, sizeof(op->u));
        op->status = op->port ? c->state : EVTCHNSTAT_closed;
        op->vcpu = c->notify_vcpu;
        if (c->state == EVTCHNSTAT_unbound)
            op->u.unbound.dom = c->u.unbound.remote_dom;
        else if (c->state == EVTCHNSTAT_interdomain) {
            op->u.interdomain.dom = c->u.interdomain.remote_dom ? c->u.interdomain.remote_dom->domid
                                                                 : DOMID_XEN;
            op->u.interdomain.port = c->u.interdomain.remote_port;
        } else if (c->state == EVTCHNSTAT_virq)
            op->u.virq = c->u.virq;
        else if (c->state == EVTCHNSTAT_pirq)
            op->u.pirq = c->u.pirq;
        return 0;
    }
    case EVTCHNOP_bind_vcpu: {
        struct evtchn_bind_vcpu *op = a;
        if (!port_valid(d, op->port) || op->vcpu >= d->max_vcpus || !d->vcpus[op->vcpu])
            return -EINVAL;
        switch (d->evtchn[op->port].state) {
        case EVTCHNSTAT_unbound:
        case EVTCHNSTAT_interdomain:
        case EVTCHNSTAT_pirq:
            d->evtchn[op->port].notify_vcpu = (uint16_t)op->vcpu;
            return 0;
        case EVTCHNSTAT_virq:
            if (virq_is_per_vcpu(d->evtchn[op->port].u.virq))
                return -EINVAL;
            d->evtchn[op->port].notify_vcpu = (uint16_t)op->vcpu;
            return 0;
        default:
            return -EINVAL;
        }
    }
    case EVTCHNOP_unmask: {
        struct evtchn_unmask *op = a;
        struct shared_info *si = d->shared_info;
        struct vcpu *v;
        if (!port_valid(d, op->port))
            return -EINVAL;
        if (d->fifo) {
            evtchn_fifo_unmask(d, op->port);
            return 0;
        }
        clear_bit(si->evtchn_mask, op->port);
        v = d->vcpus[d->evtchn[op->port].notify_vcpu];
        if (test_bit(si->evtchn_pending, op->port) && v)
            mark_upcall(v, op->port);
        return 0;
    }
    case EVTCHNOP_reset: {
        struct evtchn_reset *op = a;
        struct domain *td = target_domain(op->dom);
        if (!td)
            return -ESRCH;
        if (td != d && !__atomic_load_n(&td->pause_count, __ATOMIC_ACQUIRE))
            return -EINVAL; /* another domain's ports only while it is paused, as on Xen */
        reset_ports(td);
        return 0;
    }
    case EVTCHNOP_init_control:
    case EVTCHNOP_expand_array:
    case EVTCHNOP_set_priority:
        return evtchn_fifo_op(d, cmd, a);
    default:
        return -ENOSYS;
    }
}

static size_t op_size(unsigned long cmd)
{
    switch (cmd) {
    case EVTCHNOP_alloc_unbound: return sizeof(struct evtchn_alloc_unbound);
    case EVTCHNOP_bind_interdomain: return sizeof(struct evtchn_bind_interdomain);
    case EVTCHNOP_bind_virq: return sizeof(struct evtchn_bind_virq);
    case EVTCHNOP_bind_ipi: return sizeof(struct evtchn_bind_ipi);
    case EVTCHNOP_close: return sizeof(struct evtchn_close);
    case EVTCHNOP_send: return sizeof(struct evtchn_send);
    case EVTCHNOP_status: return sizeof(struct evtchn_status);
    case EVTCHNOP_bind_pirq: return sizeof(struct evtchn_bind_pirq);
    case EVTCHNOP_bind_vcpu: return sizeof(struct evtchn_bind_vcpu);
    case EVTCHNOP_unmask: return sizeof(struct evtchn_unmask);
    case EVTCHNOP_reset: return sizeof(struct evtchn_reset);
    case EVTCHNOP_init_control: return sizeof(struct evtchn_init_control);
    case EVTCHNOP_expand_array: return sizeof(struct evtchn_expand_array);
    case EVTCHNOP_set_priority: return sizeof(struct evtchn_set_priority);
    default: return 0;
    }
}

long do_event_channel_op(unsigned long cmd, uint64_t arg)
{
    struct domain *d = current->domain;
    union {
        struct evtchn_status status;
        struct evtchn_bind_interdomain bi;
        uint8_t raw[32];
    } op;
    size_t size = op_size(cmd);
    unsigned long flags;
    long rc;

    if (!size)
        return -ENOSYS;
    if (copy_from_guest(&op, arg, size))
        return -EFAULT;
    spin_lock_irqsave(&evtchn_lock, flags);
    rc = d->evtchn ? evtchn_op_locked(d, cmd, &op) : -ENODEV;
    spin_unlock_irqrestore(&evtchn_lock, flags);
    if (__atomic_exchange_n(&d->console_kick, false, __ATOMIC_ACQ_REL))
        console_ring_drain(d);
    if (!rc && copy_to_guest(arg, &op, size))
        return -EFAULT;
    return rc;
}
