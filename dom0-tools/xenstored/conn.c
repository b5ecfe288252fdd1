/*
 * Connections: reading whole requests from a socket or a store ring, and queueing replies
 * and watch events. A ring is guest memory: indexes are read once and checked, and a
 * malformed message stops service to that domain alone (the ring's error field says why).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../lib/foreign/foreign.h"
#include "xenstored.h"

struct conn *conn_new(struct xsd *x, enum conn_kind kind, uint16_t domid, bool privileged)
{
    struct conn *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->kind = kind;
    c->domid = domid;
    c->privileged = privileged;
    c->fd = -1;
    c->port = -1;
    c->next = x->conns;
    x->conns = c;
    return c;
}

static void free_bufs(struct buf *b)
{
    while (b) {
        struct buf *n = b->next;
        free(b);
        b = n;
    }
}

void conn_close(struct xsd *x, struct conn *c)
{
    c->broken = c->dead = true;
    watch_free_all(c);
    txn_free_all(c);
    free_bufs(c->out);
    free_bufs(c->evq);
    c->out = c->out_tail = c->evq = c->evq_tail = NULL;
    c->out_bytes = 0;
    if (c->fd >= 0)
        close(c->fd);
    if (c->port >= 0 && x->have_xen)
        evtchn_unbind(&x->ev, (uint32_t)c->port);
    if (c->ring && c->ring_foreign)
        foreign_unmap(c->ring, 1);
    else if (c->ring)
        munmap(c->ring, 4096);
    c->fd = c->port = -1;
    c->ring = NULL;
}

void conn_reap(struct xsd *x)
{
    for (struct conn **p = &x->conns; *p;) {
        struct conn *c = *p;
        if (c->dead) {
            *p = c->next;
            free(c);
        } else {
            p = &c->next;
        }
    }
}

static void queue(struct conn *c, struct buf *b, bool deferred)
{
    struct buf **head = deferred ? &c->evq : &c->out, **tail = deferred ? &c->evq_tail : &c->out_tail;

    if (*tail)
        (*tail)->next = b;
    else
        *head = b;
    *tail = b;
    c->out_bytes += b->len;
}

static void send_msg(struct xsd *x, struct conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
                     const void *a, size_t alen, const void *b, size_t blen, bool event)
{
    struct xsd_sockmsg h = { type, req_id, tx_id, (uint32_t)(alen + blen) };
    struct buf *m;

    if (c->broken)
        return;
    if (event && c->out_bytes > OUT_LIMIT) {
        if (!c->dropped++)
            xsd_log(x, "domain %u is not reading its store connection: dropping watch events", c->domid);
        return;
    }
    if (!(m = malloc(sizeof(*m) + sizeof(h) + alen + blen))) {
        xsd_log(x, "out of memory: a message to domain %u lost", c->domid);
        return;
    }
    m->next = NULL;
    m->off = 0;
    m->len = (uint32_t)(sizeof(h) + alen + blen);
    memcpy(m->data, &h, sizeof(h));
    if (alen)
        memcpy(m->data + sizeof(h), a, alen);
    if (blen)
        memcpy(m->data + sizeof(h) + alen, b, blen);
    queue(c, m, event && c == x->current);
}

void conn_send(struct xsd *x, struct conn *c, const struct xsd_sockmsg *req, uint32_t type,
               const void *data, size_t len)
{
    send_msg(x, c, type, req->req_id, req->tx_id, data, len, NULL, 0, false);
}

void conn_event(struct xsd *x, struct conn *c, const char *path, const char *token)
{
    send_msg(x, c, XS_WATCH_EVENT, 0, 0, path, strlen(path) + 1, token, strlen(token) + 1, true);
}

static void stop_serving(struct xsd *x, struct conn *c, uint32_t why, const char *what)
{
    xsd_log(x, "domain %u: %s; its store connection is closed", c->domid, what);
    c->broken = true;
    if (c->ring) {
        c->ring->error = why;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
    }
    free_bufs(c->out);
    c->out = c->out_tail = NULL;
    c->out_bytes = 0;
}

/* Takes up to len bytes of the request stream; handles each request once whole. */
static void take(struct xsd *x, struct conn *c, const char *data, size_t len)
{
    while (len && !c->broken) {
        size_t want, n;
        if (c->in_got < sizeof(c->hdr)) {
            want = sizeof(c->hdr) - c->in_got;
            n = len < want ? len : want;
            memcpy((char *)&c->hdr + c->in_got, data, n);
        } else {
            want = sizeof(c->hdr) + c->hdr.len - c->in_got;
            n = len < want ? len : want;
            memcpy(c->in + c->in_got - sizeof(c->hdr), data, n);
        }
        c->in_got += (uint32_t)n;
        data += n;
        len -= n;
        if (c->in_got == sizeof(c->hdr) && c->hdr.len > XENSTORE_PAYLOAD_MAX) {
            stop_serving(x, c, XENSTORE_ERROR_COMM, "a message longer than the protocol allows");
            return;
        }
        if (c->in_got >= sizeof(c->hdr) && c->in_got == sizeof(c->hdr) + c->hdr.len) {
            c->in[c->hdr.len] = 0;
            c->in_got = 0;
            xsd_request(x, c, &c->hdr, c->in);
        }
    }
}

static void ring_input(struct xsd *x, struct conn *c)
{
    struct xenstore_domain_interface *r = c->ring;
    char buf[XENSTORE_RING_SIZE];
    uint32_t cons = __atomic_load_n(&r->req_cons, __ATOMIC_ACQUIRE);
    uint32_t prod = __atomic_load_n(&r->req_prod, __ATOMIC_ACQUIRE);
    uint32_t n = prod - cons;

    if (n > XENSTORE_RING_SIZE) {
        stop_serving(x, c, XENSTORE_ERROR_RINGIDX, "impossible store ring indexes");
        return;
    }
    for (uint32_t i = 0; i < n; i++)
        buf[i] = r->req[MASK_XENSTORE_IDX(cons + i)];
    __atomic_store_n(&r->req_cons, prod, __ATOMIC_RELEASE);
    if (n && x->have_xen)
        evtchn_notify(&x->ev, (uint32_t)c->port); /* room for more requests */
    take(x, c, buf, n);
}

void conn_input(struct xsd *x, struct conn *c)
{
    char buf[4096];
    ssize_t n;

    if (c->broken || c->out_bytes > OUT_LIMIT)
        return; /* wait until it takes its replies */
    if (c->kind == CONN_RING) {
        ring_input(x, c);
        return;
    }
    n = read(c->fd, buf, sizeof(buf));
    if (n <= 0) {
        if (n == 0 || (errno != EAGAIN && errno != EINTR))
            c->broken = true; /* main.c closes it */
        return;
    }
    take(x, c, buf, (size_t)n);
}

static size_t ring_write(struct xsd *x, struct conn *c, const char *data, size_t len)
{
    struct xenstore_domain_interface *r = c->ring;
    uint32_t cons = __atomic_load_n(&r->rsp_cons, __ATOMIC_ACQUIRE);
    uint32_t prod = r->rsp_prod;
    uint32_t used = prod - cons;
    size_t n = 0;

    if (used > XENSTORE_RING_SIZE) {
        stop_serving(x, c, XENSTORE_ERROR_RINGIDX, "impossible store ring indexes");
        return 0;
    }
    while (n < len && used + n < XENSTORE_RING_SIZE) {
        r->rsp[MASK_XENSTORE_IDX(prod + (uint32_t)n)] = data[n];
        n++;
    }
    __atomic_store_n(&r->rsp_prod, prod + (uint32_t)n, __ATOMIC_RELEASE);
    return n;
}

bool conn_flush(struct xsd *x, struct conn *c)
{
    bool wrote = false;

    while (c->out && !c->broken) {
        struct buf *b = c->out;
        ssize_t n;
        if (c->kind == CONN_RING) {
            n = (ssize_t)ring_write(x, c, b->data + b->off, b->len - b->off);
        } else {
            n = write(c->fd, b->data + b->off, b->len - b->off);
            if (n < 0 && errno != EAGAIN && errno != EINTR)
                return false;
        }
        if (n <= 0)
            break;
        wrote = true;
        b->off += (uint32_t)n;
        if (b->off < b->len)
            break;
        c->out_bytes -= b->len;
        c->out = b->next;
        if (!c->out)
            c->out_tail = NULL;
        free(b);
    }
    if (wrote && c->kind == CONN_RING && x->have_xen)
        evtchn_notify(&x->ev, (uint32_t)c->port);
    return true;
}
