/*
 * The hypervisor as console backend for domains without a control domain: it drains
 * each guest's PV console ring (start_info.console.domU) to the serial line, and feeds
 * serial input into the ring of the domain that has the input focus. Ctrl-A three
 * times moves the focus: hypervisor (debug keys) -> d1 -> d2 -> ... -> hypervisor.
 */
#include <tern/domain.h>
#include <tern/event.h>
#include <tern/lib.h>
#include <tern/printk.h>
#include <tern/selftest.h>
#include <tern/spinlock.h>
#include <asm/page.h>
#include <public/io/console.h>

#define CTRL_A 0x01

static DEFINE_SPINLOCK(ring_lock);
static uint16_t focus; /* 0: the hypervisor */
static unsigned int ctrl_a_run;

static struct xencons_interface *ring_of(struct domain *d)
{
    return d->console_ring ? __va(d->console_ring) : NULL;
}

/* Copies what the guest produced to the console; the ring is guest memory: trust no index. */
void console_ring_drain(struct domain *d)
{
    struct xencons_interface *r = ring_of(d);
    char buf[sizeof(r->out)];
    unsigned long flags;
    uint32_t cons, prod, n = 0;

    if (!r)
        return;
    spin_lock_irqsave(&ring_lock, flags);
    cons = __atomic_load_n(&r->out_cons, __ATOMIC_ACQUIRE);
    prod = __atomic_load_n(&r->out_prod, __ATOMIC_ACQUIRE);
    if (prod - cons > sizeof(r->out)) {
        /* a corrupt producer index: drop what is there rather than read garbage */
        cons = prod;
    }
    while (cons != prod)
        buf[n++] = r->out[MASK_XENCONS_IDX(cons++, r->out)];
    __atomic_store_n(&r->out_cons, cons, __ATOMIC_RELEASE);
    spin_unlock_irqrestore(&ring_lock, flags);
    if (n) {
        domain_console_write(d, buf, n);
        evtchn_notify_console(d); /* room in the ring again */
    }
}

static bool ring_put(struct domain *d, char c)
{
    struct xencons_interface *r = ring_of(d);
    uint32_t cons, prod;

    if (!r)
        return false;
    cons = __atomic_load_n(&r->in_cons, __ATOMIC_ACQUIRE);
    prod = r->in_prod;
    if (prod - cons >= sizeof(r->in))
        return false; /* full: the character is dropped */
    r->in[MASK_XENCONS_IDX(prod, r->in)] = c;
    __atomic_store_n(&r->in_prod, prod + 1, __ATOMIC_RELEASE);
    return true;
}

static void move_focus(void)
{
    struct domain *d, *next = NULL;
    unsigned long flags;

    spin_lock_irqsave(&domain_list_lock, flags);
    list_for_each_entry(d, &domain_list, link)
        if (d->domid > focus && d->console_ring && !d->is_dying && (!next || d->domid < next->domid))
            next = d;
    focus = next ? next->domid : 0;
    spin_unlock_irqrestore(&domain_list_lock, flags);
    if (focus)
        printk(KERN_ALWAYS "*** serial input to d%u (Ctrl-A three times to switch)\n", focus);
    else
        printk(KERN_ALWAYS "*** serial input to the hypervisor (debug keys; 'h' for help)\n");
}

void console_serial_input(int c)
{
    struct domain *d;
    unsigned long flags;
    bool put = false, gone = true;

    if (c == CTRL_A) {
        if (++ctrl_a_run == 3) {
            ctrl_a_run = 0;
            move_focus();
        }
        return;
    }
    ctrl_a_run = 0;
    if (!focus) {
        console_input(c);
        return;
    }
    /* under the list lock, the domain cannot be freed while we write its ring */
    spin_lock_irqsave(&domain_list_lock, flags);
    list_for_each_entry(d, &domain_list, link) {
        if (d->domid == focus && !d->is_dying) {
            gone = false;
            put = ring_put(d, (char)c);
        }
    }
    spin_unlock_irqrestore(&domain_list_lock, flags);
    if (gone)
        move_focus();
    else if (put)
        evtchn_notify_console_id(focus);
}
