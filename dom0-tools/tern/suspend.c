/* The suspend handshake with a PV guest, and the cancelled-suspend resume. */
#include "suspend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/call/call.h"
#include "../lib/ctrl/ctrl.h"
#include "../lib/xs/xs.h"
#include <public/sched.h>

double now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void nap(void)
{
    struct timespec t = { 0, 500000 }; /* between looks at the store or the domain */
    nanosleep(&t, NULL);
}

int domain_shutdown_code(struct ctrl *c, uint16_t domid)
{
    xen_domctl_getdomaininfo_t info;
    int rc = ctrl_domain_info(c, domid, &info);

    if (rc)
        return rc;
    if (info.flags & XEN_DOMINF_dying)
        return -ESRCH;
    if (!(info.flags & XEN_DOMINF_shutdown))
        return -1;
    return (int)((info.flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask);
}

int suspend_domain(struct ctrl *c, uint16_t domid, int timeout_ms, char *why, size_t len)
{
    return suspend_domain_with(c, domid, timeout_ms, NULL, NULL, why, len);
}

int suspend_domain_with(struct ctrl *c, uint16_t domid, int timeout_ms, int (*between)(void *arg),
                        void *arg, char *why, size_t len)
{
    char path[96], *v;
    uint32_t vlen;
    double end = now_ms() + timeout_ms;
    bool acked = false;
    struct xs x;
    int rc, code;

    if ((rc = xs_open(&x))) {
        snprintf(why, len, "cannot reach xenstored: %s", strerror(-rc));
        return rc;
    }
    snprintf(path, sizeof(path), "/local/domain/%u/control/shutdown", domid);
    if ((rc = xs_write_str(&x, 0, path, "suspend"))) {
        xs_close(&x);
        snprintf(why, len, "cannot ask for a suspend: %s", strerror(-rc));
        return rc;
    }
    /* the guest takes the request by rewriting the node, then suspends */
    while (now_ms() < end) {
        if ((code = domain_shutdown_code(c, domid)) >= 0 || code < -1)
            break;
        if (!acked) {
            if (xs_read(&x, 0, path, &v, &vlen)) {
                acked = true;
            } else {
                acked = vlen != 7 || memcmp(v, "suspend", 7);
                free(v);
            }
        }
        if (between && between(arg) > 0)
            continue; /* more to do: look again at once */
        between = NULL;
        nap();
    }
    code = domain_shutdown_code(c, domid);
    if (code == -1 && !acked) {
        /* take the request back, unless the guest took it at the last moment */
        if (!xs_read(&x, 0, path, &v, &vlen)) {
            if (vlen == 7 && !memcmp(v, "suspend", 7))
                xs_rm(&x, 0, path);
            free(v);
        }
    }
    xs_close(&x);
    if (code == SHUTDOWN_suspend)
        return 0;
    if (code < -1) {
        snprintf(why, len, "the domain went away: %s", strerror(-code));
        return code;
    }
    if (code >= 0) {
        snprintf(why, len, "it shut down (code %d) instead of suspending", code);
        return -ECANCELED;
    }
    snprintf(why, len, acked ? "it took the suspend request but did not suspend within %d ms"
                             : "it did not answer the suspend request within %d ms; it keeps running",
             timeout_ms);
    return -ETIMEDOUT;
}

int resume_domain(struct ctrl *c, uint16_t domid, double *running_at)
{
    vcpu_guest_context_t *ctx = call_buf_alloc(c->call, sizeof(*ctx));
    struct xen_domctl op = { .cmd = XEN_DOMCTL_getvcpucontext, .domain = domid };
    int rc, unpause;

    if (!ctx)
        return -ENOMEM;
    if ((rc = ctrl_domain_pause(c, domid))) {
        call_buf_free(c->call, ctx, sizeof(*ctx));
        return rc;
    }
    op.u.vcpucontext.vcpu = 0;
    op.u.vcpucontext.ctxt = ctx;
    if (!(rc = ctrl_domctl(c, &op))) {
        ctx->user_regs.rax = 1; /* the suspend hypercall's answer: cancelled, same domain */
        memset(&op, 0, sizeof(op));
        op.cmd = XEN_DOMCTL_setvcpucontext;
        op.domain = domid;
        op.u.vcpucontext.vcpu = 0;
        op.u.vcpucontext.ctxt = ctx;
        rc = ctrl_domctl(c, &op);
    }
    if (!rc) {
        memset(&op, 0, sizeof(op));
        op.cmd = XEN_DOMCTL_resumedomain;
        op.domain = domid;
        rc = ctrl_domctl(c, &op);
    }
    if (running_at)
        *running_at = now_ms();
    unpause = ctrl_domain_unpause(c, domid);
    call_buf_free(c->call, ctx, sizeof(*ctx));
    return rc ? rc : unpause;
}
