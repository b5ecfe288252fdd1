/*
 * xs_hostile_blk: a domU with a disk (created from dom0 with `disk = [ ... ]`) that plays
 * blkfront badly against dom0's blkback. It connects its ring the proper way, checks that a
 * good read is served, then sends requests that are wrong (an ungranted ref, a ref granting
 * a frame it does not own, an unknown operation, too many segments, an inverted sector
 * range), floods the ring's event channel, fills the ring with garbage and finally claims
 * more requests than the ring holds. Each wrong request must fail alone; after the overflow
 * blkback stops serving this ring. Then it says so in the store (data/hostile = done) and
 * ignores the backend's request to close, until dom0 cuts the device off (`tern
 * block-detach -f`): it must see its device directory go. dom0, the hypervisor and other
 * guests are checked by the dom0 script that runs it (hostile.sh).
 */
#include "front.h"

const char test_title[] = "a hostile blkfront: wrong requests, event flood, ring garbage, overflow";

/* The block ring, as Xen's io/blkif.h and io/ring.h lay it out (x86-64). */
#define BLK_OP_READ 0
#define BLK_MAX_SEGS 11
#define BLK_RSP_OKAY 0

struct blk_seg {
    uint32_t gref;
    uint8_t first_sect, last_sect;
    uint16_t pad;
};

struct blk_req {
    uint8_t operation, nr_segments;
    uint16_t handle;
    uint32_t pad;
    uint64_t id, sector;
    struct blk_seg seg[BLK_MAX_SEGS];
};

struct blk_rsp {
    uint64_t id;
    uint8_t operation;
    uint8_t pad;
    int16_t status;
    uint32_t pad2;
};

union blk_entry {
    struct blk_req req;
    struct blk_rsp rsp;
};

struct blk_sring {
    struct ring_head h;
    union blk_entry ring[32]; /* (4096 - 64) / 112 rounded down to a power of two */
};

_Static_assert(sizeof(struct blk_req) == 112, "blkif request layout");
_Static_assert(sizeof(struct blk_rsp) == 16, "blkif response layout");
_Static_assert(sizeof(struct blk_sring) <= 4096, "one page");

#define RING_ENTRIES 32
#define RING_PFN 770
#define DATA_PFN 771
enum { REF_RING = 8, REF_DATA = 9, REF_FOREIGN = 10, REF_NEVER = 11 };
#define WAIT_YIELDS 3000000ULL

static struct front f;
static struct blk_sring *sring;
static uint32_t req_prod, rsp_cons;

static void push(const struct blk_req *r)
{
    sring->ring[req_prod % RING_ENTRIES].req = *r;
    req_prod++;
    __atomic_store_n(&sring->h.req_prod, req_prod, __ATOMIC_RELEASE);
}

/* Waits (bounded) for the response to request id; its status, or 99 when none came. */
static int16_t response(uint64_t id)
{
    for (uint64_t i = 0; i < WAIT_YIELDS; i++) {
        if (rsp_cons != __atomic_load_n(&sring->h.rsp_prod, __ATOMIC_ACQUIRE)) {
            struct blk_rsp r = sring->ring[rsp_cons % RING_ENTRIES].rsp;
            rsp_cons++;
            if (r.id == id)
                return r.status;
            continue;
        }
        hypervisor_sched_op(SCHEDOP_yield, NULL);
    }
    return 99;
}

static struct blk_req read_req(uint64_t id, uint32_t gref)
{
    struct blk_req r = { .operation = BLK_OP_READ, .nr_segments = 1, .id = id, .sector = 0 };

    r.seg[0] = (struct blk_seg){ .gref = gref, .first_sect = 0, .last_sect = 7 };
    return r;
}

static int16_t one(struct blk_req r)
{
    push(&r);
    front_kick(&f);
    return response(r.id);
}

static void connect_ring(void)
{
    char val[32];

    memset(sring, 0, 4096);
    front_grant(&f, REF_RING, pt_mfn_of(RING_PFN), false);
    front_grant(&f, REF_DATA, pt_mfn_of(DATA_PFN), false);
    front_channel(&f);
    guest_snprintf(val, sizeof(val), "%u", REF_RING);
    ASSERT(front_write(&f, "ring-ref", val));
    guest_snprintf(val, sizeof(val), "%u", f.port);
    ASSERT(front_write(&f, "event-channel", val));
    ASSERT(front_write(&f, "protocol", "x86_64-abi"));
    ASSERT(front_write(&f, "state", "3"));
    if (front_backend_state(&f, 4) != 4)
        test_error("blkback never connected the ring");
    front_backend_read(&f, "sectors", val, sizeof(val));
    guest_printf("hostile_blk: connected to %s, %s sectors, event channel %u\n", f.backend, val, f.port);
}

void test_main(void)
{
    unsigned int answered = 0, failed = 0;

    front_open(&f, "vbd", "51712"); /* xvda */
    sring = pt_va_of_pfn(RING_PFN);
    connect_ring();

    /* served when asked properly */
    ASSERT_EQ(one(read_req(1, REF_DATA)), BLK_RSP_OKAY);

    /* wrong requests: each fails alone */
    struct blk_req bad[5] = { read_req(2, REF_NEVER), read_req(3, REF_FOREIGN), read_req(4, REF_DATA),
                              read_req(5, REF_DATA), read_req(6, REF_DATA) };
    /* a frame that is not ours: the hypervisor must refuse blkback's map of it */
    front_grant(&f, REF_FOREIGN, 0x100, false);
    bad[2].operation = 0x77;
    bad[3].nr_segments = 200;
    bad[4].seg[0].first_sect = 7;
    bad[4].seg[0].last_sect = 1;
    for (unsigned int i = 0; i < 5; i++) {
        int16_t st = one(bad[i]);
        guest_printf("hostile_blk: wrong request %u: status %d\n", i, st);
        ASSERT(st != BLK_RSP_OKAY);
    }
    ASSERT_EQ(one(read_req(7, REF_DATA)), BLK_RSP_OKAY);

    /* an event flood on the ring's channel */
    for (unsigned int i = 0; i < 200000; i++)
        front_kick(&f);
    ASSERT_EQ(one(read_req(8, REF_DATA)), BLK_RSP_OKAY);
    guest_printf("hostile_blk: served after 200000 events\n");

    /* a ring full of garbage */
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (unsigned int i = 0; i < RING_ENTRIES; i++) {
        uint64_t *w = (uint64_t *)&sring->ring[(req_prod + i) % RING_ENTRIES].req;
        for (unsigned int k = 0; k < sizeof(struct blk_req) / 8; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            w[k] = x;
        }
    }
    req_prod += RING_ENTRIES;
    __atomic_store_n(&sring->h.req_prod, req_prod, __ATOMIC_RELEASE);
    front_kick(&f);
    for (uint64_t i = 0; i < WAIT_YIELDS && answered < RING_ENTRIES; i++) {
        if (rsp_cons != __atomic_load_n(&sring->h.rsp_prod, __ATOMIC_ACQUIRE)) {
            failed += sring->ring[rsp_cons % RING_ENTRIES].rsp.status != BLK_RSP_OKAY;
            rsp_cons++;
            answered++;
        } else {
            hypervisor_sched_op(SCHEDOP_yield, NULL);
        }
    }
    guest_printf("hostile_blk: garbage: %u answered, %u of them failed\n", answered, failed);
    ASSERT_EQ(answered, RING_ENTRIES);

    /* more requests than the ring holds: blkback stops serving this ring */
    req_prod = rsp_cons + 10 * RING_ENTRIES;
    __atomic_store_n(&sring->h.req_prod, req_prod, __ATOMIC_RELEASE);
    front_kick(&f);
    front_pause(20000);
    uint32_t before = sring->h.rsp_prod;
    req_prod = before;
    ASSERT_EQ(one(read_req(9, REF_DATA)), 99);
    guest_printf("hostile_blk: after the overflow the ring is not served (rsp_prod %u)\n", before);

    /* a frontend that never closes: dom0's block-detach gives up, -f removes the device */
    ASSERT(xs_write("data/hostile", "done"));
    char val[16];
    unsigned int looks = 0;
    while (xs_read("device/vbd/51712/state", val, sizeof(val)) && looks++ < 200000)
        front_pause(100);
    ASSERT(looks < 200000);
    guest_printf("hostile_blk: the device was taken away (%u looks)\n", looks);
}
