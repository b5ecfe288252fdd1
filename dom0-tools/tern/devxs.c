/* Shared by vif.c and vbd.c (and xsdom.c's writes): see devxs.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/xs/xs.h"
#include "devxs.h"

int devxs_put(struct xs *x, uint32_t tx, const char *dir, const char *leaf, const char *fmt, ...)
{
    char path[256], val[300];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    snprintf(path, sizeof(path), "%s/%s", dir, leaf);
    return xs_write_str(x, tx, path, val);
}

char *devxs_read(struct xs *x, const char *path)
{
    char *v;
    uint32_t len;

    return xs_read(x, 0, path, &v, &len) ? NULL : v;
}

int devxs_read_int(struct xs *x, const char *path, int def)
{
    char *v = devxs_read(x, path);
    int n = v ? atoi(v) : def;

    free(v);
    return n;
}

long devxs_now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The frontend's directory for a backend kind: a qdisk (user-space disk backend) serves a vbd. */
static const char *front_kind(const char *kind)
{
    return strcmp(kind, "qdisk") ? kind : "vbd";
}

/* Waits (bounded) until the backend at be reached Closed (6), letting go of the rings and
 * its device on the way, and done() agrees. */
static bool wait_closed(struct xs *x, const char *be, uint16_t domid, const char *devid,
                        bool (*done)(uint16_t, const char *, void *), void *ctx)
{
    long end = devxs_now_ms() + DEVXS_WAIT_MS;
    struct timespec tick = { 0, 20 * 1000 * 1000 };
    char path[200];

    snprintf(path, sizeof(path), "%s/state", be);
    for (;;) {
        bool ok = devxs_read_int(x, path, 6) == 6 && (!done || done(domid, devid, ctx));
        if (ok || devxs_now_ms() >= end)
            return ok;
        nanosleep(&tick, NULL);
    }
}

void devxs_teardown(struct xs *x, const char *kind, uint16_t domid,
                    bool (*done)(uint16_t domid, const char *devid, void *ctx),
                    void (*after)(struct xs *x, const char *be, void *ctx), void *ctx)
{
    char dir[96], be[160], path[200], *names;
    unsigned int count;
    const char *name;

    snprintf(dir, sizeof(dir), "/local/domain/0/backend/%s/%u", kind, domid);
    if (xs_directory(x, 0, dir, &names, &count))
        return; /* none */
    name = names;
    for (unsigned int i = 0; i < count; i++, name += strlen(name) + 1) {
        snprintf(be, sizeof(be), "%s/%s", dir, name);
        devxs_put(x, 0, be, "online", "0");
        devxs_put(x, 0, be, "state", "5");
        snprintf(path, sizeof(path), "/local/domain/%u/device/%s/%s", domid, front_kind(kind), name);
        xs_rm(x, 0, path);
    }
    name = names;
    for (unsigned int i = 0; i < count; i++, name += strlen(name) + 1) {
        snprintf(be, sizeof(be), "%s/%s", dir, name);
        wait_closed(x, be, domid, name, done, ctx);
        if (after)
            after(x, be, ctx);
    }
    free(names);
    xs_rm(x, 0, dir);
}

int devxs_transaction(struct xs *x, int (*write)(struct xs *, uint32_t, const void *), const void *arg)
{
    uint32_t tx;
    int rc = -EAGAIN;

    for (int attempt = 0; rc == -EAGAIN && attempt < 20; attempt++) {
        if ((rc = xs_transaction_start(x, &tx)))
            break;
        if ((rc = write(x, tx, arg))) {
            xs_transaction_end(x, tx, false);
            break;
        }
        rc = xs_transaction_end(x, tx, true);
    }
    return rc;
}

int devxs_detach(struct xs *x, const char *kind, uint16_t domid, unsigned int devid, bool force,
                 bool (*done)(uint16_t domid, const char *devid, void *ctx),
                 void (*after)(struct xs *x, const char *be, void *ctx), void *ctx)
{
    char be[160], fe[160], id[16];
    bool closed;

    snprintf(id, sizeof(id), "%u", devid);
    snprintf(be, sizeof(be), "/local/domain/0/backend/%s/%u/%u", kind, domid, devid);
    snprintf(fe, sizeof(fe), "/local/domain/%u/device/%s/%u", domid, front_kind(kind), devid);
    if (!devxs_exists(x, be))
        return -ENOENT;
    /* Closing asks the frontend to let go; with online 0 the backend then unregisters */
    devxs_put(x, 0, be, "online", "0");
    devxs_put(x, 0, be, "state", "5");
    closed = wait_closed(x, be, domid, id, done, ctx);
    if (!closed && !force) {
        /* the guest kept it: it stays connected, as it was */
        devxs_put(x, 0, be, "online", "1");
        devxs_put(x, 0, be, "state", "4");
        return -EBUSY;
    }
    xs_rm(x, 0, fe); /* gone from the guest's view; a frontend that held on is cut off */
    if (!closed)
        wait_closed(x, be, domid, id, done, ctx);
    if (after)
        after(x, be, ctx);
    xs_rm(x, 0, be);
    return 0;
}

bool devxs_exists(struct xs *x, const char *path)
{
    char *v = devxs_read(x, path);

    free(v);
    return v != NULL;
}
