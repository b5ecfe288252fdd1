/*
 * xs_ring: a domU speaking to xenstored through its store ring (start_info.store_mfn), run
 * from dom0 with `tern create`. `mode=good` writes and reads back its own node; the hostile
 * modes break the ring protocol and check that the daemon stops serving this domain alone:
 * `mode=toolong` (a header claiming more than XENSTORE_PAYLOAD_MAX bytes: error COMM),
 * `mode=badidx` (req_prod more than a ring ahead of req_cons: error RINGIDX), `mode=flood`
 * (requests without ever taking a reply: the daemon stops reading them, bounded memory).
 */
#include "pt.h"
#include "xs.h"

const char test_title[] = "xenstore ring: service, and the daemon's answer to a hostile ring";

#define SPIN_LIMIT 20000000ULL

static uint32_t wait_error(void)
{
    for (uint64_t spins = 0; spins < SPIN_LIMIT; spins++) {
        uint32_t e = __atomic_load_n(&xs_ring->error, __ATOMIC_ACQUIRE);
        if (e)
            return e;
        hypervisor_sched_op(SCHEDOP_yield, NULL);
    }
    return 0;
}

void test_main(void)
{
    char buf[256];

    if (!xs_init())
        test_error("no store ring in start_info");
    ASSERT(xs_ring->server_features & XENSTORE_SERVER_FEATURE_ERROR);

    /* service works to begin with, whatever the mode */
    ASSERT(xs_send(XS_WRITE, "data/xs-ring", "alive"));
    ASSERT_EQ(xs_reply(buf, sizeof(buf)), XS_WRITE);
    ASSERT(!strcmp(buf, "OK"));
    ASSERT(xs_send(XS_READ, "data/xs-ring", NULL));
    ASSERT_EQ(xs_reply(buf, sizeof(buf)), XS_READ);
    ASSERT(!strcmp(buf, "alive"));
    ASSERT(xs_send(XS_READ, "name", NULL));
    ASSERT_EQ(xs_reply(buf, sizeof(buf)), XS_READ);
    guest_printf("xs_ring: served, my name is '%s'\n", buf);

    if (cmdline_word("mode", "good")) {
        ASSERT(xs_send(XS_WRITE, "data/xs-ring", "done"));
        ASSERT_EQ(xs_reply(buf, sizeof(buf)), XS_WRITE);
    } else if (cmdline_word("mode", "toolong")) {
        struct xsd_sockmsg h = { .type = XS_READ, .req_id = xs_req_id++, .len = 0x7fffffff };
        ASSERT(xs_put(&h, sizeof(h)));
        ASSERT_EQ(wait_error(), XENSTORE_ERROR_COMM);
    } else if (cmdline_word("mode", "badidx")) {
        __atomic_store_n(&xs_ring->req_prod, xs_ring->req_cons + 3 * XENSTORE_RING_SIZE, __ATOMIC_RELEASE);
        xs_notify();
        ASSERT_EQ(wait_error(), XENSTORE_ERROR_RINGIDX);
    } else if (cmdline_word("mode", "flood")) {
        /* Never take a reply: once the daemon holds a bounded backlog it stops reading,
         * so the request ring fills and stays full. */
        unsigned int sent = 0;
        xs_put_limit = 300000;
        while (sent < 100000 && xs_send(XS_READ, "data/xs-ring", NULL))
            sent++;
        guest_printf("xs_ring: the daemon stopped taking requests after %u\n", sent);
        ASSERT(sent < 100000);
        ASSERT_EQ(xs_ring->error, 0);
    } else {
        test_error("no mode=good|toolong|badidx|flood on the command line");
    }
    if (!cmdline_word("mode", "good"))
        guest_printf("xs_ring: the daemon's error field is %u\n", xs_ring->error);
}
