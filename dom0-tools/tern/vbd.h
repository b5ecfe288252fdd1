/* Guests' disks: blkfront in the guest; in dom0 Tern's own backend over an image file
 * (qdisk, diskback.c) or Linux's blkback over a block device (phy: a device of dom0's, or an
 * image through a loop device), joined through xenstore. */
#ifndef TERN_VBD_H
#define TERN_VBD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct xs;

/* What vbd_prepare set up for one disk. */
struct vbd_dev {
    char node[CONFIG_STR]; /* the block device blkback opens (/dev/loopN, the phy: device), or
                            * the image diskback serves */
    unsigned int major, minor;
    int loop;             /* N of /dev/loopN that we attached, or -1 */
};

/*
 * Before the domain's entries are written: refuses an image another domain writes to (or
 * that this one would write while others read it), then attaches each image file to a loop
 * device. 0, or -errno with why (and nothing left attached).
 */
int vbd_prepare(struct xs *x, const struct domain_config *cfg, struct vbd_dev *devs, char *why,
                size_t len);
/* Undoes vbd_prepare when the domain is not created after all. */
void vbd_unprepare(const struct domain_config *cfg, struct vbd_dev *devs);
/* The frontend and backend entries of every disk, inside the caller's transaction. */
int vbd_write_entries(struct xs *x, uint32_t tx, const struct domain_config *cfg,
                      const struct vbd_dev *devs, uint16_t domid);
/* The entries of one disk. */
int vbd_write_one(struct xs *x, uint32_t tx, const struct disk_config *d, const struct vbd_dev *dev,
                  uint16_t domid);
/* After the entries are committed: starts the backend of each qdisk disk. 0, or -errno with
 * why. */
int vbd_start(const struct domain_config *cfg, uint16_t domid, char *why, size_t len);
/* "vbd" or "qdisk": where disk devid of domid has its backend entries; NULL if nowhere. */
const char *vbd_kind(struct xs *x, uint16_t domid, unsigned int devid);
/* Takes disk devid from a running guest (see devxs_detach) and detaches its loop device. */
int vbd_detach(struct xs *x, uint16_t domid, unsigned int devid, bool force);
/* Closes every disk of the domain, waits (bounded) for its backend to let go, detaches the
 * loop devices and removes the backend entries. */
void vbd_teardown(struct xs *x, uint16_t domid);

#endif
