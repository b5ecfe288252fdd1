/* Shared by vif.c and vbd.c (and xsdom.c's writes): see devxs.h. */
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
        snprintf(path, sizeof(path), "/local/domain/%u/device/%s/%s", domid, kind, name);
        xs_rm(x, 0, path);
    }
    name = names;
    for (unsigned int i = 0; i < count; i++, name += strlen(name) + 1) {
        long end = devxs_now_ms() + DEVXS_WAIT_MS;
        struct timespec tick = { 0, 20 * 1000 * 1000 };
        snprintf(be, sizeof(be), "%s/%s", dir, name);
        snprintf(path, sizeof(path), "%s/state", be);
        /* the backend lets go of the rings (and its device) on its way to Closed (6) */
        while ((devxs_read_int(x, path, 6) != 6 || (done && !done(domid, name, ctx))) &&
               devxs_now_ms() < end)
            nanosleep(&tick, NULL);
        if (after)
            after(x, be, ctx);
    }
    free(names);
    xs_rm(x, 0, dir);
}
