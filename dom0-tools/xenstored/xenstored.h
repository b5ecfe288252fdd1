/*
 * xenstored: the daemon's shared state. Connections are Unix-socket clients (dom0's tools)
 * and domains' store rings (dom0's own kernel through xenfs, and each introduced domU).
 * Single-threaded: one poll loop in main.c.
 */
#ifndef XSD_XENSTORED_H
#define XSD_XENSTORED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <public/io/xs_wire.h>

#include "../lib/ctrl/ctrl.h"
#include "../lib/evtchn/evtchn.h"
#include "tree.h"

/* Quotas for unprivileged domains (dom0 has none), as Xen's defaults. */
#define QUOTA_NODES 1000
#define QUOTA_VALUE 2048
#define QUOTA_WATCHES 128
#define QUOTA_TXNS 10
#define OUT_LIMIT (1u << 20) /* queued bytes past which a connection's watch events drop */

struct buf {
    struct buf *next;
    uint32_t len, off;
    char data[];
};

struct watch {
    struct watch *next;
    char *path;      /* absolute, or "@introduceDomain"/"@releaseDomain" */
    char *token;
    bool relative;   /* registered without the domain path: events are reported so */
};

struct access {
    char *path;
    uint64_t gen;    /* the node's generation when first touched, 0 if absent */
};

struct txop {
    uint32_t type;   /* XS_WRITE, XS_MKDIR, XS_RM, XS_SET_PERMS */
    char *path;
    char *val;
    uint32_t len;
    struct xs_perm *perms;
    uint32_t nperms;
};

struct txn {
    struct txn *next;
    uint32_t id;
    struct tree view;   /* private copy, taken at start */
    struct access *acc;
    uint32_t nacc, acc_cap;
    struct txop *ops;
    uint32_t nops, ops_cap;
};

enum conn_kind { CONN_SOCKET, CONN_RING };

struct conn {
    struct conn *next;
    enum conn_kind kind;
    uint16_t domid;
    bool privileged;
    bool broken;         /* stopped serving: a malformed message */
    bool shutdown;       /* its domain shut down (@releaseDomain sent) */
    bool dead;           /* closed: freed by conn_reap from the main loop */
    int fd;              /* CONN_SOCKET */
    struct xenstore_domain_interface *ring; /* CONN_RING */
    bool ring_foreign;   /* mapped from another domain (unmap on release) */
    int port;            /* local event channel of the ring */
    uint64_t mfn;
    /* the request being read */
    struct xsd_sockmsg hdr;
    char in[XENSTORE_PAYLOAD_MAX + 1];
    uint32_t in_got;     /* header and payload bytes so far */
    /* replies and events not yet taken */
    struct buf *out, *out_tail;
    size_t out_bytes;
    struct buf *evq, *evq_tail; /* events raised by its own request, sent after the reply */
    struct watch *watches;
    unsigned int nwatches;
    struct txn *txns;
    unsigned int ntxns;
    uint32_t next_txid;
    unsigned long dropped; /* watch events dropped at OUT_LIMIT */
};

struct xsd {
    struct tree tree;
    struct conn *conns;
    struct conn *current;   /* the connection whose request is being handled */
    bool have_xen;
    struct ctrl ctrl;
    struct evtchn ev;
    int virq_port;
    int listen;
    bool verbose;
};

/* ops.c: may c read n (dom0, the owner, or a grant of r or b)? */
bool can_read(const struct conn *c, const struct node *n);
/* ops.c: one request from c. */
void xsd_request(struct xsd *x, struct conn *c, const struct xsd_sockmsg *h, const char *payload);

/* watch.c */
/* Fires the watches on path (its ancestors' and its own); with recurse also those below it
 * (the node is going away). node is where read permission is checked (NULL: privileged
 * watchers only). */
void watch_fire(struct xsd *x, const char *path, const struct node *node, bool recurse);
int watch_add(struct xsd *x, struct conn *c, const char *path, const char *token, bool relative);
int watch_del(struct conn *c, const char *path, const char *token);
void watch_free_all(struct conn *c);

/* txn.c */
struct txn *txn_find(struct conn *c, uint32_t id);
int txn_start(struct xsd *x, struct conn *c, uint32_t *id);
/* Commits (-EAGAIN on a conflict) or aborts; the transaction is gone either way. */
int txn_end(struct xsd *x, struct conn *c, struct txn *t, bool commit);
void txn_touch(struct txn *t, const char *path);
int txn_log(struct txn *t, uint32_t type, const char *path, const char *val, uint32_t len,
            const struct xs_perm *perms, uint32_t nperms);
void txn_free_all(struct conn *c);

/* ops.c, used by txn.c to replay a commit */
int op_apply(struct xsd *x, struct conn *c, struct tree *t, struct txn *tx, const struct txop *op);

/* conn.c */
struct conn *conn_new(struct xsd *x, enum conn_kind kind, uint16_t domid, bool privileged);
/* Lets go of everything the connection holds (its ring, port, socket) at once; the
 * struct itself stays in the list, dead, until conn_reap (connections may be closed
 * while the main loop walks the list). */
void conn_close(struct xsd *x, struct conn *c);
void conn_reap(struct xsd *x);
/* Queues a message for c (type, req_id and tx_id of the request it answers). */
void conn_send(struct xsd *x, struct conn *c, const struct xsd_sockmsg *req, uint32_t type,
               const void *data, size_t len);
void conn_event(struct xsd *x, struct conn *c, const char *path, const char *token);
/* Reads what the connection has (socket or ring) and handles whole requests. */
void conn_input(struct xsd *x, struct conn *c);
/* Writes queued output; false when a socket peer went away. */
bool conn_flush(struct xsd *x, struct conn *c);

/* domain.c */
int domain_introduce(struct xsd *x, uint16_t domid, uint64_t mfn, uint32_t port);
int domain_release(struct xsd *x, uint16_t domid);
struct conn *domain_conn(struct xsd *x, uint16_t domid);
struct conn *domain_by_port(struct xsd *x, int port);
/* dom0's own ring, from xenfs (/proc/xen/xsd_kva, xsd_port). */
int domain_local_init(struct xsd *x);
/* VIRQ_DOM_EXC: domains that shut down or went away. */
void domain_check_all(struct xsd *x);

void xsd_log(struct xsd *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
