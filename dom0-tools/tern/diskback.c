/*
 * Tern's disk backend for image files: one process per disk, forked by the toolstack once
 * the disk's entries are written, serving /local/domain/0/backend/qdisk/D/DEVID (Xen's
 * place for a user-space disk backend; the kernel's blkback takes backend/vbd). It speaks
 * the xenbus handshake blkfront expects:
 *   start: feature entries, state 2 (InitWait)
 *   frontend 3/4 with ring-ref and event-channel: map the ring, bind the channel, write
 *     sectors, info, sector-size, state 4 (Connected)
 *   frontend 5/6 or gone: unmap and unbind, state 6 (Closed); frontend back at 1: state 2
 *   online = 0 (detach, destroy): once the frontend let go (or is cut off), state 6, exit.
 * The ring is served by diskring.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xen/gntalloc.h>

#include "../lib/evtchn/evtchn.h"
#include "../lib/xs/xs.h"
#include "devxs.h"
#include "diskback.h"
#include "diskring.h"
#include "spawn.h"

#define VDISK_READONLY 4

struct diskback {
    struct xs x;
    char be[128], fe[160];
    int state;              /* the backend state we last wrote */
    struct evtchn ev;
    int port;               /* our end of the frontend's channel, or -1 */
    uint64_t gnt_index;     /* gntdev's offset of the ring's mapping */
    struct diskring ring;   /* ring.sring != NULL while connected */
};

/* A line in dom0's kernel log, where blkback's complaints go too. */
static void say(const struct diskback *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(const struct diskback *b, const char *fmt, ...)
{
    char line[400];
    va_list ap;
    int n = snprintf(line, sizeof(line), "tern-diskback: domain %u disk %s: ", b->ring.domid,
                     strrchr(b->be, '/') + 1);

    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (write(fd, line, strlen(line)) < 0) {
            /* nowhere else to say it */
        }
        close(fd);
    }
}

static void set_state(struct diskback *b, int state)
{
    if (!devxs_put(&b->x, 0, b->be, "state", "%d", state))
        b->state = state;
}

static void fatal(struct diskback *b, const char *why)
{
    say(b, "%s", why);
    devxs_put(&b->x, 0, b->be, "error", "%s", why);
    set_state(b, 5);
}

static void disconnect(struct diskback *b)
{
    diskmap_clear(&b->ring);
    if (b->port >= 0)
        evtchn_unbind(&b->ev, (uint32_t)b->port);
    b->port = -1;
    if (b->ring.sring) {
        diskmap_drop(b->ring.gnt, b->ring.sring, b->gnt_index);
        b->ring.sring = NULL;
    }
}

static int fe_int(struct diskback *b, const char *leaf, int def)
{
    char path[200];

    snprintf(path, sizeof(path), "%s/%s", b->fe, leaf);
    return devxs_read_int(&b->x, path, def);
}

static int write_connected(struct xs *x, uint32_t tx, const void *arg)
{
    const struct diskback *b = arg;

    return devxs_put(x, tx, b->be, "sectors", "%llu", (unsigned long long)(b->ring.size / 512)) ?:
           devxs_put(x, tx, b->be, "info", "%d", b->ring.writable ? 0 : VDISK_READONLY) ?:
           devxs_put(x, tx, b->be, "sector-size", "512") ?: devxs_put(x, tx, b->be, "state", "4");
}

/* Maps the frontend's ring and binds its channel; 0, or -1 with the device failed. */
static int connect_ring(struct diskback *b)
{
    char path[200], *proto;
    int ref = fe_int(b, "ring-ref", -1), port = fe_int(b, "event-channel", -1);

    snprintf(path, sizeof(path), "%s/protocol", b->fe);
    if ((proto = devxs_read(&b->x, path)) && strcmp(proto, "x86_64-abi")) {
        free(proto);
        fatal(b, "frontend's protocol is not x86_64-abi");
        return -1;
    }
    free(proto);
    if (ref < 0 || port < 0) {
        fatal(b, "frontend gave no ring-ref or event-channel");
        return -1;
    }
    void *p = diskmap_one(b->ring.gnt, b->ring.domid, (uint32_t)ref, &b->gnt_index);
    if (!p) {
        fatal(b, "cannot map the frontend's ring-ref (not a page it granted us?)");
        return -1;
    }
    b->ring.sring = p;
    b->ring.req_cons = b->ring.rsp_prod = 0;
    b->ring.broken = false;
    b->ring.persistent = fe_int(b, "feature-persistent", 0) == 1;
    if ((b->port = evtchn_bind_interdomain(&b->ev, b->ring.domid, (uint32_t)port)) < 0) {
        b->port = -1;
        disconnect(b);
        fatal(b, "cannot bind the frontend's event channel");
        return -1;
    }
    if (devxs_transaction(&b->x, write_connected, b)) {
        disconnect(b);
        return -1;
    }
    b->state = 4;
    say(b, "connected: ring-ref %d, event channel %d, %llu sectors%s%s", ref, port,
        (unsigned long long)(b->ring.size / 512), b->ring.writable ? "" : ", read-only",
        b->ring.persistent ? ", persistent grants" : "");
    return 0;
}

/* Looks at the store after a change; false once the backend is done. */
static bool step(struct diskback *b)
{
    char path[200];

    snprintf(path, sizeof(path), "%s/online", b->be);
    int online = devxs_read_int(&b->x, path, -1), fe = fe_int(b, "state", -1);
    if (online < 0) { /* our entries went */
        disconnect(b);
        return false;
    }
    if (!online) {
        if (b->ring.sring && fe >= 1 && fe <= 4)
            return true; /* asked to close: wait for the frontend (cut off if it does not) */
        disconnect(b);
        set_state(b, 6);
        return false;
    }
    if (fe < 0 || fe >= 5) {
        if (b->ring.sring || b->state != 6) {
            disconnect(b);
            set_state(b, 6);
        }
    } else if (fe == 1) {
        if (b->ring.sring)
            disconnect(b);
        if (b->state != 2)
            set_state(b, 2);
    } else if ((fe == 3 || fe == 4) && !b->ring.sring && b->state == 2) {
        connect_ring(b);
    }
    return true;
}

static int open_image(struct diskback *b, char *why, size_t len)
{
    char path[200], *params, *mode;
    struct stat st;

    snprintf(path, sizeof(path), "%s/params", b->be);
    params = devxs_read(&b->x, path);
    snprintf(path, sizeof(path), "%s/mode", b->be);
    mode = devxs_read(&b->x, path);
    b->ring.writable = mode && mode[0] == 'w';
    free(mode);
    if (!params) {
        snprintf(why, len, "no params");
        return -1;
    }
    b->ring.image_fd = open(params, (b->ring.writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (b->ring.image_fd < 0 || fstat(b->ring.image_fd, &st) || st.st_size < 512) {
        snprintf(why, len, "cannot open %s (%s)", params, b->ring.image_fd < 0 ? strerror(errno) : "too small");
        free(params);
        return -1;
    }
    free(params);
    b->ring.size = (uint64_t)st.st_size & ~511ull;
    b->ring.image = mmap(NULL, b->ring.size, PROT_READ | (b->ring.writable ? PROT_WRITE : 0), MAP_SHARED,
                         b->ring.image_fd, 0);
    if (b->ring.image == MAP_FAILED) {
        snprintf(why, len, "cannot map the image (%s)", strerror(errno));
        return -1;
    }
    return 0;
}

/* The bounce pages (diskring.h), granted to ourselves (we are domain 0). */
static int bounce_alloc(struct diskback *b)
{
    size_t size = sizeof(struct ioctl_gntalloc_alloc_gref) + DISKRING_BOUNCE * sizeof(uint32_t);
    struct ioctl_gntalloc_alloc_gref *a = calloc(1, size);
    int fd = open("/dev/xen/gntalloc", O_RDWR | O_CLOEXEC);

    if (!a || fd < 0) {
        free(a);
        return -1;
    }
    a->domid = 0;
    a->flags = GNTALLOC_FLAG_WRITABLE;
    a->count = DISKRING_BOUNCE;
    void *p = MAP_FAILED;
    if (!ioctl(fd, IOCTL_GNTALLOC_ALLOC_GREF, a))
        p = mmap(NULL, (size_t)DISKRING_BOUNCE * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)a->index);
    if (p != MAP_FAILED) {
        b->ring.bounce = p;
        memcpy(b->ring.bounce_gref, a->gref_ids, sizeof(b->ring.bounce_gref));
    }
    free(a);
    /* the fd may close: the grants live while the mapping does */
    close(fd);
    return p == MAP_FAILED ? -1 : 0;
}

static int write_features(struct xs *x, uint32_t tx, const void *arg)
{
    const struct diskback *b = arg;

    return devxs_put(x, tx, b->be, "feature-flush-cache", "1") ?: devxs_put(x, tx, b->be, "feature-persistent", "1") ?:
           devxs_put(x, tx, b->be, "feature-max-indirect-segments", "%u", DISKRING_MAX_INDIRECT) ?:
           devxs_put(x, tx, b->be, "state", "2");
}

/* A change in the store, or a kick on the ring; false once done. */
static bool wait_event(struct diskback *b)
{
    struct pollfd p[2] = { { b->x.fd, POLLIN, 0 }, { b->port >= 0 ? b->ev.fd : -1, POLLIN, 0 } };
    bool changed = b->x.events != NULL;
    char *path, *token;

    if (!changed && poll(p, 2, -1) < 0 && errno != EINTR)
        return false;
    if (p[1].revents & POLLIN) {
        int port = evtchn_pending(&b->ev);
        if (port >= 0)
            evtchn_unmask(&b->ev, (uint32_t)port);
    }
    if (changed || (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
        while (xs_read_watch(&b->x, 0, &path, &token) == 0)
            free(path);
        return step(b);
    }
    return true;
}

int diskback_run(uint16_t domid, unsigned int devid)
{
    struct diskback b = { .state = 1, .port = -1, .ring = { .domid = domid, .image_fd = -1 } };
    char path[200], why[256], *fe;

    prctl(PR_SET_NAME, "tern-diskback");
    if (xs_open(&b.x))
        return 1;
    snprintf(b.be, sizeof(b.be), "/local/domain/0/backend/qdisk/%u/%u", domid, devid);
    snprintf(path, sizeof(path), "%s/frontend", b.be);
    if (!(fe = devxs_read(&b.x, path)))
        return 1;
    snprintf(b.fe, sizeof(b.fe), "%s", fe);
    free(fe);
    if (open_image(&b, why, sizeof(why))) {
        fatal(&b, why);
        return 1;
    }
    if ((b.ring.gnt = open("/dev/xen/gntdev", O_RDWR | O_CLOEXEC)) < 0 || evtchn_open(&b.ev)) {
        fatal(&b, "cannot open /dev/xen/gntdev or /dev/xen/evtchn");
        return 1;
    }
    if (bounce_alloc(&b)) {
        fatal(&b, "cannot grant bounce pages to ourselves (/dev/xen/gntalloc)");
        return 1;
    }
    fcntl(b.ev.fd, F_SETFL, fcntl(b.ev.fd, F_GETFL) | O_NONBLOCK);
    if (devxs_transaction(&b.x, write_features, &b) || xs_watch(&b.x, b.be, "be") || xs_watch(&b.x, b.fe, "fe"))
        return 1;
    b.state = 2;
    while (wait_event(&b)) {
        if (!b.ring.sring || b.ring.broken)
            continue;
        if (diskring_serve(&b.ring, why, sizeof(why)))
            evtchn_notify(&b.ev, (uint32_t)b.port);
        if (b.ring.broken) {
            devxs_put(&b.x, 0, b.be, "error", "%s", why);
            say(&b, "ring halted: %s", why);
        }
    }
    disconnect(&b);
    return 0;
}

static int run(void *arg)
{
    const unsigned int *ids = arg;

    closefrom(3); /* nothing of the command that started it (its store connection...) */
    return diskback_run((uint16_t)ids[0], ids[1]);
}

int diskback_spawn(uint16_t domid, unsigned int devid)
{
    unsigned int ids[2] = { domid, devid };

    return spawn_detached(run, ids);
}
