/* A store-ring client for test guests built from dom0 (start_info names the ring and its
 * event channel): requests out, replies in, waits bounded by a number of yields. */
#ifndef GUEST_XS_H
#define GUEST_XS_H

#include "test.h"
#include <public/io/xs_wire.h>

extern struct xenstore_domain_interface *xs_ring;
extern uint64_t xs_put_limit; /* yields to wait for room on the request ring */
extern uint32_t xs_req_id;    /* the id the next request carries */

/* Finds the ring through start_info; false when the domain has none. */
bool xs_init(void);
void xs_notify(void);
/* Puts len bytes on the request ring; false if there is never room. */
bool xs_put(const void *data, uint32_t len);
/* One request: "a\0" then optionally "b" (not terminated, as XS_WRITE's value). */
bool xs_send(uint32_t type, const char *a, const char *b);
/* The reply to the last request, NUL-terminated into out; its type, or -1. */
int64_t xs_reply(char *out, uint32_t cap);
/* Write and read one node (paths relative to /local/domain/<us> unless absolute). */
bool xs_write(const char *path, const char *val);
bool xs_read(const char *path, char *out, uint32_t cap);
/* Whether the command line holds the word key=value. */
bool cmdline_word(const char *key, const char *value);

#endif
