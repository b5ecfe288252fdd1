/* The xenstore wire protocol, client side. */
#include "xs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <public/io/xs_wire.h>

struct xs_event {
    struct xs_event *next;
    char *path, *token;
};


int xs_open_socket(struct xs *x, const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };

    memset(x, 0, sizeof(*x));
    if (strlen(path) >= sizeof(a.sun_path))
        return -ENAMETOOLONG;
    strcpy(a.sun_path, path);
    x->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (x->fd < 0)
        return -errno;
    if (connect(x->fd, (struct sockaddr *)&a, sizeof(a))) {
        int rc = -errno;
        close(x->fd);
        x->fd = -1;
        return rc;
    }
    return 0;
}

int xs_open(struct xs *x)
{
    const char *sock = getenv("TERN_XS_SOCKET");
    int rc = -ENOENT;

    if (!sock || *sock) {
        rc = xs_open_socket(x, sock ? sock : "/run/tern/xenstored.sock");
        if (!rc || sock)
            return rc;
    }
    memset(x, 0, sizeof(*x));
    x->fd = open("/dev/xen/xenbus", O_RDWR | O_CLOEXEC);
    return x->fd < 0 ? (errno == ENOENT ? rc : -errno) : 0;
}

void xs_close(struct xs *x)
{
    while (x->events) {
        struct xs_event *e = x->events;
        x->events = e->next;
        free(e->path);
        free(e);
    }
    if (x->fd >= 0)
        close(x->fd);
    x->fd = -1;
}

static int full_io(int fd, void *buf, size_t len, bool wr)
{
    for (size_t done = 0; done < len;) {
        ssize_t n = wr ? write(fd, (char *)buf + done, len - done) : read(fd, (char *)buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -ECONNRESET;
        done += (size_t)n;
    }
    return 0;
}

/* One message from the daemon: payload malloc'd and NUL-terminated. */
static int recv_msg(struct xs *x, struct xsd_sockmsg *h, char **body)
{
    int rc = full_io(x->fd, h, sizeof(*h), false);

    if (rc)
        return rc;
    if (h->len > XENSTORE_PAYLOAD_MAX)
        return -EPROTO;
    if (!(*body = malloc(h->len + 1)))
        return -ENOMEM;
    if ((rc = full_io(x->fd, *body, h->len, false))) {
        free(*body);
        return rc;
    }
    (*body)[h->len] = 0;
    return 0;
}

static void keep_event(struct xs *x, char *body, uint32_t len)
{
    struct xs_event *e = calloc(1, sizeof(*e));
    size_t plen = strnlen(body, len);

    if (!e || plen + 1 >= len + 1) {
        free(e);
        free(body);
        return;
    }
    e->path = body;
    e->token = body + plen + 1;
    if (x->events_tail)
        x->events_tail->next = e;
    else
        x->events = e;
    x->events_tail = e;
}

/* The protocol names errors by their errno names, a closed set (xs_wire.h). */
static const struct { int err; const char *name; } errnames[] = {
    { EINVAL, "EINVAL" }, { EACCES, "EACCES" }, { EEXIST, "EEXIST" }, { EISDIR, "EISDIR" },
    { ENOENT, "ENOENT" }, { ENOMEM, "ENOMEM" }, { ENOSPC, "ENOSPC" }, { EIO, "EIO" },
    { ENOTEMPTY, "ENOTEMPTY" }, { ENOSYS, "ENOSYS" }, { EROFS, "EROFS" }, { EBUSY, "EBUSY" },
    { EAGAIN, "EAGAIN" }, { EISCONN, "EISCONN" }, { E2BIG, "E2BIG" }, { EPERM, "EPERM" },
};

int xs_error_of(const char *name)
{
    for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
        if (!strcmp(errnames[i].name, name))
            return -errnames[i].err;
    return -EIO;
}

const char *xs_error_name(int err)
{
    for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
        if (errnames[i].err == -err)
            return errnames[i].name;
    return "EINVAL";
}

int xs_call(struct xs *x, uint32_t type, uint32_t tx, const void *payload, uint32_t len, char **reply,
            uint32_t *rlen)
{
    struct xsd_sockmsg h = { type, ++x->req_id, tx, len };
    char *body;
    int rc;

    if (len > XENSTORE_PAYLOAD_MAX)
        return -E2BIG;
    if ((rc = full_io(x->fd, &h, sizeof(h), true)) || (rc = full_io(x->fd, (void *)payload, len, true)))
        return rc;
    for (;;) {
        struct xsd_sockmsg r;
        if ((rc = recv_msg(x, &r, &body)))
            return rc;
        if (r.type == XS_WATCH_EVENT) {
            keep_event(x, body, r.len);
            continue;
        }
        if (r.req_id != h.req_id) {
            free(body);
            continue; /* a reply to a request we gave up on */
        }
        if (r.type == XS_ERROR) {
            rc = xs_error_of(body);
            free(body);
            return rc;
        }
        if (reply)
            *reply = body;
        else
            free(body);
        if (rlen)
            *rlen = r.len;
        return 0;
    }
}

/* A request whose payload is NUL-terminated strings. */
static int call_strs(struct xs *x, uint32_t type, uint32_t tx, const char *const *s, unsigned int n,
                     char **reply, uint32_t *rlen)
{
    char buf[XENSTORE_PAYLOAD_MAX];
    uint32_t len = 0;

    for (unsigned int i = 0; i < n; i++) {
        size_t k = strlen(s[i]) + 1;
        if (len + k > sizeof(buf))
            return -E2BIG;
        memcpy(buf + len, s[i], k);
        len += (uint32_t)k;
    }
    return xs_call(x, type, tx, buf, len, reply, rlen);
}

int xs_read(struct xs *x, uint32_t tx, const char *path, char **val, uint32_t *len)
{
    return call_strs(x, XS_READ, tx, &path, 1, val, len);
}

int xs_write(struct xs *x, uint32_t tx, const char *path, const void *val, uint32_t len)
{
    char buf[XENSTORE_PAYLOAD_MAX];
    size_t plen = strlen(path) + 1;

    if (plen + len > sizeof(buf))
        return -E2BIG;
    memcpy(buf, path, plen);
    memcpy(buf + plen, val, len);
    return xs_call(x, XS_WRITE, tx, buf, (uint32_t)(plen + len), NULL, NULL);
}

int xs_write_str(struct xs *x, uint32_t tx, const char *path, const char *val)
{
    return xs_write(x, tx, path, val, (uint32_t)strlen(val));
}

int xs_mkdir(struct xs *x, uint32_t tx, const char *path)
{
    return call_strs(x, XS_MKDIR, tx, &path, 1, NULL, NULL);
}

int xs_rm(struct xs *x, uint32_t tx, const char *path)
{
    return call_strs(x, XS_RM, tx, &path, 1, NULL, NULL);
}

static unsigned int count_strs(const char *s, uint32_t len)
{
    unsigned int n = 0;

    for (uint32_t i = 0; i < len; i++)
        n += !s[i];
    return n;
}

int xs_directory(struct xs *x, uint32_t tx, const char *path, char **names, unsigned int *n)
{
    uint32_t len;
    int rc = call_strs(x, XS_DIRECTORY, tx, &path, 1, names, &len);

    if (!rc)
        *n = count_strs(*names, len);
    return rc;
}

int xs_get_perms(struct xs *x, uint32_t tx, const char *path, char **perms, unsigned int *n)
{
    uint32_t len;
    int rc = call_strs(x, XS_GET_PERMS, tx, &path, 1, perms, &len);

    if (!rc)
        *n = count_strs(*perms, len);
    return rc;
}

int xs_set_perms(struct xs *x, uint32_t tx, const char *path, const char *const *perms, unsigned int n)
{
    const char *s[64];

    if (n + 1 > sizeof(s) / sizeof(s[0]))
        return -E2BIG;
    s[0] = path;
    memcpy(s + 1, perms, n * sizeof(*s));
    return call_strs(x, XS_SET_PERMS, tx, s, n + 1, NULL, NULL);
}

int xs_watch(struct xs *x, const char *path, const char *token)
{
    const char *s[2] = { path, token };
    return call_strs(x, XS_WATCH, 0, s, 2, NULL, NULL);
}

int xs_unwatch(struct xs *x, const char *path, const char *token)
{
    const char *s[2] = { path, token };
    return call_strs(x, XS_UNWATCH, 0, s, 2, NULL, NULL);
}

int xs_read_watch(struct xs *x, int timeout_ms, char **path, char **token)
{
    while (!x->events) {
        struct pollfd p = { x->fd, POLLIN, 0 };
        struct xsd_sockmsg h;
        char *body;
        int rc = poll(&p, 1, timeout_ms);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            return rc ? -errno : -ETIMEDOUT;
        if ((rc = recv_msg(x, &h, &body)))
            return rc;
        if (h.type == XS_WATCH_EVENT)
            keep_event(x, body, h.len);
        else
            free(body);
    }
    struct xs_event *e = x->events;
    x->events = e->next;
    if (!x->events)
        x->events_tail = NULL;
    *path = e->path; /* one block: path, then token */
    *token = e->token;
    free(e);
    return 0;
}

int xs_transaction_start(struct xs *x, uint32_t *tx)
{
    char *r;
    int rc = xs_call(x, XS_TRANSACTION_START, 0, "", 1, &r, NULL);

    if (!rc) {
        *tx = (uint32_t)strtoul(r, NULL, 10);
        free(r);
    }
    return rc;
}

int xs_transaction_end(struct xs *x, uint32_t tx, bool commit)
{
    return xs_call(x, XS_TRANSACTION_END, tx, commit ? "T" : "F", 2, NULL, NULL);
}

int xs_introduce(struct xs *x, uint16_t domid, uint64_t mfn, uint32_t port)
{
    char a[8], b[24], c[12];
    const char *s[3] = { a, b, c };

    snprintf(a, sizeof(a), "%u", domid);
    snprintf(b, sizeof(b), "%llu", (unsigned long long)mfn);
    snprintf(c, sizeof(c), "%u", port);
    return call_strs(x, XS_INTRODUCE, 0, s, 3, NULL, NULL);
}

int xs_release(struct xs *x, uint16_t domid)
{
    char a[8];
    const char *s = a;

    snprintf(a, sizeof(a), "%u", domid);
    return call_strs(x, XS_RELEASE, 0, &s, 1, NULL, NULL);
}
