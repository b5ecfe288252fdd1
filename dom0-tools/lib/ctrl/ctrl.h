/*
 * The control library: domctl and sysctl over lib/call, in the terms of Xen's public
 * headers (hypervisor/include/public). Functions return 0 or -errno; they never print.
 */
#ifndef TERN_CTRL_H
#define TERN_CTRL_H

#include <stdint.h>
#include <public/domctl.h>
#include <public/sysctl.h>

struct call;

struct ctrl {
    struct call *call;
    struct xen_domctl *domctl;   /* one op buffer each, in hypercall memory */
    struct xen_sysctl *sysctl;
};

/* -errno when this is not dom0 or privcmd is missing. */
int ctrl_open(struct ctrl *c);
void ctrl_close(struct ctrl *c);

int ctrl_physinfo(struct ctrl *c, struct xen_sysctl_physinfo *out);
/* Up to max domains with id >= first, in id order; *n gets how many. */
int ctrl_domain_list(struct ctrl *c, uint16_t first, xen_domctl_getdomaininfo_t *out,
                     unsigned int max, unsigned int *n);
int ctrl_domain_info(struct ctrl *c, uint16_t domid, xen_domctl_getdomaininfo_t *out);
int ctrl_domain_pause(struct ctrl *c, uint16_t domid);
int ctrl_domain_unpause(struct ctrl *c, uint16_t domid);
int ctrl_domain_destroy(struct ctrl *c, uint16_t domid);
/* Log-dirty (XEN_DOMCTL_shadow_op): op is XEN_DOMCTL_SHADOW_OP_*. For CLEAN and PEEK,
 * bitmap (may be NULL) gets *pages bits, one per pfn; *pages becomes how many the
 * hypervisor filled. stats (may be NULL) gets the round's fault and dirty counts. */
int ctrl_shadow_op(struct ctrl *c, uint16_t domid, uint32_t op, uint8_t *bitmap, uint64_t *pages,
                   struct xen_domctl_shadow_op_stats *stats);
/* A raw domctl: op->interface_version is filled in; op is copied back. */
int ctrl_domctl(struct ctrl *c, struct xen_domctl *op);
/* Any sysctl, op filled but for the interface version; op gets the result back. */
int ctrl_sysctl(struct ctrl *c, struct xen_sysctl *op);

#endif
