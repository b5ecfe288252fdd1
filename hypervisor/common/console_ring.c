/*
 * The hypervisor as console backend for boot-time domains: it drains each guest's PV
 * console ring (start_info.console.domU) to the serial line, and feeds serial input into
 * the ring of the domain that has the input focus. The control domain has no ring: it
 * writes with console_io and reads its input with CONSOLEIO_read when VIRQ_CONSOLE fires.
 * Ctrl-A three times moves the focus: d0 -> d1 -> ... -> hypervisor (debug keys) -> d0.
 */
#include <tern/domain.h>
#include <tern/event.h>
#include <tern/lib.h>
#include <tern/printk.h>
#include <tern/selftest.h>
#include <tern/spinlock.h>
#include <asm/page.h>
#include <asm/pv_shadow.h>
#include <public/io/console.h>

#define CTRL_A 0x01

static DEFINE_SPINLOCK(ring_lock);
#define FOCUS_HV (-1)
static int focus = FOCUS_HV; /* a domain id, or the hypervisor */
static unsigned int ctrl_a_run;
/* the control domain's input, waiting for CONSOLEIO_read */
static char ctl_in[1024];
static uint32_t ctl_in_prod, ctl_in_cons;

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
    pv_shadow_frame_written(d->console_ring >> PAGE_SHIFT);
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
    pv_shadow_frame_written(d->console_ring >> PAGE_SHIFT);
    return true;
}

static bool takes_input(const struct domain *d)
{
    return (d->console_ring || d->is_privileged) && !d->is_dying;
}

static void announce_focus(void)
{
    if (focus != FOCUS_HV)
        printk(KERN_ALWAYS "*** serial input to d%d (Ctrl-A three times to switch)\n", focus);
    else
        printk(KERN_ALWAYS "*** serial input to the hypervisor (debug keys; 'h' for help)\n");
}

static void move_focus(void)
{
    struct domain *d, *next = NULL;
    unsigned long flags;

    spin_lock_irqsave(&domain_list_lock, flags);
    list_for_each_entry(d, &domain_list, link)
        if ((int)d->domid > focus && takes_input(d) && (!next || d->domid < next->domid))
            next = d;
    focus = next ? next->domid : FOCUS_HV;
    spin_unlock_irqrestore(&domain_list_lock, flags);
    announce_focus();
}

void console_set_focus(uint16_t domid)
{
    focus = domid;
    announce_focus();
}

size_t console_read_input(char *buf, size_t n)
{
    unsigned long flags;
    size_t got = 0;

    spin_lock_irqsave(&ring_lock, flags);
    while (got < n && ctl_in_cons != ctl_in_prod)
        buf[got++] = ctl_in[ctl_in_cons++ % sizeof(ctl_in)];
    spin_unlock_irqrestore(&ring_lock, flags);
    return got;
}

static bool ctl_put(char c)
{
    unsigned long flags;
    bool put = false;

    spin_lock_irqsave(&ring_lock, flags);
    if (ctl_in_prod - ctl_in_cons < sizeof(ctl_in)) {
        ctl_in[ctl_in_prod++ % sizeof(ctl_in)] = c;
        put = true;
    }
    spin_unlock_irqrestore(&ring_lock, flags);
    return put;
}

void console_serial_input(int c)
{
    struct domain *d;
    unsigned long flags;
    bool put = false, gone = true, ctl = false;

    if (c == CTRL_A) {
        if (++ctrl_a_run == 3) {
            ctrl_a_run = 0;
            move_focus();
        }
        return;
    }
    ctrl_a_run = 0;
    if (focus == FOCUS_HV) {
        console_input(c);
        return;
    }
    /* under the list lock, the domain cannot be freed while we write its ring */
    spin_lock_irqsave(&domain_list_lock, flags);
    list_for_each_entry(d, &domain_list, link) {
        if (d->domid == focus && !d->is_dying) {
            gone = false;
            ctl = !d->console_ring && d->is_privileged;
            put = ctl ? ctl_put((char)c) : ring_put(d, (char)c);
        }
    }
    spin_unlock_irqrestore(&domain_list_lock, flags);
    if (gone)
        move_focus();
    else if (put && ctl)
        send_global_virq_id((uint16_t)focus, VIRQ_CONSOLE);
    else if (put)
        evtchn_notify_console_id((uint16_t)focus);
}
