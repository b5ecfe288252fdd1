/* What the toolstack's device code shares: formatted xenstore writes, reads, a clock, and
 * the teardown every split-driver backend goes through when its domain goes. */
#ifndef TERN_DEVXS_H
#define TERN_DEVXS_H

#include <stdbool.h>
#include <stdint.h>

struct xs;

#define DEVXS_WAIT_MS 10000 /* Xen's toolstack gives a backend 10 s for each step */

/* Writes dir/leaf = the formatted value (no trailing NUL). */
int devxs_put(struct xs *x, uint32_t tx, const char *dir, const char *leaf, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* The value at path (malloc'd), or NULL. */
char *devxs_read(struct xs *x, const char *path);
/* The value at path as a number, or def. */
int devxs_read_int(struct xs *x, const char *path, int def);
long devxs_now_ms(void);

/*
 * Closes every device of `kind` ("vif", "vbd", "qdisk": a vbd served by diskback) of domid: online=0, backend state 5, the
 * frontend's entries removed (the domain is going: it is cut off, not asked). Then for each,
 * waits (bounded) until the backend reached state 6 and done(domid, devid, ctx) agrees, runs
 * after(x, backend path, ctx) if given, and removes the backend's entries.
 */
void devxs_teardown(struct xs *x, const char *kind, uint16_t domid,
                    bool (*done)(uint16_t domid, const char *devid, void *ctx),
                    void (*after)(struct xs *x, const char *be, void *ctx), void *ctx);

/*
 * Removes device devid of kind from a running domain: online=0 and backend state 5 ask the
 * guest's frontend to close; once the backend reached 6 (and done() agrees), the frontend's
 * and backend's entries go, after() running before the backend's. A frontend that does not
 * let go within DEVXS_WAIT_MS: with force it is cut off, else the device is left connected
 * and -EBUSY returned. -ENOENT when there is no such device.
 */
int devxs_detach(struct xs *x, const char *kind, uint16_t domid, unsigned int devid, bool force,
                 bool (*done)(uint16_t domid, const char *devid, void *ctx),
                 void (*after)(struct xs *x, const char *be, void *ctx), void *ctx);
/* Runs write(x, tx, arg) in a transaction, again (up to 20 times) while others' changes make
 * the commit fail with -EAGAIN. 0 or -errno. */
int devxs_transaction(struct xs *x, int (*write)(struct xs *, uint32_t, const void *), const void *arg);
/* Whether path exists in the store. */
bool devxs_exists(struct xs *x, const char *path);

#endif
