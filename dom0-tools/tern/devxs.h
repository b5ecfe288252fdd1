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
 * Closes every device of `kind` ("vif", "vbd") of domid: online=0, backend state 5, the
 * frontend's entries removed (the domain is going: it is cut off, not asked). Then for each,
 * waits (bounded) until the backend reached state 6 and done(domid, devid, ctx) agrees, runs
 * after(x, backend path, ctx) if given, and removes the backend's entries.
 */
void devxs_teardown(struct xs *x, const char *kind, uint16_t domid,
                    bool (*done)(uint16_t domid, const char *devid, void *ctx),
                    void (*after)(struct xs *x, const char *be, void *ctx), void *ctx);

#endif
