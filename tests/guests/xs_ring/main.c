/*
 * xs_ring: a domU speaking to xenstored through its store ring (start_info.store_mfn), run
 * from dom0 with `tern create`. `mode=good` writes and reads back its own node; the hostile
 * modes break the ring protocol and check that the daemon stops serving this domain alone:
 * `mode=toolong` (a header claiming more than XENSTORE_PAYLOAD_MAX bytes: error COMM),
 * `mode=badidx` (req_prod more than a ring ahead of req_cons: error RINGIDX), `mode=flood`
 * (requests without ever taking a reply: the daemon stops reading them, bounded memory).
 */
#include "pt.h"
#include <public/event_channel.h>
#include <public/io/xs_wire.h>

const char test_title[] = "xenstore ring: service, and the daemon's answer to a hostile ring";

#define SPIN_LIMIT 20000000ULL

static struct xenstore_domain_interface *ring;
static uint64_t put_limit = SPIN_LIMIT; /* yields to wait for room on the request ring */
static uint32_t port, next_id = 1;

static void notify(void)
{
    struct evtchn_send s = { .port = port };
    ASSERT_EQ(hypervisor_event_channel_op(EVTCHNOP_send, &s), 0);
}

static bool cmdline_mode(const char *mode)
{
    const char *s = start_info->cmd_line;
    size_t n = strlen(mode);

    for (; *s; s++)
        if ((s == start_info->cmd_line || s[-1] == ' ') && !strncmp(s, "mode=", 5) &&
            !strncmp(s + 5, mode, n) && (s[5 + n] == ' ' || !s[5 + n]))
            return true;
    return false;
}

/* Puts len bytes on the request ring, waiting (bounded) for room; false if there never is. */
static bool put(const void *data, uint32_t len)
{
    const char *p = data;
    uint64_t spins = 0;

    while (len) {
        uint32_t prod = ring->req_prod;
        uint32_t room = XENSTORE_RING_SIZE - (prod - __atomic_load_n(&ring->req_cons, __ATOMIC_ACQUIRE));
        if (!room) {
            if (++spins > put_limit)
                return false;
            hypervisor_sched_op(SCHEDOP_yield, NULL);
            continue;
        }
        uint32_t n = len < room ? len : room;
        for (uint32_t i = 0; i < n; i++)
            ring->req[MASK_XENSTORE_IDX(prod + i)] = p[i];
        __atomic_store_n(&ring->req_prod, prod + n, __ATOMIC_RELEASE);
        notify();
        p += n;
        len -= n;
    }
    return true;
}

static bool get(void *data, uint32_t len)
{
    char *p = data;
    uint64_t spins = 0;

    while (len) {
        uint32_t cons = ring->rsp_cons;
        if (cons == __atomic_load_n(&ring->rsp_prod, __ATOMIC_ACQUIRE)) {
            if (++spins > SPIN_LIMIT)
                return false;
            hypervisor_sched_op(SCHEDOP_yield, NULL);
            continue;
        }
        *p++ = ring->rsp[MASK_XENSTORE_IDX(cons)];
        __atomic_store_n(&ring->rsp_cons, cons + 1, __ATOMIC_RELEASE);
        len--;
    }
    notify();
    return true;
}

/* One request: "a\0" then optionally "b" (not terminated, as XS_WRITE's value). */
static bool send(uint32_t type, const char *a, const char *b)
{
    uint32_t la = (uint32_t)strlen(a) + 1, lb = b ? (uint32_t)strlen(b) : 0;
    struct xsd_sockmsg h = { .type = type, .req_id = next_id++, .len = la + lb };
    return put(&h, sizeof(h)) && put(a, la) && (!lb || put(b, lb));
}

/* The reply to the last request, NUL-terminated into out; its type, or -1. */
static int64_t reply(char *out, uint32_t cap)
{
    struct xsd_sockmsg h;

    if (!get(&h, sizeof(h)) || h.len >= cap || !get(out, h.len))
        return -1;
    out[h.len] = 0;
    ASSERT_EQ(h.req_id, next_id - 1);
    return h.type;
}

static uint32_t wait_error(void)
{
    for (uint64_t spins = 0; spins < SPIN_LIMIT; spins++) {
        uint32_t e = __atomic_load_n(&ring->error, __ATOMIC_ACQUIRE);
        if (e)
            return e;
        hypervisor_sched_op(SCHEDOP_yield, NULL);
    }
    return 0;
}

void test_main(void)
{
    char buf[256];

    ring = pt_va_of_pfn(pt_pfn_of(start_info->store_mfn));
    port = start_info->store_evtchn;
    if (!start_info->store_mfn || !port)
        test_error("no store ring in start_info");
    ASSERT(ring->server_features & XENSTORE_SERVER_FEATURE_ERROR);

    /* service works to begin with, whatever the mode */
    ASSERT(send(XS_WRITE, "data/xs-ring", "alive"));
    ASSERT_EQ(reply(buf, sizeof(buf)), XS_WRITE);
    ASSERT(!strcmp(buf, "OK"));
    ASSERT(send(XS_READ, "data/xs-ring", NULL));
    ASSERT_EQ(reply(buf, sizeof(buf)), XS_READ);
    ASSERT(!strcmp(buf, "alive"));
    ASSERT(send(XS_READ, "name", NULL));
    ASSERT_EQ(reply(buf, sizeof(buf)), XS_READ);
    guest_printf("xs_ring: served, my name is '%s'\n", buf);

    if (cmdline_mode("good")) {
        ASSERT(send(XS_WRITE, "data/xs-ring", "done"));
        ASSERT_EQ(reply(buf, sizeof(buf)), XS_WRITE);
    } else if (cmdline_mode("toolong")) {
        struct xsd_sockmsg h = { .type = XS_READ, .req_id = next_id++, .len = 0x7fffffff };
        ASSERT(put(&h, sizeof(h)));
        ASSERT_EQ(wait_error(), XENSTORE_ERROR_COMM);
    } else if (cmdline_mode("badidx")) {
        __atomic_store_n(&ring->req_prod, ring->req_cons + 3 * XENSTORE_RING_SIZE, __ATOMIC_RELEASE);
        notify();
        ASSERT_EQ(wait_error(), XENSTORE_ERROR_RINGIDX);
    } else if (cmdline_mode("flood")) {
        /* Never take a reply: once the daemon holds a bounded backlog it stops reading,
         * so the request ring fills and stays full. */
        unsigned int sent = 0;
        put_limit = 300000;
        while (sent < 100000 && send(XS_READ, "data/xs-ring", NULL))
            sent++;
        guest_printf("xs_ring: the daemon stopped taking requests after %u\n", sent);
        ASSERT(sent < 100000);
        ASSERT_EQ(ring->error, 0);
    } else {
        test_error("no mode=good|toolong|badidx|flood on the command line");
    }
    if (!cmdline_mode("good"))
        guest_printf("xs_ring: the daemon's error field is %u\n", ring->error);
}
