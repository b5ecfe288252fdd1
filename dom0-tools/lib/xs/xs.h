/*
 * A xenstore client: the wire protocol over xenstored's Unix socket (dom0's tools) or
 * /dev/xen/xenbus (any domain, through its kernel). One request at a time; watch events
 * that arrive meanwhile are kept for xs_read_watch. Functions return 0 or -errno (the
 * daemon's error, e.g. -ENOENT, -EACCES, -EAGAIN); they never print.
 */
#ifndef TERN_XS_H
#define TERN_XS_H

#include <stdbool.h>
#include <stdint.h>

struct xs_event;

struct xs {
    int fd;
    uint32_t req_id;
    struct xs_event *events, *events_tail;
};

/* The socket ($TERN_XS_SOCKET, else /run/tern/xenstored.sock), else /dev/xen/xenbus;
 * TERN_XS_SOCKET set but empty: the kernel's device only. */
int xs_open(struct xs *x);
int xs_open_socket(struct xs *x, const char *path);
void xs_close(struct xs *x);

/* A raw request: *reply (malloc'd, NUL-terminated beyond *len) on success. */
int xs_call(struct xs *x, uint32_t type, uint32_t tx, const void *payload, uint32_t len, char **reply,
            uint32_t *rlen);

int xs_read(struct xs *x, uint32_t tx, const char *path, char **val, uint32_t *len);
int xs_write(struct xs *x, uint32_t tx, const char *path, const void *val, uint32_t len);
int xs_write_str(struct xs *x, uint32_t tx, const char *path, const char *val);
int xs_mkdir(struct xs *x, uint32_t tx, const char *path);
int xs_rm(struct xs *x, uint32_t tx, const char *path);
/* Children as one malloc'd block of n NUL-terminated names. */
int xs_directory(struct xs *x, uint32_t tx, const char *path, char **names, unsigned int *n);
/* Permissions as "b0\0r1\0..." (perms malloc'd, n entries). */
int xs_get_perms(struct xs *x, uint32_t tx, const char *path, char **perms, unsigned int *n);
int xs_set_perms(struct xs *x, uint32_t tx, const char *path, const char *const *perms, unsigned int n);
int xs_watch(struct xs *x, const char *path, const char *token);
int xs_unwatch(struct xs *x, const char *path, const char *token);
/* The next watch event, waiting up to timeout_ms (-1: forever): -ETIMEDOUT if none.
 * *path and *token share one allocation: free(*path) only. */
int xs_read_watch(struct xs *x, int timeout_ms, char **path, char **token);
int xs_transaction_start(struct xs *x, uint32_t *tx);
int xs_transaction_end(struct xs *x, uint32_t tx, bool commit);
int xs_introduce(struct xs *x, uint16_t domid, uint64_t mfn, uint32_t port);
int xs_release(struct xs *x, uint16_t domid);

/* -errno for the error name the daemon sent (-EIO if unknown), and the name for -errno
 * (EINVAL if the protocol has none): both sides of the wire use these. */
int xs_error_of(const char *name);
const char *xs_error_name(int err);

#endif
