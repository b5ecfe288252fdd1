/* domctl/sysctl wrappers: fill the op in hypercall memory, issue it, copy results out. */
#include "ctrl.h"

#include <errno.h>
#include <string.h>

#include "../call/call.h"

int ctrl_open(struct ctrl *c)
{
    memset(c, 0, sizeof(*c));
    c->call = call_open();
    if (!c->call)
        return -errno;
    c->domctl = call_buf_alloc(c->call, sizeof(*c->domctl));
    c->sysctl = call_buf_alloc(c->call, sizeof(*c->sysctl));
    if (!c->domctl || !c->sysctl) {
        ctrl_close(c);
        return -ENOMEM;
    }
    return 0;
}

void ctrl_close(struct ctrl *c)
{
    if (c->call) {
        call_buf_free(c->call, c->domctl, sizeof(*c->domctl));
        call_buf_free(c->call, c->sysctl, sizeof(*c->sysctl));
        call_close(c->call);
    }
    memset(c, 0, sizeof(*c));
}

int ctrl_domctl(struct ctrl *c, struct xen_domctl *op)
{
    long rc;

    op->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
    *c->domctl = *op;
    rc = call_hypercall(c->call, __HYPERVISOR_domctl, (uint64_t)(uintptr_t)c->domctl, 0, 0, 0, 0);
    *op = *c->domctl;
    return rc < 0 ? (int)rc : 0;
}

int ctrl_sysctl(struct ctrl *c, struct xen_sysctl *op)
{
    long rc;

    op->interface_version = XEN_SYSCTL_INTERFACE_VERSION;
    *c->sysctl = *op;
    rc = call_hypercall(c->call, __HYPERVISOR_sysctl, (uint64_t)(uintptr_t)c->sysctl, 0, 0, 0, 0);
    *op = *c->sysctl;
    return rc < 0 ? (int)rc : 0;
}

int ctrl_physinfo(struct ctrl *c, struct xen_sysctl_physinfo *out)
{
    struct xen_sysctl op = { .cmd = XEN_SYSCTL_physinfo };
    int rc = ctrl_sysctl(c, &op);

    if (!rc)
        *out = op.u.physinfo;
    return rc;
}

int ctrl_domain_list(struct ctrl *c, uint16_t first, xen_domctl_getdomaininfo_t *out,
                     unsigned int max, unsigned int *n)
{
    size_t len = (size_t)max * sizeof(*out);
    xen_domctl_getdomaininfo_t *buf = call_buf_alloc(c->call, len);
    int rc;

    if (!buf)
        return -ENOMEM;
    struct xen_sysctl op = { .cmd = XEN_SYSCTL_getdomaininfolist };
    op.u.getdomaininfolist.first_domain = first;
    op.u.getdomaininfolist.max_domains = max;
    op.u.getdomaininfolist.buffer = buf;
    rc = ctrl_sysctl(c, &op);
    if (!rc) {
        *n = op.u.getdomaininfolist.num_domains;
        if (*n > max)
            rc = -EPROTO;
        else
            memcpy(out, buf, *n * sizeof(*out));
    }
    call_buf_free(c->call, buf, len);
    return rc;
}

static int simple(struct ctrl *c, uint32_t cmd, uint16_t domid)
{
    struct xen_domctl op = { .cmd = cmd, .domain = domid };
    return ctrl_domctl(c, &op);
}

int ctrl_domain_info(struct ctrl *c, uint16_t domid, xen_domctl_getdomaininfo_t *out)
{
    struct xen_domctl op = { .cmd = XEN_DOMCTL_getdomaininfo, .domain = domid };
    int rc = ctrl_domctl(c, &op);

    if (!rc)
        *out = op.u.getdomaininfo;
    return rc;
}

int ctrl_domain_pause(struct ctrl *c, uint16_t domid)
{
    return simple(c, XEN_DOMCTL_pausedomain, domid);
}

int ctrl_domain_unpause(struct ctrl *c, uint16_t domid)
{
    return simple(c, XEN_DOMCTL_unpausedomain, domid);
}

int ctrl_domain_destroy(struct ctrl *c, uint16_t domid)
{
    return simple(c, XEN_DOMCTL_destroydomain, domid);
}

int ctrl_shadow_op(struct ctrl *c, uint16_t domid, uint32_t op, uint8_t *bitmap, uint64_t *pages,
                   struct xen_domctl_shadow_op_stats *stats)
{
    struct xen_domctl d = { .cmd = XEN_DOMCTL_shadow_op, .domain = domid };
    size_t len = bitmap && pages ? (size_t)(*pages + 7) / 8 : 0;
    uint8_t *buf = NULL;
    int rc;

    d.u.shadow_op.op = op;
    if (len) {
        /* the hypervisor writes it while the call runs: hypercall memory */
        if (!(buf = call_buf_alloc(c->call, len)))
            return -ENOMEM;
        d.u.shadow_op.dirty_bitmap = buf;
        d.u.shadow_op.pages = *pages;
    }
    rc = ctrl_domctl(c, &d);
    if (!rc && pages)
        *pages = len ? d.u.shadow_op.pages : 0;
    if (!rc && len)
        memcpy(bitmap, buf, (size_t)(d.u.shadow_op.pages + 7) / 8);
    if (!rc && stats)
        *stats = d.u.shadow_op.stats;
    if (buf)
        call_buf_free(c->call, buf, len);
    return rc;
}
