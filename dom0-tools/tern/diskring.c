/*
 * blkif requests served by grant copy (see diskring.h). Layouts are the x86-64 blkif ABI
 * (Xen's public io/blkif.h and io/ring.h): a one-page ring of 32 slots of 112 bytes after a
 * 64-byte header; a request is copied out of its slot before it is looked at, since the
 * guest may change the slot under us.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <public/grant_table.h> /* grant_ref_t and domid_t, which gntdev.h expects */
#include <public/xen.h>
#include <xen/gntdev.h>

#include "diskring.h"

#define OP_READ 0
#define OP_WRITE 1
#define OP_FLUSH 3
#define OP_INDIRECT 6
#define RSP_OKAY 0
#define RSP_ERROR (-1)
#define RSP_EOPNOTSUPP (-2)
#define SEGS_DIRECT 11
#define SLOTS 32u
#define SLOT_BYTES 112
#define SECTOR 512u
#define PAGE 4096u

struct sring {
    uint32_t req_prod, req_event, rsp_prod, rsp_event;
    uint8_t pad[48];
    uint8_t slot[SLOTS][SLOT_BYTES];
};

struct seg {
    uint32_t gref;
    uint8_t first, last;
    uint16_t pad;
};

struct req {
    uint8_t op, nr;
    uint16_t handle;
    uint32_t pad;
    uint64_t id, sector;
    struct seg seg[SEGS_DIRECT];
};

struct req_indirect {
    uint8_t op, indirect_op;
    uint16_t nr;
    uint32_t pad;
    uint64_t id, sector;
    uint16_t handle, pad2;
    uint32_t grefs[8];
};

struct rsp {
    uint64_t id;
    uint8_t op, pad;
    int16_t status;
    uint32_t pad2;
};

_Static_assert(sizeof(struct sring) == 64 + SLOTS * SLOT_BYTES, "ring layout");
_Static_assert(sizeof(struct req) == SLOT_BYTES, "request layout");
_Static_assert(offsetof(struct req_indirect, grefs) == 28, "indirect request layout");
_Static_assert(sizeof(struct rsp) == 16, "response layout");

/* One request of a batch, as taken off the ring. */
struct job {
    uint8_t op;       /* as the guest sent it */
    uint8_t data_op;  /* an indirect request's read or write, else op: what the response echoes */
    uint16_t nr;
    uint64_t id, sector;
    int16_t status;
    uint32_t indirect_gref;
    struct seg seg[SEGS_DIRECT];
};

/* One segment to move between the image and a guest page. */
struct move {
    uint64_t pos;     /* in the image */
    uint32_t gref;
    uint16_t offset, len;
    uint16_t job;
    bool read;
    uint8_t *page;    /* the guest's page mapped here (persistent grants), else NULL */
};

static struct job jobs[SLOTS];
static struct seg indirect[SLOTS][DISKRING_MAX_INDIRECT];
static struct move moves[SLOTS * DISKRING_MAX_INDIRECT];

static struct gntdev_grant_copy_segment copies[DISKRING_BOUNCE];

static uint32_t load(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static uint8_t *bounce(struct diskring *r, unsigned int k)
{
    return r->bounce + (size_t)k * PAGE;
}

/* Entry k of the copy list: between bounce page k and the guest's grant. */
static void copy_entry(struct diskring *r, unsigned int k, uint32_t gref, uint16_t offset, uint16_t len,
                       bool to_guest)
{
    struct gntdev_grant_copy_segment *c = &copies[k];
    struct { uint32_t ref; uint16_t offset, domid; } ours = { r->bounce_gref[k], 0, DOMID_SELF },
        theirs = { gref, offset, r->domid };

    memset(c, 0, sizeof(*c));
    c->source.foreign.ref = to_guest ? ours.ref : theirs.ref;
    c->source.foreign.offset = to_guest ? ours.offset : theirs.offset;
    c->source.foreign.domid = to_guest ? ours.domid : theirs.domid;
    c->dest.foreign.ref = to_guest ? theirs.ref : ours.ref;
    c->dest.foreign.offset = to_guest ? theirs.offset : ours.offset;
    c->dest.foreign.domid = to_guest ? theirs.domid : ours.domid;
    c->len = len;
    c->flags = GNTCOPY_source_gref | GNTCOPY_dest_gref;
}

/* Runs entries [0, n) of the copy list: 0, or -errno when the call failed as a whole. */
static int grant_copy(struct diskring *r, unsigned int n)
{
    struct ioctl_gntdev_grant_copy op = { .count = n, .segments = copies };

    return n && ioctl(r->gnt, IOCTL_GNTDEV_GRANT_COPY, &op) ? -errno : 0;
}

/* The slot's request, copied out once, as a job (status set when it is refused outright). */
static void take(struct diskring *r, const uint8_t *slot, struct job *j)
{
    struct req q;

    memcpy(&q, slot, sizeof(q));
    memset(j, 0, sizeof(*j));
    j->op = j->data_op = q.op;
    j->id = q.id;
    j->sector = q.sector;
    if (q.op == OP_READ || q.op == OP_WRITE) {
        j->nr = q.nr;
        memcpy(j->seg, q.seg, sizeof(j->seg));
        if (!q.nr || q.nr > SEGS_DIRECT)
            j->status = RSP_ERROR;
    } else if (q.op == OP_INDIRECT) {
        struct req_indirect in;

        memcpy(&in, slot, sizeof(in));
        j->id = in.id;
        j->sector = in.sector;
        j->data_op = in.indirect_op;
        j->nr = in.nr;
        j->indirect_gref = in.grefs[0];
        if ((in.indirect_op != OP_READ && in.indirect_op != OP_WRITE) || !in.nr ||
            in.nr > DISKRING_MAX_INDIRECT)
            j->status = RSP_ERROR;
    } else if (q.op != OP_FLUSH)
        j->status = RSP_EOPNOTSUPP;
    if (!j->status && j->data_op == OP_WRITE && !r->writable)
        j->status = RSP_ERROR;
}

/* Reads the segment lists of the batch's indirect requests (one page each at most). */
static void fetch_indirect(struct diskring *r, unsigned int n)
{
    unsigned int c = 0, at[SLOTS];

    for (unsigned int i = 0; i < n; i++) {
        struct job *j = &jobs[i];
        if (j->op != OP_INDIRECT || j->status)
            continue;
        const uint8_t *page = r->persistent ? diskmap_get(r, j->indirect_gref) : NULL;
        if (page) {
            memcpy(indirect[i], page, j->nr * sizeof(struct seg));
            continue;
        }
        at[c] = i;
        copy_entry(r, c++, j->indirect_gref, 0, (uint16_t)(j->nr * sizeof(struct seg)), false);
    }
    int rc = grant_copy(r, c);
    for (unsigned int k = 0; k < c; k++) {
        if (rc || copies[k].status)
            jobs[at[k]].status = RSP_ERROR;
        else
            memcpy(indirect[at[k]], bounce(r, k), jobs[at[k]].nr * sizeof(struct seg));
    }
}

/* Adds job i's segments to the move list from *count; refuses the job if any segment is
 * malformed or falls outside the image. */
static void plan(struct diskring *r, unsigned int i, uint32_t *count)
{
    struct job *j = &jobs[i];
    const struct seg *segs = j->op == OP_INDIRECT ? indirect[i] : j->seg;
    uint64_t pos = j->sector * SECTOR;

    if (j->sector > r->size / SECTOR) {
        j->status = RSP_ERROR;
        return;
    }
    for (unsigned int s = 0; s < j->nr; s++) {
        struct seg g = segs[s];
        if (g.first > g.last || g.last >= PAGE / SECTOR) {
            j->status = RSP_ERROR;
            return;
        }
        uint16_t off = (uint16_t)(g.first * SECTOR), len = (uint16_t)((g.last - g.first + 1) * SECTOR);
        if (pos + len > r->size) {
            j->status = RSP_ERROR;
            return;
        }
        moves[*count + s] = (struct move){ pos, g.gref, off, len, (uint16_t)i, j->data_op == OP_READ,
                                          r->persistent ? diskmap_get(r, g.gref) : NULL };
        pos += len;
    }
    *count += j->nr;
}

/* Moves [0, count): a mapped page with one memcpy; the others through the bounce pages, a
 * bounce-full at a time, a failed copy failing its request only. */
static void run_moves(struct diskring *r, uint32_t count)
{
    uint32_t n = 0, at[DISKRING_BOUNCE];

    for (uint32_t i = 0; i <= count; i++) {
        if (i < count && moves[i].page) {
            const struct move *m = &moves[i];
            if (m->read)
                memcpy(m->page + m->offset, r->image + m->pos, m->len);
            else
                memcpy(r->image + m->pos, m->page + m->offset, m->len);
            continue;
        }
        if (i < count) {
            const struct move *m = &moves[i];
            if (m->read)
                memcpy(bounce(r, n), r->image + m->pos, m->len);
            copy_entry(r, n, m->gref, m->offset, m->len, m->read);
            at[n++] = i;
        }
        if (n == DISKRING_BOUNCE || (i == count && n)) {
            int rc = grant_copy(r, n);
            for (uint32_t k = 0; k < n; k++) {
                const struct move *m = &moves[at[k]];
                if (rc || copies[k].status)
                    jobs[m->job].status = RSP_ERROR;
                else if (!m->read)
                    memcpy(r->image + m->pos, bounce(r, k), m->len);
            }
            n = 0;
        }
    }
}

static void respond(struct diskring *r, struct sring *s, const struct job *j)
{
    struct rsp p = { .id = j->id, .op = j->data_op, .status = j->status };

    memcpy(s->slot[r->rsp_prod % SLOTS], &p, sizeof(p));
    r->rsp_prod++;
    r->requests++;
    r->errors += j->status != RSP_OKAY;
}

bool diskring_serve(struct diskring *r, char *why, unsigned int len)
{
    struct sring *s = r->sring;
    uint32_t old = load(&s->rsp_prod);

    while (!r->broken) {
        uint32_t prod = load(&s->req_prod), n = prod - r->req_cons;
        if (prod - r->rsp_prod > SLOTS) {
            snprintf(why, len, "frontend's request index %u is %u ahead of our responses (ring of %u)",
                     prod, prod - r->rsp_prod, SLOTS);
            r->broken = true;
            break;
        }
        if (!n) {
            store(&s->req_event, r->req_cons + 1);
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            if (load(&s->req_prod) == r->req_cons)
                break;
            continue;
        }
        for (uint32_t i = 0; i < n; i++)
            take(r, s->slot[(r->req_cons + i) % SLOTS], &jobs[i]);
        r->req_cons = prod;
        fetch_indirect(r, n);
        /* a flush covers the writes before it: their moves run first */
        uint32_t count = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (jobs[i].status)
                continue;
            if (jobs[i].op == OP_FLUSH) {
                run_moves(r, count);
                count = 0;
                if (fdatasync(r->image_fd) && errno != EINVAL)
                    jobs[i].status = RSP_ERROR;
                continue;
            }
            plan(r, i, &count);
        }
        run_moves(r, count);
        for (uint32_t i = 0; i < n; i++)
            respond(r, s, &jobs[i]);
        store(&s->rsp_prod, r->rsp_prod);
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint32_t now = r->rsp_prod, event = load(&s->rsp_event);
    return now != old && (uint32_t)(now - event) < (uint32_t)(now - old);
}
