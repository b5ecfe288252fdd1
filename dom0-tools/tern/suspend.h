/* Suspending a PV guest for a save or snapshot (Xen's protocol: control/shutdown =
 * "suspend", the guest acknowledges and shuts down with SHUTDOWN_suspend), and resuming
 * it in place when the suspend is cancelled. */
#ifndef TERN_SUSPEND_H
#define TERN_SUSPEND_H

#include <stddef.h>
#include <stdint.h>

struct ctrl;

/* 0 once the domain is shut down for suspend. On failure the guest keeps running and why
 * says what happened: -ETIMEDOUT (no answer within timeout_ms; the request is taken back),
 * -ECANCELED (it shut down for another reason), or the error of a call. */
int suspend_domain(struct ctrl *c, uint16_t domid, int timeout_ms, char *why, size_t len);
/* suspend_domain with work while the guest takes the request: between(arg) runs instead of
 * a nap at each look until it returns 0 (nothing left to do) or less. */
int suspend_domain_with(struct ctrl *c, uint16_t domid, int timeout_ms, int (*between)(void *arg),
                        void *arg, char *why, size_t len);
/* Resumes a suspended domain in place: its suspend hypercall returns 1 ("cancelled"), so
 * the guest carries on with its devices as they were. 0 or -errno. running_at (if not
 * NULL) gets now_ms() of the moment it is let run. */
int resume_domain(struct ctrl *c, uint16_t domid, double *running_at);
/* The shutdown code when the domain is shut down, -1 while it runs, -errno when gone. */
int domain_shutdown_code(struct ctrl *c, uint16_t domid);
/* Milliseconds on the monotonic clock. */
double now_ms(void);

#endif
