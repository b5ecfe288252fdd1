/*
 * tern-fuzz-ctrl: the control interface from dom0 user space, fed random and mutated
 * arguments: domctl and sysctl with random commands, ids, fields and pointers (into our
 * buffers, unmapped memory and the hypervisor's range), foreign reservations, foreign
 * pins of random frames, event channels for random domains, and the restore's stage.
 * Every call must return; the hypervisor must stay up. Domains and stages it manages to
 * create are destroyed at the end.
 * usage: tern-fuzz-ctrl ITERATIONS [SEED]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <public/domctl.h>
#include <public/event_channel.h>
#include <public/memory.h>
#include <public/sysctl.h>
#include <public/xen.h>

#include "../lib/call/call.h"
#include "../lib/ctrl/ctrl.h"

#define BUF 65536
#define NOPS 6

static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static uint8_t *buf;

/*
 * A pointer worth trying: our buffer, NULL, unmapped user space, the hypervisor's range,
 * non-canonical. Not dom0's own kernel: the hypervisor rightly writes there on dom0's
 * behalf (privcmd passes root's pointers through, on Xen too), and dom0 would crash itself.
 */
static uint64_t some_pointer(void)
{
    static const uint64_t bad[] = { 0, 0x1000, 0x7fffffffe000ull, 0xffff800000000000ull,
                                    0xffff82d040200000ull, 0x8000000000000000ull, ~0ull };
    if (rnd() % 3)
        return (uint64_t)(uintptr_t)(buf + rnd() % (BUF - 8192));
    return bad[rnd() % (sizeof(bad) / sizeof(bad[0]))];
}

/* For operations on dom0's own page tables (mmu_update, mmuext_op): never dom0 itself,
 * whose tables root may legitimately wreck. */
static uint16_t some_domain(void);
static uint16_t other_domain(void)
{
    uint16_t d;
    do
        d = some_domain();
    while (d == 0 || d == DOMID_SELF);
    return d;
}

static uint16_t some_domain(void)
{
    static const uint16_t ids[] = { 0, 1, 2, 3, DOMID_SELF, DOMID_IO, DOMID_XEN, 0x7fef, 0x7ff0 };
    return rnd() % 4 ? ids[rnd() % (sizeof(ids) / sizeof(ids[0]))] : (uint16_t)rnd();
}

static uint32_t stage_ids[64]; /* stages it made, dropped at the end */
static unsigned int nstages;
static unsigned long stage_ok[4]; /* accepted, by op */

/* The restore's stage: ids it made or random ones, pfns and frames that are its own or
 * anyone's, buffers good and bad, adoption by any domain. */
static long fuzz_stage(struct call *c, struct xen_sysctl *s)
{
    struct xen_sysctl_stage *st = &s->u.stage;
    uint64_t *pfns = (uint64_t *)(buf + BUF - 8192), *mfns = pfns + 512;
    long rc;

    s->cmd = XEN_SYSCTL_stage;
    st->op = (uint32_t)(rnd() % 5);
    if (nstages && rnd() % 2)
        st->id = stage_ids[rnd() % nstages];
    if (rnd() % 2) {
        st->max_pages = rnd() % 64;
        st->max_pfn = rnd() % 0x10000;
    }
    st->num = (uint32_t)(rnd() % 4 ? rnd() % 9 : rnd());
    if (rnd() % 2)
        st->_pad = 0;
    if (rnd() % 2)
        st->domid = some_domain();
    for (unsigned int i = 0; i < 8; i++) {
        pfns[i] = rnd() % 2 ? rnd() % 0x10000 : rnd();
        if (rnd() % 3)
            mfns[i] = rnd() % 2 ? ~0ull : rnd() % 0x80000; /* else a frame a put gave back */
    }
    if (rnd() % 4)
        st->pfns = pfns;
    if (rnd() % 4)
        st->mfns = mfns;
    st->buffer = rnd() % 2 ? (uint64_t)(uintptr_t)buf : some_pointer();
    rc = call_hypercall(c, __HYPERVISOR_sysctl, (uint64_t)(uintptr_t)s, 0, 0, 0, 0);
    if (!rc && st->op == XEN_SYSCTL_STAGE_CREATE && nstages < 64)
        stage_ids[nstages++] = st->id;
    if (!rc && st->op <= XEN_SYSCTL_STAGE_DROP)
        stage_ok[st->op]++;
    return rc;
}

static void fill_random(void *p, size_t n)
{
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)rnd();
    /* plant pointers where handles usually sit */
    for (size_t off = 8; off + 8 <= n; off += 8)
        if (rnd() % 4 == 0) {
            uint64_t v = some_pointer();
            memcpy(b + off, &v, 8);
        }
}

static long fuzz_one(struct call *c, unsigned int op, uint8_t *arg)
{
    switch (op) {
    case 0: { /* domctl: no destroy (the victim should live), everything else goes */
        struct xen_domctl *d = (struct xen_domctl *)arg;
        fill_random(d, sizeof(*d));
        d->cmd = (uint32_t)(rnd() % 4 ? rnd() % 90 : rnd());
        if (d->cmd == XEN_DOMCTL_destroydomain)
            d->cmd = XEN_DOMCTL_getdomaininfo;
        if (rnd() % 8)
            d->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
        d->domain = some_domain();
        if (rnd() % 2)
            memset(d->_pad, 0, sizeof(d->_pad));
        if (rnd() % 8 == 0) {
            /* frames copied out of any domain (copied in only where no guest lives) */
            d->cmd = XEN_DOMCTL_copy_frames;
            d->u.copy_frames.num = (uint32_t)(rnd() % 4 ? rnd() % 8 : rnd());
            /* 8 frames fit our buffer from its start; the other pointers are all bad */
            d->u.copy_frames.buffer = some_pointer();
            if (d->u.copy_frames.buffer - (uint64_t)(uintptr_t)buf < BUF)
                d->u.copy_frames.buffer = (uint64_t)(uintptr_t)buf;
            if (d->u.copy_frames.flags & XEN_DOMCTL_COPY_FRAMES_WRITE)
                d->domain = rnd() % 2 ? DOMID_SELF : 0x7ff0;
            if (rnd() % 2) {
                uint64_t *f = (uint64_t *)(buf + BUF - 8192);
                for (unsigned int i = 0; i < 8; i++)
                    f[i] = rnd() % 4 ? rnd() % 0x40000 : rnd();
                d->u.copy_frames.array = f;
            }
        }
        if (d->cmd == XEN_DOMCTL_createdomain && rnd() % 2) {
            memset(&d->u.createdomain, 0, sizeof(d->u.createdomain));
            d->u.createdomain.max_vcpus = (uint32_t)(rnd() % 10);
        }
        return call_hypercall(c, __HYPERVISOR_domctl, rnd() % 16 ? (uint64_t)(uintptr_t)d : some_pointer(), 0, 0, 0, 0);
    }
    case 1: { /* sysctl */
        struct xen_sysctl *s = (struct xen_sysctl *)arg;
        fill_random(s, sizeof(*s));
        s->cmd = (uint32_t)(rnd() % 4 ? rnd() % 32 : rnd());
        if (rnd() % 8)
            s->interface_version = XEN_SYSCTL_INTERFACE_VERSION;
        if (s->cmd == XEN_SYSCTL_getdomaininfolist && rnd() % 2) {
            s->u.getdomaininfolist._pad = 0;
            s->u.getdomaininfolist._pad2 = 0;
            s->u.getdomaininfolist.max_domains = (uint32_t)(rnd() % 600);
        }
        if (rnd() % 4 == 0)
            return fuzz_stage(c, s);
        return call_hypercall(c, __HYPERVISOR_sysctl, (uint64_t)(uintptr_t)s, 0, 0, 0, 0);
    }
    case 2: { /* another domain's memory: populate, decrease, query */
        struct xen_memory_reservation *r = (struct xen_memory_reservation *)arg;
        static const unsigned int cmds[] = { XENMEM_increase_reservation, XENMEM_decrease_reservation,
                                             XENMEM_populate_physmap, XENMEM_current_reservation,
                                             XENMEM_maximum_reservation };
        fill_random(r, sizeof(*r));
        r->nr_extents = rnd() % 64;
        r->extent_order = (uint32_t)(rnd() % 4 ? 0 : rnd() % 24);
        r->domid = some_domain();
        if (rnd() % 2)
            r->extent_start = (xen_pfn_t *)(buf + BUF - 8192);
        return call_hypercall(c, __HYPERVISOR_memory_op, cmds[rnd() % 5], (uint64_t)(uintptr_t)r, 0, 0, 0);
    }
    case 3: { /* pin or unpin random frames as another domain's tables */
        struct mmuext_op *m = (struct mmuext_op *)arg;
        unsigned int n = (unsigned int)(rnd() % 4 + 1);
        for (unsigned int i = 0; i < n; i++) {
            memset(&m[i], 0, sizeof(m[i]));
            m[i].cmd = (uint32_t)(rnd() % 5 ? rnd() % 5 : rnd() % 24);
            m[i].arg1.mfn = rnd() % 4 ? rnd() % 0x40000 : rnd();
        }
        return call_hypercall(c, __HYPERVISOR_mmuext_op, (uint64_t)(uintptr_t)m, n, 0, other_domain(), 0);
    }
    case 4: { /* foreign mmu_update with garbage, aimed at frames that are not dom0's own
                 tables (firmware and hypervisor frames, beyond RAM): refused, never a fault */
        struct mmu_update *u = (struct mmu_update *)arg;
        uint64_t mfn = rnd() % 2 ? rnd() % 0x100 : 0x40000 + rnd() % 0x100000;
        u->ptr = mfn << 12 | (rnd() & 0xff8) | (rnd() & 3);
        u->val = rnd();
        return call_hypercall(c, __HYPERVISOR_mmu_update, (uint64_t)(uintptr_t)u, 1, 0, other_domain(), 0);
    }
    default: { /* event channels allocated for and between other domains */
        evtchn_alloc_unbound_t *e = (evtchn_alloc_unbound_t *)arg;
        e->dom = some_domain();
        e->remote_dom = some_domain();
        long rc = call_hypercall(c, __HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound,
                                 (uint64_t)(uintptr_t)e, 0, 0, 0);
        return rc;
    }
    }
}

int main(int argc, char **argv)
{
    static const char *const names[NOPS] = { "domctl", "sysctl", "memory_op", "mmuext_op",
                                             "mmu_update", "evtchn" };
    unsigned long iters = argc > 1 ? strtoul(argv[1], NULL, 0) : 10000;
    unsigned long ok[NOPS] = { 0 }, refused[NOPS] = { 0 };
    struct ctrl ctl;
    struct call *c;

    rng_state = argc > 2 ? strtoull(argv[2], NULL, 0) | 1 : 0x9e3779b97f4a7c15ull;
    if (ctrl_open(&ctl)) {
        perror("tern-fuzz-ctrl: /dev/xen/privcmd");
        return 1;
    }
    c = ctl.call;
    buf = call_buf_alloc(c, BUF);
    if (!buf) {
        fprintf(stderr, "tern-fuzz-ctrl: no hypercall buffer\n");
        return 1;
    }
    for (unsigned long i = 0; i < iters; i++) {
        unsigned int op = (unsigned int)(rnd() % NOPS);
        long rc = fuzz_one(c, op, buf + 4096 * (rnd() % 8));
        if (rc < 0)
            refused[op]++;
        else
            ok[op]++;
    }
    /* leave no domain it made behind: everything above the victims (ids 0 and 1) goes */
    unsigned int made = 0;
    for (unsigned int round = 0; round < 4; round++) {
        xen_domctl_getdomaininfo_t doms[64];
        unsigned int n = 0;
        if (ctrl_domain_list(&ctl, 2, doms, 64, &n) || !n)
            break;
        for (unsigned int i = 0; i < n; i++)
            made += !ctrl_domain_destroy(&ctl, doms[i].domain);
    }
    /* and no stage it made (the hypervisor would drop them after 10 s anyway) */
    for (unsigned int i = 0; i < nstages; i++) {
        struct xen_sysctl op = { .cmd = XEN_SYSCTL_stage };
        op.u.stage.op = XEN_SYSCTL_STAGE_DROP;
        op.u.stage.id = stage_ids[i];
        ctrl_sysctl(&ctl, &op);
    }
    for (unsigned int op = 0; op < NOPS; op++)
        printf("tern-fuzz-ctrl: %-10s %8lu accepted %8lu refused\n", names[op], ok[op], refused[op]);
    printf("tern-fuzz-ctrl: stage %lu created %lu put %lu adopted %lu dropped\n", stage_ok[0], stage_ok[1],
           stage_ok[2], stage_ok[3]);
    printf("tern-fuzz-ctrl: %lu calls, %u domains it made destroyed\n", iters, made);
    ctrl_close(&ctl);
    return 0;
}
