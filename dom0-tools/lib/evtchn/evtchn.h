/*
 * Event channels from dom0 user space through /dev/xen/evtchn: bind to another domain's
 * port, notify it, and wait for its notifications (the device's fd is pollable).
 * Functions return 0 / a port, or -errno; they never print.
 */
#ifndef TERN_EVTCHN_H
#define TERN_EVTCHN_H

#include <stdint.h>

struct evtchn {
    int fd;
};

int evtchn_open(struct evtchn *e);
void evtchn_close(struct evtchn *e);
/* A local port connected to remote_port of domain dom; the local port or -errno. */
int evtchn_bind_interdomain(struct evtchn *e, uint16_t dom, uint32_t remote_port);
/* A local port bound to a global VIRQ (VIRQ_DOM_EXC...). */
int evtchn_bind_virq(struct evtchn *e, uint32_t virq);
int evtchn_unbind(struct evtchn *e, uint32_t port);
int evtchn_notify(struct evtchn *e, uint32_t port);
/* The next port that fired (blocks unless the fd is non-blocking), or -errno. The port is
 * masked until evtchn_unmask. */
int evtchn_pending(struct evtchn *e);
int evtchn_unmask(struct evtchn *e, uint32_t port);

#endif
