/*
 * FIFO event channels. Each port has a 32-bit word in guest pages (PENDING, MASKED,
 * LINKED, BUSY and a 17-bit LINK to the next port of its queue); each vCPU has 16 queues,
 * whose heads and a ready bit per queue sit in a control block in guest memory. The guest
 * consumes from the heads, clearing LINKED as it takes a port off; we append at the tails,
 * which only we know.
 *
 * Raising port p: set PENDING; if it is neither masked nor already linked, mark it LINKED
 * and append it: the old tail's LINK becomes p if that tail is still linked, else the
 * queue was empty and the head becomes p, its ready bit is set, and the vCPU gets an
 * upcall. Everything here runs under the event lock, so our side needs no locks of its own;
 * the guest's side races us only through atomic updates of the words.
 */
#include <tern/domain.h>
#include <tern/errno.h>
#include <tern/event.h>
#include <tern/lib.h>
#include <tern/page.h>
#include <tern/xmalloc.h>
#include <asm/page.h>

#define MAX_PAGES (EVTCHN_FIFO_NR_CHANNELS / EVTCHN_FIFO_WORDS_PER_PAGE)
#define BIT(n) (1u << (n))

struct fifo_vcpu {
    struct evtchn_fifo_control_block *cb; /* NULL until init_control for this vCPU */
    struct page_info *cb_page;
    uint32_t tail[EVTCHN_FIFO_MAX_QUEUES]; /* last port appended, 0 for none */
};

struct evtchn_fifo {
    unsigned int nr_pages;
    event_word_t *words[MAX_PAGES];
    struct page_info *pages[MAX_PAGES];
    struct fifo_vcpu vcpu[MAX_VCPUS_PER_DOMAIN];
};

static event_word_t *word_of(const struct evtchn_fifo *f, unsigned int port)
{
    unsigned int page = port / EVTCHN_FIFO_WORDS_PER_PAGE;

    /* nr_pages only grows, after its page is in place */
    if (!f || page >= __atomic_load_n(&f->nr_pages, __ATOMIC_ACQUIRE))
        return NULL;
    return &f->words[page][port % EVTCHN_FIFO_WORDS_PER_PAGE];
}

static bool test(const event_word_t *w, unsigned int bit)
{
    return __atomic_load_n(w, __ATOMIC_ACQUIRE) & BIT(bit);
}

static bool test_and_set(event_word_t *w, unsigned int bit)
{
    return __atomic_fetch_or(w, BIT(bit), __ATOMIC_SEQ_CST) & BIT(bit);
}

static void clear(event_word_t *w, unsigned int bit)
{
    __atomic_fetch_and(w, ~BIT(bit), __ATOMIC_SEQ_CST);
}

/*
 * Points the tail's LINK at port, if the tail is still linked (else the guest has taken
 * it off and the queue is empty: false). A guest may flip MASKED or PENDING meanwhile, so
 * the exchange can fail; after a few tries BUSY asks it to hold off (Linux does). One that
 * ignores that keeps changing its own word: its event is lost, to it alone.
 */
static bool append(event_word_t *tail, uint32_t port)
{
    for (unsigned int i = 0; i < 8; i++) {
        event_word_t old = __atomic_load_n(tail, __ATOMIC_ACQUIRE);
        if (i == 4)
            old = __atomic_fetch_or(tail, BIT(EVTCHN_FIFO_BUSY), __ATOMIC_SEQ_CST) | BIT(EVTCHN_FIFO_BUSY);
        if (!(old & BIT(EVTCHN_FIFO_LINKED))) {
            if (i >= 4)
                clear(tail, EVTCHN_FIFO_BUSY);
            return false;
        }
        event_word_t new = (old & ~(BIT(EVTCHN_FIFO_BUSY) | EVTCHN_FIFO_LINK_MASK)) | port;
        if (__atomic_compare_exchange_n(tail, &old, new, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            return true;
    }
    clear(tail, EVTCHN_FIFO_BUSY);
    return true;
}

/* Queues a pending port on its vCPU's queue for its priority, unless masked or queued. */
static void link(struct domain *d, unsigned int port, event_word_t *w)
{
    struct evtchn_fifo *f = d->fifo;
    struct evtchn *c = &d->evtchn[port];
    struct vcpu *v = d->vcpus[c->notify_vcpu];
    struct fifo_vcpu *fv = v ? &f->vcpu[v->vcpu_id] : NULL;
    unsigned int q = c->priority;
    bool appended;

    if (!fv || !fv->cb || test(w, EVTCHN_FIFO_MASKED) || test_and_set(w, EVTCHN_FIFO_LINKED))
        return;
    /* taken off the queue it was last on: if it ended that queue, that one is empty */
    if (f->vcpu[c->last_vcpu].tail[c->last_prio] == port)
        f->vcpu[c->last_vcpu].tail[c->last_prio] = 0;
    c->last_vcpu = (uint16_t)v->vcpu_id;
    c->last_prio = (uint8_t)q;
    appended = fv->tail[q] && append(word_of(f, fv->tail[q]), port);
    if (!appended)
        __atomic_store_n(&fv->cb->head[q], port, __ATOMIC_SEQ_CST);
    fv->tail[q] = port;
    if (!appended && !test_and_set(&fv->cb->ready, q))
        evtchn_upcall(v);
}

void evtchn_fifo_raise(struct domain *d, unsigned int port)
{
    event_word_t *w = word_of(d->fifo, port);

    if (!w) {
        d->evtchn[port].fifo_late = 1; /* raised when its page comes */
        return;
    }
    if (!test_and_set(w, EVTCHN_FIFO_PENDING))
        evtchn_wake_pollers(d, port);
    link(d, port, w);
}

void evtchn_fifo_clear(struct domain *d, unsigned int port)
{
    event_word_t *w = word_of(d->fifo, port);

    d->evtchn[port].fifo_late = 0;
    if (w)
        clear(w, EVTCHN_FIFO_PENDING); /* left on its queue: the guest skips it */
}

void evtchn_fifo_unmask(struct domain *d, unsigned int port)
{
    event_word_t *w = word_of(d->fifo, port);

    if (!w)
        return;
    clear(w, EVTCHN_FIFO_MASKED);
    if (test(w, EVTCHN_FIFO_PENDING))
        link(d, port, w);
}

bool evtchn_fifo_is_pending(const struct domain *d, unsigned int port)
{
    const event_word_t *w = word_of(d->fifo, port);

    return w && test(w, EVTCHN_FIFO_PENDING);
}

bool evtchn_fifo_is_masked(const struct domain *d, unsigned int port)
{
    const event_word_t *w = word_of(d->fifo, port);

    return !w || test(w, EVTCHN_FIFO_MASKED);
}

/* A guest frame of d's for us to write into: held writable until teardown. */
static struct page_info *take_frame(struct domain *d, uint64_t gfn)
{
    struct page_info *pg = mfn_valid(gfn) ? mfn_to_page(gfn) : NULL;

    return pg && !get_page_and_type(pg, d->domid, PGT_writable_page) ? pg : NULL;
}

static void *frame_va(struct page_info *pg)
{
    return __va((paddr_t)page_to_mfn(pg) << PAGE_SHIFT);
}

/* The switch from 2-level: ports bound so far keep a pending bit as a late raise. */
static void adopt_ports(struct domain *d)
{
    for (unsigned int p = 1; p < d->max_evtchns; p++) {
        struct evtchn *c = &d->evtchn[p];
        if (c->state == EVTCHNSTAT_closed)
            continue;
        c->priority = EVTCHN_FIFO_PRIORITY_DEFAULT;
        c->fifo_late = evtchn_is_pending(d, p);
    }
}

static long init_control(struct domain *d, struct evtchn_init_control *op)
{
    struct evtchn_fifo *f = d->fifo;
    struct page_info *pg;

    op->link_bits = EVTCHN_FIFO_LINK_BITS;
    if (op->vcpu >= d->max_vcpus || !d->vcpus[op->vcpu])
        return -ENOENT;
    if (op->offset > PAGE_SIZE - sizeof(struct evtchn_fifo_control_block) || (op->offset & 7))
        return -EINVAL;
    if (f && f->vcpu[op->vcpu].cb)
        return -EINVAL;
    if (!(pg = take_frame(d, op->control_gfn)))
        return -EINVAL;
    if (!f && !(f = xzalloc(struct evtchn_fifo))) {
        put_page_and_type(pg);
        return -ENOMEM;
    }
    f->vcpu[op->vcpu].cb_page = pg;
    f->vcpu[op->vcpu].cb = (void *)((uint8_t *)frame_va(pg) + op->offset);
    if (!d->fifo) {
        /* read the 2-level bits before the domain is FIFO: evtchn_is_pending follows d->fifo */
        adopt_ports(d);
        __atomic_store_n(&d->fifo, f, __ATOMIC_RELEASE);
    }
    return 0;
}

static long expand_array(struct domain *d, const struct evtchn_expand_array *op)
{
    struct evtchn_fifo *f = d->fifo;
    struct page_info *pg;
    unsigned int n, first;

    if (!f)
        return -EOPNOTSUPP;
    if ((n = f->nr_pages) == MAX_PAGES)
        return -ENOSPC;
    if (!(pg = take_frame(d, op->array_gfn)))
        return -EINVAL;
    f->pages[n] = pg;
    f->words[n] = frame_va(pg);
    __atomic_store_n(&f->nr_pages, n + 1, __ATOMIC_RELEASE);
    first = n * EVTCHN_FIFO_WORDS_PER_PAGE;
    for (unsigned int p = first; p < first + EVTCHN_FIFO_WORDS_PER_PAGE && p < d->max_evtchns; p++) {
        if (d->evtchn[p].fifo_late) {
            d->evtchn[p].fifo_late = 0;
            evtchn_fifo_raise(d, p);
        }
    }
    return 0;
}

static long set_priority(struct domain *d, const struct evtchn_set_priority *op)
{
    if (!d->fifo)
        return -ENOSYS; /* 2-level channels have no priorities, as on Xen */
    if (!op->port || op->port >= d->max_evtchns || d->evtchn[op->port].state == EVTCHNSTAT_closed)
        return -EINVAL;
    if (op->priority > EVTCHN_FIFO_PRIORITY_MIN)
        return -EINVAL;
    d->evtchn[op->port].priority = (uint8_t)op->priority; /* a port already queued stays put */
    return 0;
}

long evtchn_fifo_op(struct domain *d, unsigned long cmd, void *arg)
{
    switch (cmd) {
    case EVTCHNOP_init_control:
        return init_control(d, arg);
    case EVTCHNOP_expand_array:
        return expand_array(d, arg);
    case EVTCHNOP_set_priority:
        return set_priority(d, arg);
    default:
        return -ENOSYS;
    }
}

void evtchn_fifo_destroy(struct domain *d)
{
    struct evtchn_fifo *f = d->fifo;

    if (!f)
        return;
    d->fifo = NULL;
    for (unsigned int i = 0; i < f->nr_pages; i++)
        put_page_and_type(f->pages[i]);
    for (unsigned int i = 0; i < MAX_VCPUS_PER_DOMAIN; i++)
        if (f->vcpu[i].cb_page)
            put_page_and_type(f->vcpu[i].cb_page);
    xfree(f);
}

void evtchn_fifo_each_frame(struct domain *d, void (*fn)(void *arg, mfn_t mfn), void *arg)
{
    struct evtchn_fifo *f = d->fifo;

    if (!f)
        return;
    for (unsigned int i = 0; i < f->nr_pages; i++)
        fn(arg, page_to_mfn(f->pages[i]));
    for (unsigned int i = 0; i < MAX_VCPUS_PER_DOMAIN; i++)
        if (f->vcpu[i].cb_page)
            fn(arg, page_to_mfn(f->vcpu[i].cb_page));
}
