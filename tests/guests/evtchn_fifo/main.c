/*
 * evtchn_fifo: the FIFO event channel ABI, checked in the guest's own memory: the switch
 * from 2-level (a port raised before it arrives late, as pending), queues per priority
 * with LINK chains, ready bits and the upcall, masking and EVTCHNOP_unmask, closing, the
 * argument checks, and EVTCHNOP_reset back to 2-level. Events stay masked at the vCPU: we read what the hypervisor wrote.
 */
#include "pv.h"

const char test_title[] = "FIFO event channels: init_control, expand_array, set_priority, queues";

#define CONTROL_PAGES 32 /* a control domain's 32768 ports */

static uint8_t cb_page[4096] __attribute__((aligned(4096)));
static event_word_t words[EVTCHN_FIFO_WORDS_PER_PAGE] __attribute__((aligned(4096)));
static event_word_t more_words[CONTROL_PAGES - 1][EVTCHN_FIFO_WORDS_PER_PAGE] __attribute__((aligned(4096)));
static struct evtchn_fifo_control_block *const cb = (void *)(cb_page + 64);

#define BIT(n) (1u << (n))

static long op(int cmd, void *arg)
{
    return hypervisor_event_channel_op(cmd, arg);
}

/* A loopback pair: raising *a is done by sending on *b. */
static void pair(unsigned int *a, unsigned int *b)
{
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    struct evtchn_bind_interdomain bi = { .remote_dom = DOMID_SELF };

    ASSERT_RC(op(EVTCHNOP_alloc_unbound, &au), 0);
    bi.remote_port = au.port;
    ASSERT_RC(op(EVTCHNOP_bind_interdomain, &bi), 0);
    *a = au.port;
    *b = bi.local_port;
}

static void raise_via(unsigned int other_end)
{
    struct evtchn_send s = { .port = other_end };

    ASSERT_RC(op(EVTCHNOP_send, &s), 0);
}

static bool word_has(unsigned int port, unsigned int bit)
{
    return __atomic_load_n(&words[port], __ATOMIC_SEQ_CST) & BIT(bit);
}

/* What Linux does to take the next port off queue q: 0 when the queue is empty. */
static unsigned int take(unsigned int q, unsigned int *local_head)
{
    unsigned int port = *local_head ? *local_head : __atomic_load_n(&cb->head[q], __ATOMIC_SEQ_CST);
    event_word_t old = __atomic_load_n(&words[port], __ATOMIC_SEQ_CST), new;

    do
        new = old & ~(BIT(EVTCHN_FIFO_LINKED) | EVTCHN_FIFO_LINK_MASK);
    while (!__atomic_compare_exchange_n(&words[port], &old, new, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
    *local_head = old & EVTCHN_FIFO_LINK_MASK;
    __atomic_fetch_and(&words[port], ~BIT(EVTCHN_FIFO_PENDING), __ATOMIC_SEQ_CST);
    return port;
}

static void check_refusals_before(void)
{
    struct evtchn_expand_array ea = { .array_gfn = pv_virt_to_mfn(words) };
    struct evtchn_set_priority sp = { .port = 1, .priority = 3 };
    struct evtchn_init_control ic = { .control_gfn = pv_virt_to_mfn(cb_page), .offset = 64 };

    ASSERT_RC(op(EVTCHNOP_expand_array, &ea), -XEN_EOPNOTSUPP);
    ASSERT_RC(op(EVTCHNOP_set_priority, &sp), -XEN_ENOSYS);
    ic.vcpu = 7;
    ASSERT_RC(op(EVTCHNOP_init_control, &ic), -XEN_ENOENT);
    ic.vcpu = 0;
    ic.offset = 68; /* not 8-aligned */
    ASSERT_RC(op(EVTCHNOP_init_control, &ic), -XEN_EINVAL);
    ic.offset = 4096 - 64; /* the block would cross the page */
    ASSERT_RC(op(EVTCHNOP_init_control, &ic), -XEN_EINVAL);
    ic.offset = 64;
    ic.control_gfn = 1ull << 40; /* no such frame */
    ASSERT_RC(op(EVTCHNOP_init_control, &ic), -XEN_EINVAL);
    ic.control_gfn = pv_virt_to_mfn((void *)shared) ^ 1; /* not ours (a neighbour of shared info) */
    if (!pv_mfn_to_virt(ic.control_gfn))
        ASSERT_RC(op(EVTCHNOP_init_control, &ic), -XEN_EINVAL);
}

/* Unbound ports to ourselves until the hypervisor says no: how many, and the highest. */
static unsigned int fill_ports(unsigned int *highest)
{
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    unsigned int n = 0;
    long rc;

    *highest = 0;
    while (!(rc = op(EVTCHNOP_alloc_unbound, &au))) {
        n++;
        if (au.port > *highest)
            *highest = au.port;
    }
    ASSERT_RC(rc, -XEN_ENOSPC);
    return n;
}

static void close_from(unsigned int first, unsigned int last)
{
    struct evtchn_close cl;

    for (unsigned int p = first; p <= last; p++) {
        cl.port = p;
        ASSERT_RC(op(EVTCHNOP_close, &cl), 0);
    }
}

/*
 * As the control domain (booted with tern.dom0): 4095 ports while 2-level,
 * as many as its table holds once FIFO, the high ones as usable as the low.
 */
static unsigned int control_before;

static void control_ports_2level(void)
{
    unsigned int highest;

    control_before = fill_ports(&highest);
    ASSERT_EQ(highest, EVTCHN_2L_NR_CHANNELS - 1);
    close_from(highest - control_before + 1, highest);
}

static void control_ports_fifo(void)
{
    struct evtchn_expand_array ea;
    unsigned int n, highest, a, b;

    for (unsigned int i = 0; i < CONTROL_PAGES - 1; i++) {
        for (unsigned int w = 0; w < EVTCHN_FIFO_WORDS_PER_PAGE; w++)
            more_words[i][w] = BIT(EVTCHN_FIFO_MASKED);
        ea.array_gfn = pv_virt_to_mfn(more_words[i]);
        ASSERT_RC(op(EVTCHNOP_expand_array, &ea), 0);
    }
    n = fill_ports(&highest);
    ASSERT_EQ(highest, CONTROL_PAGES * EVTCHN_FIFO_WORDS_PER_PAGE - 1);
    ASSERT(n > control_before + 20000);
    guest_printf("evtchn_fifo: %u ports as a 2-level control domain, %u with FIFO\n",
                 control_before, n);
    close_from(highest - 1, highest);
    pair(&a, &b); /* the two highest ports again */
    ASSERT(a >= EVTCHN_2L_NR_CHANNELS && b >= EVTCHN_2L_NR_CHANNELS);
    event_word_t *wa = &more_words[a / EVTCHN_FIFO_WORDS_PER_PAGE - 1][a % EVTCHN_FIFO_WORDS_PER_PAGE];
    __atomic_store_n(wa, 0, __ATOMIC_SEQ_CST);
    raise_via(b);
    ASSERT(*wa & BIT(EVTCHN_FIFO_PENDING));
    ASSERT(*wa & BIT(EVTCHN_FIFO_LINKED));
    close_from(highest - n + 1, highest);
}

void test_main(void)
{
    struct evtchn_init_control ic = { .control_gfn = pv_virt_to_mfn(cb_page), .offset = 64, .vcpu = 0 };
    struct evtchn_expand_array ea = { .array_gfn = pv_virt_to_mfn(words) };
    struct evtchn_set_priority sp;
    struct evtchn_unmask um;
    struct evtchn_close cl;
    struct vcpu_info *vi;
    unsigned int early, early_b, a, a_b, b, b_b, c, c_b, head;

    pv_map_shared_info();
    vi = pv_vcpu_info(0);
    events_disable();
    check_refusals_before();
    if (start_info->flags & SIF_PRIVILEGED)
        control_ports_2level();

    /* raised under 2-level, before the switch: it must not be lost */
    pair(&early, &early_b);
    raise_via(early_b);
    ASSERT(evt_pending(early));

    ASSERT_RC(op(EVTCHNOP_init_control, &ic), 0);
    ASSERT_EQ(ic.link_bits, EVTCHN_FIFO_LINK_BITS);
    ASSERT_RC(op(EVTCHNOP_init_control, &ic), -XEN_EINVAL); /* one block per vCPU */
    for (unsigned int i = 0; i < EVTCHN_FIFO_WORDS_PER_PAGE; i++)
        words[i] = BIT(EVTCHN_FIFO_MASKED); /* as Linux starts a page */
    ASSERT_RC(op(EVTCHNOP_expand_array, &ea), 0);
    /* the early port arrives pending; masked, so not queued yet */
    ASSERT(word_has(early, EVTCHN_FIFO_PENDING));
    ASSERT(!word_has(early, EVTCHN_FIFO_LINKED));
    ASSERT_EQ(cb->ready, 0);
    vi->evtchn_upcall_pending = 0;
    um.port = early;
    ASSERT_RC(op(EVTCHNOP_unmask, &um), 0);
    ASSERT(word_has(early, EVTCHN_FIFO_LINKED) && !word_has(early, EVTCHN_FIFO_MASKED));
    ASSERT_EQ(cb->head[EVTCHN_FIFO_PRIORITY_DEFAULT], early);
    ASSERT_EQ(cb->ready, BIT(EVTCHN_FIFO_PRIORITY_DEFAULT));
    ASSERT_EQ(vi->evtchn_upcall_pending, 1);
    head = 0;
    ASSERT_EQ(take(EVTCHN_FIFO_PRIORITY_DEFAULT, &head), early);
    ASSERT_EQ(head, 0); /* the end of its queue */
    __atomic_store_n(&cb->ready, 0, __ATOMIC_SEQ_CST);
    vi->evtchn_upcall_pending = 0;

    /* three ports: two at the default priority, one at 3 */
    pair(&a, &a_b);
    pair(&b, &b_b);
    pair(&c, &c_b);
    sp.port = b;
    sp.priority = 3;
    ASSERT_RC(op(EVTCHNOP_set_priority, &sp), 0);
    sp.priority = 16;
    ASSERT_RC(op(EVTCHNOP_set_priority, &sp), -XEN_EINVAL);
    sp.port = 1000; /* closed */
    sp.priority = 3;
    ASSERT_RC(op(EVTCHNOP_set_priority, &sp), -XEN_EINVAL);
    for (unsigned int i = 0; i < EVTCHN_FIFO_WORDS_PER_PAGE; i++)
        __atomic_fetch_and(&words[i], ~BIT(EVTCHN_FIFO_MASKED), __ATOMIC_SEQ_CST);
    raise_via(a_b);
    ASSERT_EQ(vi->evtchn_upcall_pending, 1); /* the queue's first event: an upcall */
    vi->evtchn_upcall_pending = 0;
    raise_via(c_b);
    ASSERT_EQ(vi->evtchn_upcall_pending, 0); /* appended behind a: the guest will get there */
    raise_via(b_b);
    raise_via(a_b); /* already queued: stays where it is */
    ASSERT_EQ(cb->ready, BIT(EVTCHN_FIFO_PRIORITY_DEFAULT) | BIT(3));
    ASSERT_EQ(cb->head[EVTCHN_FIFO_PRIORITY_DEFAULT], a);
    ASSERT_EQ(words[a] & EVTCHN_FIFO_LINK_MASK, c);
    ASSERT_EQ(cb->head[3], b);
    head = 0;
    ASSERT_EQ(take(EVTCHN_FIFO_PRIORITY_DEFAULT, &head), a);
    ASSERT_EQ(take(EVTCHN_FIFO_PRIORITY_DEFAULT, &head), c);
    ASSERT_EQ(head, 0);
    head = 0;
    ASSERT_EQ(take(3, &head), b);
    ASSERT_EQ(head, 0);

    /* with the queue emptied, the next event starts it again at the head */
    __atomic_store_n(&cb->ready, 0, __ATOMIC_SEQ_CST);
    raise_via(c_b);
    ASSERT_EQ(cb->head[EVTCHN_FIFO_PRIORITY_DEFAULT], c);
    ASSERT_EQ(cb->ready, BIT(EVTCHN_FIFO_PRIORITY_DEFAULT));
    head = 0;
    ASSERT_EQ(take(EVTCHN_FIFO_PRIORITY_DEFAULT, &head), c);

    /* masked: pending but not queued; EVTCHNOP_unmask queues it */
    __atomic_fetch_or(&words[a], BIT(EVTCHN_FIFO_MASKED), __ATOMIC_SEQ_CST);
    raise_via(a_b);
    ASSERT(word_has(a, EVTCHN_FIFO_PENDING) && !word_has(a, EVTCHN_FIFO_LINKED));
    um.port = a;
    ASSERT_RC(op(EVTCHNOP_unmask, &um), 0);
    ASSERT(word_has(a, EVTCHN_FIFO_LINKED));
    ASSERT_EQ(cb->head[EVTCHN_FIFO_PRIORITY_DEFAULT], a);

    /* a poll on a pending FIFO port returns at once; closing clears its PENDING */
    evtchn_port_t ports[1] = { a };
    struct sched_poll p = { .nr_ports = 1, .timeout = 0 };
    set_xen_guest_handle(p.ports, ports);
    ASSERT_RC(hypervisor_sched_op(SCHEDOP_poll, &p), 0);
    cl.port = a;
    ASSERT_RC(op(EVTCHNOP_close, &cl), 0);
    ASSERT(!word_has(a, EVTCHN_FIFO_PENDING));
    head = 0;
    ASSERT_EQ(take(EVTCHN_FIFO_PRIORITY_DEFAULT, &head), a); /* left on the queue, not pending */

    /* words and heads full of garbage (every flag, LINKs in loops): we never walk a chain,
     * so raising and unmasking still just return, and a cleaned word works again */
    for (unsigned int i = 0; i < EVTCHN_FIFO_WORDS_PER_PAGE; i++)
        words[i] = 0xf0000000u | (i ^ 1); /* all four flags, LINK to the neighbour */
    for (unsigned int q = 0; q < EVTCHN_FIFO_MAX_QUEUES; q++)
        cb->head[q] = 0x1ffff;
    for (unsigned int round = 0; round < 3; round++) {
        raise_via(c_b);
        raise_via(b_b);
        um.port = c;
        ASSERT_RC(op(EVTCHNOP_unmask, &um), 0);
    }
    /* the queue's tail is still a (its word says LINKED): c goes behind it */
    __atomic_store_n(&words[c], 0, __ATOMIC_SEQ_CST);
    raise_via(c_b);
    ASSERT(word_has(c, EVTCHN_FIFO_PENDING) && word_has(c, EVTCHN_FIFO_LINKED));
    ASSERT_EQ(words[a] & EVTCHN_FIFO_LINK_MASK, c);
    ASSERT(!word_has(a, EVTCHN_FIFO_BUSY));

    if (start_info->flags & SIF_PRIVILEGED)
        control_ports_fifo();

    /* EVTCHNOP_reset: every port closed and 2-level again, from where FIFO may start anew */
    struct evtchn_reset rs = { .dom = 0x7000 };
    struct evtchn_status st = { .dom = DOMID_SELF, .port = c };
    ASSERT_RC(op(EVTCHNOP_reset, &rs), -XEN_ESRCH);
    rs.dom = DOMID_SELF;
    ASSERT_RC(op(EVTCHNOP_reset, &rs), 0);
    ASSERT_RC(op(EVTCHNOP_status, &st), 0);
    ASSERT_EQ(st.status, EVTCHNSTAT_closed);
    sp.port = 1;
    sp.priority = 3;
    ASSERT_RC(op(EVTCHNOP_set_priority, &sp), -XEN_ENOSYS);
    pair(&a, &a_b);
    raise_via(a_b);
    ASSERT(evt_pending(a)); /* a 2-level pending bit */
    ASSERT_RC(op(EVTCHNOP_init_control, &ic), 0); /* the same block, taken again */
    ASSERT_RC(op(EVTCHNOP_expand_array, &ea), 0);
    ASSERT(word_has(a, EVTCHN_FIFO_PENDING)); /* carried over, as at the first switch */
}
