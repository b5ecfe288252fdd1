/*
 * xs_hostile_net: a domU with a vif (created from dom0 with `vif = [ ... ]`) that plays
 * netfront badly against dom0's netback. It connects its rings the proper way and sends one
 * good frame, then frames that are wrong (an ungranted ref, a ref granting a frame it does
 * not own, shorter than an Ethernet header), floods the event channel, and finally sends a
 * request crossing its page, which netback takes as fatal: it disables this vif alone. dom0
 * and the other guests are checked by the dom0 script that runs it (hostile_net.sh).
 */
#include "front.h"

const char test_title[] = "a hostile netfront: wrong frames, event flood, a fatal request";

/* The tx and rx rings, as Xen's io/netif.h and io/ring.h lay them out. */
struct tx_req {
    uint32_t gref;
    uint16_t offset, flags, id, size;
};

struct tx_rsp {
    uint16_t id;
    int16_t status;
};

union tx_entry {
    struct tx_req req;
    struct tx_rsp rsp;
};

struct tx_sring {
    struct ring_head h;
    union tx_entry ring[256]; /* (4096 - 64) / 12 rounded down to a power of two */
};

_Static_assert(sizeof(struct tx_req) == 12, "netif tx request layout");
_Static_assert(sizeof(struct tx_sring) <= 4096, "one page");

#define TX_ENTRIES 256
#define TX_PFN 770
#define RX_PFN 771
#define DATA_PFN 772
#define RSP_OKAY 0
#define NO_RESPONSE 99
enum { REF_TX = 8, REF_RX = 9, REF_DATA = 10, REF_FOREIGN = 11, REF_NEVER = 12 };
#define WAIT_YIELDS 2000000ULL

static struct front f;
static struct tx_sring *tx;
static uint32_t req_prod, rsp_cons;

/* Sends one request and waits (bounded) for its response: the status, or NO_RESPONSE. */
static int16_t send(uint32_t gref, uint16_t offset, uint16_t size, uint16_t id)
{
    tx->ring[req_prod % TX_ENTRIES].req = (struct tx_req){ .gref = gref, .offset = offset, .id = id,
                                                           .size = size };
    req_prod++;
    __atomic_store_n(&tx->h.req_prod, req_prod, __ATOMIC_RELEASE);
    front_kick(&f);
    for (uint64_t i = 0; i < WAIT_YIELDS; i++) {
        if (rsp_cons != __atomic_load_n(&tx->h.rsp_prod, __ATOMIC_ACQUIRE)) {
            struct tx_rsp r = tx->ring[rsp_cons % TX_ENTRIES].rsp;
            rsp_cons++;
            if (r.id == id)
                return r.status;
            continue;
        }
        hypervisor_sched_op(SCHEDOP_yield, NULL);
    }
    return NO_RESPONSE;
}

/* A broadcast frame of a local experimental ethertype, from our MAC. */
static void make_frame(const char *mac)
{
    uint8_t *d = pt_va_of_pfn(DATA_PFN);

    memset(d, 0, 4096);
    memset(d, 0xff, 6);
    for (int i = 0; i < 6; i++) {
        unsigned int b = 0;
        for (int k = 0; k < 2; k++) {
            char c = mac[3 * i + k];
            b = b * 16 + (unsigned int)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        }
        d[6 + i] = (uint8_t)b;
    }
    d[12] = 0x88;
    d[13] = 0xb5;
    memcpy(d + 14, "tern hostile netfront", 21);
}

static void connect_rings(void)
{
    char val[32], mac[32];

    memset(tx, 0, 4096);
    memset(pt_va_of_pfn(RX_PFN), 0, 4096);
    front_grant(&f, REF_TX, pt_mfn_of(TX_PFN), false);
    front_grant(&f, REF_RX, pt_mfn_of(RX_PFN), false);
    front_grant(&f, REF_DATA, pt_mfn_of(DATA_PFN), true);
    front_channel(&f);
    guest_snprintf(val, sizeof(val), "%u", REF_TX);
    ASSERT(front_write(&f, "tx-ring-ref", val));
    guest_snprintf(val, sizeof(val), "%u", REF_RX);
    ASSERT(front_write(&f, "rx-ring-ref", val));
    guest_snprintf(val, sizeof(val), "%u", f.port);
    ASSERT(front_write(&f, "event-channel", val));
    ASSERT(front_write(&f, "request-rx-copy", "1"));
    ASSERT(front_write(&f, "feature-rx-notify", "1"));
    ASSERT(front_write(&f, "state", "4"));
    if (front_backend_state(&f, 4) != 4)
        test_error("netback never connected the rings");
    if (!front_backend_read(&f, "mac", mac, sizeof(mac)))
        test_error("no mac in the backend");
    make_frame(mac);
    guest_printf("hostile_net: connected to %s (mac %s), event channel %u\n", f.backend, mac, f.port);
}

void test_main(void)
{
    int16_t st;

    front_open(&f, "vif", "0");
    tx = pt_va_of_pfn(TX_PFN);
    connect_rings();

    ASSERT_EQ(send(REF_DATA, 0, 60, 1), RSP_OKAY);

    /* wrong frames: each fails alone */
    front_grant(&f, REF_FOREIGN, 0x100, true); /* a frame that is not ours */
    st = send(REF_NEVER, 0, 60, 2);
    guest_printf("hostile_net: ungranted ref: status %d\n", st);
    ASSERT(st != RSP_OKAY && st != NO_RESPONSE);
    st = send(REF_FOREIGN, 0, 60, 3);
    guest_printf("hostile_net: a frame not ours: status %d\n", st);
    ASSERT(st != RSP_OKAY && st != NO_RESPONSE);
    st = send(REF_DATA, 0, 8, 4);
    guest_printf("hostile_net: 8 bytes: status %d\n", st);
    ASSERT(st != RSP_OKAY && st != NO_RESPONSE);
    ASSERT_EQ(send(REF_DATA, 0, 60, 5), RSP_OKAY);

    for (unsigned int i = 0; i < 200000; i++)
        front_kick(&f);
    ASSERT_EQ(send(REF_DATA, 0, 60, 6), RSP_OKAY);
    guest_printf("hostile_net: served after 200000 events\n");

    /* a request crossing its page: netback disables this vif, nothing more is served */
    st = send(REF_DATA, 4000, 1000, 7);
    guest_printf("hostile_net: a request across its page: status %d\n", st);
    ASSERT_EQ(send(REF_DATA, 0, 60, 8), NO_RESPONSE);
    guest_printf("hostile_net: nothing served after it\n");
}
