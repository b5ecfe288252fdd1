/*
 * Physical interrupts of the hardware domain as event channels (PIRQs), the Xen way:
 * PHYSDEVOP_map_pirq makes a GSI (an I/O APIC input the hypervisor does not use) a PIRQ of
 * the domain, PHYSDEVOP_setup_gsi says how it signals, EVTCHNOP_bind_pirq gives it a port
 * and unmasks it. A level-triggered interrupt is masked at the I/O APIC when it fires and
 * unmasked by the domain's PHYSDEVOP_eoi, once its driver has quieted the device; an edge
 * one just raises the port. PIRQ numbers are the GSIs themselves (as Linux asks for them).
 * Only GSIs: MSI and MSI-X are refused, and Linux's drivers fall back to INTx.
 */
#include <tern/acpi.h>
#include <tern/domain.h>
#include <tern/errno.h>
#include <tern/event.h>
#include <tern/ioapic.h>
#include <tern/irq.h>
#include <tern/printk.h>
#include <tern/smp.h>
#include <tern/spinlock.h>
#include <asm/current.h>
#include <asm/uaccess.h>
#include <public/physdev.h>

#include <asm/pv_irq.h>

#define GSI_VECTOR(gsi) (0x50 + (gsi)) /* 0x50-0x8f, clear of the ISA and system vectors */

struct pirq {
    uint16_t owner;       /* DOMID_INVALID: not mapped */
    evtchn_port_t port;   /* bound event channel, 0 for none */
    bool level, active_low;
    bool in_service;      /* level: fired, masked until the owner's EOI */
};

static struct pirq pirqs[MAX_GSIS];
static DEFINE_SPINLOCK(pirq_lock);

static void pirq_interrupt(struct cpu_user_regs *regs)
{
    uint32_t gsi = regs->entry_vector - GSI_VECTOR(0);
    struct pirq *p = &pirqs[gsi];
    unsigned long flags;
    uint16_t owner;
    evtchn_port_t port;

    spin_lock_irqsave(&pirq_lock, flags);
    owner = p->owner;
    port = p->port;
    if (p->level || !port) {
        ioapic_mask_gsi(gsi, true); /* quiet until its driver has dealt with the device */
        p->in_service = port != 0;
    }
    spin_unlock_irqrestore(&pirq_lock, flags);
    if (port)
        evtchn_send_pirq(owner, port, gsi);
}

void pirq_init(void)
{
    ioapic_reserve_gsi(acpi_info.isa_gsi[0]); /* the PIT: its ports are the hypervisor's too */
    ioapic_reserve_gsi(acpi_info.isa_gsi[2]); /* the PIC cascade */
    for (unsigned int g = 0; g < MAX_GSIS; g++) {
        pirqs[g].owner = DOMID_INVALID;
        set_irq_handler(GSI_VECTOR(g), pirq_interrupt);
    }
}

static struct pirq *owned(struct domain *d, uint32_t pirq)
{
    return pirq < MAX_GSIS && pirqs[pirq].owner == d->domid ? &pirqs[pirq] : NULL;
}

/* Caller holds pirq_lock: re-routes the GSI as p says, masked unless bound and not in service. */
static int route(uint32_t gsi, struct pirq *p)
{
    int rc = ioapic_route_gsi(gsi, GSI_VECTOR(gsi), cpu_apic_id[0], p->level, p->active_low);

    if (!rc && p->port && !p->in_service)
        ioapic_mask_gsi(gsi, false);
    return rc;
}

/* Caller holds pirq_lock; the GSI is free and available. ISA interrupts are edge and active
 * high, PCI ones level and active low, until setup_gsi says otherwise. */
static int take(struct domain *d, uint32_t gsi)
{
    struct pirq *p = &pirqs[gsi];
    int rc;

    p->owner = d->domid;
    p->level = p->active_low = gsi >= 16;
    p->port = 0;
    p->in_service = false;
    rc = route(gsi, p);
    if (rc)
        p->owner = DOMID_INVALID;
    return rc;
}

static long map_pirq(struct domain *d, struct physdev_map_pirq *op)
{
    unsigned long flags;
    uint32_t gsi = (uint32_t)op->index;
    long rc = 0;

    if (op->domid != DOMID_SELF && op->domid != d->domid)
        return -EPERM; /* no pass-through to other domains */
    if (op->type != MAP_PIRQ_TYPE_GSI)
        return -EOPNOTSUPP; /* MSI: the driver falls back to INTx */
    if (op->index < 0 || !ioapic_gsi_available(gsi) || (op->pirq >= 0 && (uint32_t)op->pirq != gsi))
        return -EINVAL;
    spin_lock_irqsave(&pirq_lock, flags);
    struct pirq *p = &pirqs[gsi];
    if (p->owner == DOMID_INVALID) {
        rc = take(d, gsi);
    } else if (p->owner != d->domid) {
        rc = -EBUSY;
    }
    spin_unlock_irqrestore(&pirq_lock, flags);
    op->pirq = (int32_t)gsi;
    return rc;
}

int pirq_bind(struct domain *d, uint32_t pirq, evtchn_port_t port)
{
    unsigned long flags;
    struct pirq *p;
    int rc = 0;

    spin_lock_irqsave(&pirq_lock, flags);
    /* as on Xen, the hardware domain's GSIs are its PIRQs from the start: Linux binds
     * legacy IRQs without mapping them first */
    if (pirq < MAX_GSIS && pirqs[pirq].owner == DOMID_INVALID && d->is_privileged &&
        ioapic_gsi_available(pirq))
        take(d, pirq);
    if (!(p = owned(d, pirq)))
        rc = -EINVAL;
    else if (p->port)
        rc = -EBUSY;
    else {
        p->port = port;
        p->in_service = false;
        ioapic_mask_gsi(pirq, false);
    }
    spin_unlock_irqrestore(&pirq_lock, flags);
    return rc;
}

void pirq_unbind(struct domain *d, uint32_t pirq)
{
    unsigned long flags;
    struct pirq *p;

    spin_lock_irqsave(&pirq_lock, flags);
    if ((p = owned(d, pirq))) {
        ioapic_mask_gsi(pirq, true);
        p->port = 0;
        p->in_service = false;
    }
    spin_unlock_irqrestore(&pirq_lock, flags);
}

void pirq_domain_destroy(struct domain *d)
{
    unsigned long flags;

    spin_lock_irqsave(&pirq_lock, flags);
    for (uint32_t g = 0; g < MAX_GSIS; g++)
        if (pirqs[g].owner == d->domid) {
            ioapic_mask_gsi(g, true);
            pirqs[g].owner = DOMID_INVALID;
            pirqs[g].port = 0;
        }
    spin_unlock_irqrestore(&pirq_lock, flags);
}

static long pirq_op(struct domain *d, unsigned int cmd, void *a)
{
    unsigned long flags;
    struct pirq *p;
    long rc = 0;

    spin_lock_irqsave(&pirq_lock, flags);
    switch (cmd) {
    case PHYSDEVOP_eoi: {
        struct physdev_eoi *op = a;
        if ((p = owned(d, op->irq)) && p->in_service) {
            p->in_service = false;
            if (p->port)
                ioapic_mask_gsi(op->irq, false);
        }
        break;
    }
    case PHYSDEVOP_irq_status_query: {
        struct physdev_irq_status_query *op = a;
        p = owned(d, op->irq);
        op->flags = p && p->level ? XENIRQSTAT_needs_eoi : 0;
        break;
    }
    case PHYSDEVOP_setup_gsi: {
        struct physdev_setup_gsi *op = a;
        if (op->gsi < 0 || !(p = owned(d, (uint32_t)op->gsi))) {
            rc = -EINVAL;
            break;
        }
        p->level = op->triggering;
        p->active_low = op->polarity;
        rc = route((uint32_t)op->gsi, p);
        break;
    }
    case PHYSDEVOP_unmap_pirq: {
        struct physdev_unmap_pirq *op = a;
        if ((op->domid != DOMID_SELF && op->domid != d->domid) || op->pirq < 0 ||
            !(p = owned(d, (uint32_t)op->pirq)))
            rc = -EINVAL;
        else if (p->port)
            rc = -EBUSY; /* close its event channel first */
        else {
            ioapic_mask_gsi((uint32_t)op->pirq, true);
            p->owner = DOMID_INVALID;
        }
        break;
    }
    }
    spin_unlock_irqrestore(&pirq_lock, flags);
    return rc;
}

long pirq_physdev_op(unsigned int cmd, uint64_t arg)
{
    struct domain *d = current->domain;
    union {
        struct physdev_eoi eoi;
        struct physdev_irq_status_query query;
        struct physdev_setup_gsi gsi;
        struct physdev_unmap_pirq unmap;
        struct physdev_map_pirq map;
        struct physdev_irq irq;
    } op;
    size_t size = cmd == PHYSDEVOP_eoi ? sizeof(op.eoi) : cmd == PHYSDEVOP_irq_status_query ? sizeof(op.query)
                : cmd == PHYSDEVOP_setup_gsi ? sizeof(op.gsi) : cmd == PHYSDEVOP_unmap_pirq ? sizeof(op.unmap)
                : cmd == PHYSDEVOP_map_pirq ? sizeof(op.map) : sizeof(op.irq);
    long rc;

    if (copy_from_guest(&op, arg, size))
        return -EFAULT;
    if (cmd != PHYSDEVOP_eoi && cmd != PHYSDEVOP_irq_status_query && !d->is_privileged)
        return -EPERM;
    switch (cmd) {
    case PHYSDEVOP_map_pirq:
        rc = map_pirq(d, &op.map);
        break;
    case PHYSDEVOP_alloc_irq_vector:
        /* Linux asks before binding a legacy IRQ; the vector is the hypervisor's to pick */
        op.irq.vector = op.irq.irq < MAX_GSIS ? GSI_VECTOR(op.irq.irq) : 0;
        rc = op.irq.vector ? 0 : -EINVAL;
        break;
    default:
        rc = pirq_op(d, cmd, &op);
        break;
    }
    if (!rc && (cmd == PHYSDEVOP_map_pirq || cmd == PHYSDEVOP_irq_status_query || cmd == PHYSDEVOP_alloc_irq_vector) &&
        copy_to_guest(arg, &op, size))
        return -EFAULT;
    return rc;
}
