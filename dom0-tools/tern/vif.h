/* Guests' network interfaces: netfront in the guest, Linux's netback in dom0, joined through
 * xenstore as Xen's toolstack lays it out, with the backend's vifD.N put in a bridge. */
#ifndef TERN_VIF_H
#define TERN_VIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct domain_config;
struct vif_config;
struct xs;

/* The frontend and backend entries of every vif, inside the caller's transaction. */
int vif_write_entries(struct xs *x, uint32_t tx, const struct domain_config *cfg, uint16_t domid);
/* What Xen's hotplug script does once netback made vifD.N: into its bridge, up, then
 * hotplug-status "connected", which netback waits for. 0 or -errno with why. */
int vif_hotplug(const struct domain_config *cfg, uint16_t domid, char *why, size_t len);
/* One vif's entries, as vif_write_entries writes each. */
int vif_write_one(struct xs *x, uint32_t tx, const struct vif_config *v, uint16_t domid,
                  unsigned int n);
/* vif_hotplug for vif n alone, on an open connection. */
int vif_hotplug_one(struct xs *x, const struct vif_config *v, uint16_t domid, unsigned int n,
                    char *why, size_t len);
/* Takes vif n from a running guest (see devxs_detach); netback removes vifD.N. */
int vif_detach(struct xs *x, uint16_t domid, unsigned int n, bool force);
/* Closes every vif of the domain and removes its backend entries; netback unmaps the rings
 * and removes vifD.N. Bounded: a frontend that does not answer is cut off. */
void vif_teardown(struct xs *x, uint16_t domid);

#endif
