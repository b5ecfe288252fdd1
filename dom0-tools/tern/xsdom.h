/* A domain's place in xenstore, as the toolstack keeps it: /local/domain/ID written at
 * create and the domain introduced to xenstored; released and removed when it goes. */
#ifndef TERN_XSDOM_H
#define TERN_XSDOM_H

#include <stdint.h>

struct domain_config;
struct build_result;

/* 0 or -errno; why says what failed. */
int xsdom_setup(const struct domain_config *cfg, const struct build_result *r, char *why, size_t len);
/* Best effort: the domain may never have been introduced. */
void xsdom_forget(uint16_t domid);
/* Writes control/shutdown ("poweroff", "reboot", ...). -EOPNOTSUPP when the guest never
 * said it listens (no control/feature-<what>): the request is written all the same. */
int xsdom_request_shutdown(uint16_t domid, const char *what);

#endif
