/*
 * The xenstore wire protocol: messages between the store daemon (xenstored, in dom0) and
 * its clients, over a Unix socket, /dev/xen/xenbus, or a domain's store ring (below).
 */
#ifndef __XEN_PUBLIC_IO_XS_WIRE_H__
#define __XEN_PUBLIC_IO_XS_WIRE_H__

#include "../xen-compat.h"

#ifndef __ASSEMBLER__

/*
 * Every message is a header and len bytes of payload, usually NUL-terminated strings.
 * A reply echoes the request's type, req_id and tx_id; a failure is XS_ERROR with the
 * error's name ("ENOENT") as payload. XS_WATCH_EVENT arrives unasked with "path\0token\0".
 */
enum xsd_sockmsg_type {
    XS_CONTROL,              /* "cmd\0args..." daemon control; dom0 only */
    XS_DIRECTORY,            /* "path\0" -> "child\0child\0..." */
    XS_READ,                 /* "path\0" -> value bytes (no NUL) */
    XS_GET_PERMS,            /* "path\0" -> "w0\0r1\0..." */
    XS_WATCH,                /* "path\0token\0" -> "OK\0"; fires once at once */
    XS_UNWATCH,              /* "path\0token\0" -> "OK\0" */
    XS_TRANSACTION_START,    /* "\0" -> "id\0" */
    XS_TRANSACTION_END,      /* "T\0" commit or "F\0" abort -> "OK\0" or EAGAIN */
    XS_INTRODUCE,            /* "domid\0mfn\0port\0" -> "OK\0"; dom0 only */
    XS_RELEASE,              /* "domid\0" -> "OK\0"; dom0 only */
    XS_GET_DOMAIN_PATH,      /* "domid\0" -> "/local/domain/<domid>\0" */
    XS_WRITE,                /* "path\0value bytes" -> "OK\0" (creates parents) */
    XS_MKDIR,                /* "path\0" -> "OK\0" (no error if it exists) */
    XS_RM,                   /* "path\0" -> "OK\0" (the whole subtree) */
    XS_SET_PERMS,            /* "path\0perm\0perm\0..." -> "OK\0"; owner or dom0 */
    XS_WATCH_EVENT,          /* daemon -> client only */
    XS_ERROR,                /* daemon -> client only */
    XS_IS_DOMAIN_INTRODUCED, /* "domid\0" -> "T\0" or "F\0" */
    XS_RESUME,               /* "domid\0" -> "OK\0"; dom0 only */
    XS_SET_TARGET,           /* "domid\0target\0" -> "OK\0"; dom0 only */
    /* 20 was a restriction call, withdrawn: never reuse */
    XS_RESET_WATCHES = XS_SET_TARGET + 2, /* drops the caller's watches and transactions */
    XS_DIRECTORY_PART,       /* "path\0offset\0" -> "generation\0child\0...\0" */
    XS_TYPE_COUNT,
    XS_INVALID = 0xffff
};

struct xsd_sockmsg {
    uint32_t type;   /* enum xsd_sockmsg_type */
    uint32_t req_id; /* chosen by the client, echoed in the reply */
    uint32_t tx_id;  /* transaction, 0 for none */
    uint32_t len;    /* payload bytes that follow, at most XENSTORE_PAYLOAD_MAX */
};

/* Fields of an XS_WATCH_EVENT payload. */
enum xs_watch_type {
    XS_WATCH_PATH = 0,
    XS_WATCH_TOKEN
};

#define XENSTORE_PAYLOAD_MAX 4096
#define XENSTORE_ABS_PATH_MAX 3072 /* "/local/domain/1/..." */
#define XENSTORE_REL_PATH_MAX 2048 /* paths without a leading '/' are under the caller's domain path */

/*
 * A domain's store ring: one page (start_info.store_mfn, event channel store_evtchn).
 * The guest writes requests into req[] and moves req_prod; the daemon consumes them and
 * answers into rsp[]. Indexes run freely; a byte's slot is MASK_XENSTORE_IDX(idx). Each
 * side notifies the other after moving an index and never trusts prod - cons beyond
 * XENSTORE_RING_SIZE.
 */
#define XENSTORE_RING_SIZE 1024
typedef uint32_t XENSTORE_RING_IDX;
#define MASK_XENSTORE_IDX(idx) ((idx) & (XENSTORE_RING_SIZE - 1))

struct xenstore_domain_interface {
    char req[XENSTORE_RING_SIZE];     /* guest -> daemon */
    char rsp[XENSTORE_RING_SIZE];     /* daemon -> guest */
    XENSTORE_RING_IDX req_cons, req_prod; /* daemon, guest */
    XENSTORE_RING_IDX rsp_cons, rsp_prod; /* guest, daemon */
    uint32_t server_features;         /* daemon: XENSTORE_SERVER_FEATURE_* */
    uint32_t connection;              /* XENSTORE_CONNECTED or XENSTORE_RECONNECT */
    uint32_t error;                   /* daemon: XENSTORE_ERROR_*, why it stopped serving */
};

#define XENSTORE_SERVER_FEATURE_RECONNECTION 1
#define XENSTORE_SERVER_FEATURE_ERROR        2

#define XENSTORE_CONNECTED 0
#define XENSTORE_RECONNECT 1

#define XENSTORE_ERROR_NONE    0
#define XENSTORE_ERROR_COMM    1 /* a malformed message */
#define XENSTORE_ERROR_RINGIDX 2 /* an impossible ring index */
#define XENSTORE_ERROR_PROTO   3 /* a protocol violation */

#endif /* __ASSEMBLER__ */
#endif
