/*
 * Guests' disks. Entries (as Xen's toolstack and its block script leave them; blkback and
 * blkfront read them), for disk DEVID (Xen's number for the guest's name, xvda = 51712):
 *   /local/domain/0/backend/KIND/D/DEVID dom0's, readable by D: frontend, frontend-id,
 *       online, params, script, mode, type, dev, device-type, removable, bootable, node,
 *       physical-device (major:minor in hex, what blkback waits for), hotplug-status, state 1
 *   /local/domain/D/device/vbd/DEVID     D's, readable by dom0: backend, backend-id,
 *       virtual-device, device-type, trusted, state 1
 * KIND is qdisk for an image served by Tern's own backend (diskback.c, started once the
 * entries are in; no node, no physical-device), vbd for Linux's blkback: a phy: device, or an
 * image attached to a loop device before the entries are written, so physical-device is
 * there from the start and blkback opens the device as soon as it probes.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "../lib/xs/xs.h"
#include "devxs.h"
#include "diskback.h"
#include "vbd.h"


static int fail(char *why, size_t len, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(char *why, size_t len, int rc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return rc;
}

static const char *const kinds[2] = { "vbd", "qdisk" };

/* Another domain's use of target that this one's conflicts with: its domid, or -1. */
static int conflict_in(struct xs *x, const char *kind, const char *target, int writable)
{
    char *doms, *devs, path[256];
    unsigned int nd, nv;
    int who = -1;

    snprintf(path, sizeof(path), "/local/domain/0/backend/%s", kind);
    if (xs_directory(x, 0, path, &doms, &nd))
        return -1;
    const char *d = doms;
    for (unsigned int i = 0; who < 0 && i < nd; i++, d += strlen(d) + 1) {
        snprintf(path, sizeof(path), "/local/domain/0/backend/%s/%s", kind, d);
        if (xs_directory(x, 0, path, &devs, &nv))
            continue;
        const char *v = devs;
        for (unsigned int j = 0; who < 0 && j < nv; j++, v += strlen(v) + 1) {
            char p[320];
            snprintf(p, sizeof(p), "/local/domain/0/backend/%s/%s/%s/params", kind, d, v);
            char *params = devxs_read(x, p);
            snprintf(p, sizeof(p), "/local/domain/0/backend/%s/%s/%s/mode", kind, d, v);
            char *mode = devxs_read(x, p);
            if (params && mode && !strcmp(params, target) && (writable || mode[0] == 'w'))
                who = atoi(d);
            free(params);
            free(mode);
        }
        free(devs);
    }
    free(doms);
    return who;
}

static int conflict(struct xs *x, const char *target, int writable)
{
    int who = conflict_in(x, kinds[0], target, writable);

    return who >= 0 ? who : conflict_in(x, kinds[1], target, writable);
}

/* Attaches path to a free loop device. */
static int loop_attach(const char *path, int writable, struct vbd_dev *dev)
{
    int ctl, file, loop, n, rc = 0;
    struct loop_info64 info;

    if ((ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC)) < 0)
        return -errno;
    file = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (file < 0) {
        rc = -errno;
        close(ctl);
        return rc;
    }
    for (int tries = 0; tries < 10; tries++) { /* another may take the free one first */
        if ((n = ioctl(ctl, LOOP_CTL_GET_FREE)) < 0) {
            rc = -errno;
            break;
        }
        snprintf(dev->node, sizeof(dev->node), "/dev/loop%d", n);
        if ((loop = open(dev->node, O_RDWR | O_CLOEXEC)) < 0) {
            rc = -errno;
            break;
        }
        if (ioctl(loop, LOOP_SET_FD, file)) {
            rc = -errno;
            close(loop);
            if (rc == -EBUSY)
                continue;
            break;
        }
        memset(&info, 0, sizeof(info));
        snprintf((char *)info.lo_file_name, sizeof(info.lo_file_name), "%s", path);
        info.lo_flags = writable ? 0 : LO_FLAGS_READ_ONLY;
        if (ioctl(loop, LOOP_SET_STATUS64, &info)) {
            rc = -errno;
            ioctl(loop, LOOP_CLR_FD);
        } else {
            dev->loop = n;
            rc = 0;
        }
        close(loop);
        break;
    }
    close(file);
    close(ctl);
    return rc;
}

static void loop_detach(int n)
{
    char node[32];
    int fd;

    if (n < 0)
        return;
    snprintf(node, sizeof(node), "/dev/loop%d", n);
    if ((fd = open(node, O_RDWR | O_CLOEXEC)) >= 0) {
        ioctl(fd, LOOP_CLR_FD); /* still open elsewhere: the kernel detaches it at the last close */
        close(fd);
    }
}

int vbd_prepare(struct xs *x, const struct domain_config *cfg, struct vbd_dev *devs, char *why,
                size_t len)
{
    for (unsigned int i = 0; i < cfg->nr_disks; i++)
        devs[i].loop = -1;
    for (unsigned int i = 0; i < cfg->nr_disks; i++) {
        const struct disk_config *d = &cfg->disk[i];
        struct stat st;
        int rc = 0, who;

        for (unsigned int j = 0; j < i && !rc; j++)
            if (!strcmp(cfg->disk[j].target, d->target) && (d->writable || cfg->disk[j].writable))
                rc = fail(why, len, -EBUSY, "disk %s: %s is given twice, once writable", d->vdev, d->target);
        if (!rc && (who = conflict(x, d->target, d->writable)) >= 0)
            rc = fail(why, len, -EBUSY, "disk %s: %s is in use by domain %d%s", d->vdev, d->target, who,
                      d->writable ? "" : " for writing");
        if (!rc && stat(d->target, &st))
            rc = fail(why, len, -errno, "disk %s: %s: %s", d->vdev, d->target, strerror(errno));
        if (!rc && d->phy && !S_ISBLK(st.st_mode))
            rc = fail(why, len, -EINVAL, "disk %s: %s is not a block device (phy:)", d->vdev, d->target);
        if (!rc && !d->phy && !S_ISREG(st.st_mode))
            rc = fail(why, len, -EINVAL, "disk %s: %s is not a regular file", d->vdev, d->target);
        if (!rc && d->phy) {
            snprintf(devs[i].node, sizeof(devs[i].node), "%s", d->target);
            devs[i].major = major(st.st_rdev);
            devs[i].minor = minor(st.st_rdev);
        } else if (!rc && d->qdisk) {
            snprintf(devs[i].node, sizeof(devs[i].node), "%s", d->target);
        } else if (!rc) {
            if ((rc = loop_attach(d->target, d->writable, &devs[i])))
                snprintf(why, len, "disk %s: cannot attach %s to a loop device (%s)", d->vdev,
                         d->target, strerror(-rc));
            else if (stat(devs[i].node, &st))
                rc = fail(why, len, -ENODEV, "disk %s: %s vanished", d->vdev, devs[i].node);
            else {
                devs[i].major = major(st.st_rdev);
                devs[i].minor = minor(st.st_rdev);
            }
        }
        if (rc) {
            vbd_unprepare(cfg, devs);
            return rc;
        }
    }
    return 0;
}

void vbd_unprepare(const struct domain_config *cfg, struct vbd_dev *devs)
{
    for (unsigned int i = 0; i < cfg->nr_disks; i++) {
        loop_detach(devs[i].loop);
        devs[i].loop = -1;
    }
}

int vbd_write_one(struct xs *x, uint32_t tx, const struct disk_config *d, const struct vbd_dev *dev,
                  uint16_t domid)
{
    char fe[128], be[128], own[16], ro[16];
    const char *fe_perms[2] = { own, "r0" }, *be_perms[2] = { "n0", ro };
    int rc;

    snprintf(own, sizeof(own), "n%u", domid);
    snprintf(ro, sizeof(ro), "r%u", domid);
    snprintf(fe, sizeof(fe), "/local/domain/%u/device/vbd/%u", domid, d->devid);
    snprintf(be, sizeof(be), "/local/domain/0/backend/%s/%u/%u", d->qdisk ? "qdisk" : "vbd", domid, d->devid);
    rc = xs_mkdir(x, tx, be) ?: xs_set_perms(x, tx, be, be_perms, 2) ?:
           devxs_put(x, tx, be, "frontend", "%s", fe) ?: devxs_put(x, tx, be, "frontend-id", "%u", domid) ?:
           devxs_put(x, tx, be, "online", "1") ?: devxs_put(x, tx, be, "params", "%s", d->target) ?:
           devxs_put(x, tx, be, "script", "tern") ?: devxs_put(x, tx, be, "mode", "%s", d->writable ? "w" : "r") ?:
           devxs_put(x, tx, be, "type", "%s", d->qdisk ? "qdisk" : "phy") ?: devxs_put(x, tx, be, "dev", "%s", d->vdev) ?:
           devxs_put(x, tx, be, "device-type", "disk") ?: devxs_put(x, tx, be, "removable", "0") ?:
           devxs_put(x, tx, be, "bootable", "1") ?: devxs_put(x, tx, be, "hotplug-status", "connected");
    if (!rc && !d->qdisk)
        rc = devxs_put(x, tx, be, "node", "%s", dev->node) ?:
             devxs_put(x, tx, be, "physical-device", "%x:%x", dev->major, dev->minor);
    return rc ?:
           xs_mkdir(x, tx, fe) ?: xs_set_perms(x, tx, fe, fe_perms, 2) ?:
           devxs_put(x, tx, fe, "backend", "%s", be) ?: devxs_put(x, tx, fe, "backend-id", "0") ?:
           devxs_put(x, tx, fe, "virtual-device", "%u", d->devid) ?:
           devxs_put(x, tx, fe, "device-type", "disk") ?: devxs_put(x, tx, fe, "trusted", "1") ?:
           devxs_put(x, tx, be, "state", "1") ?: devxs_put(x, tx, fe, "state", "1");
}

int vbd_write_entries(struct xs *x, uint32_t tx, const struct domain_config *cfg,
                      const struct vbd_dev *devs, uint16_t domid)
{
    int rc = 0;

    for (unsigned int i = 0; !rc && i < cfg->nr_disks; i++)
        rc = vbd_write_one(x, tx, &cfg->disk[i], &devs[i], domid);
    return rc;
}

/* the backend let go of the device: the loop device can go too */
static void loop_release(struct xs *x, const char *be, void *ctx)
{
    char path[200], *node;

    (void)ctx;
    snprintf(path, sizeof(path), "%s/node", be);
    if ((node = devxs_read(x, path)) && !strncmp(node, "/dev/loop", 9))
        loop_detach(atoi(node + 9));
    free(node);
}

int vbd_start(const struct domain_config *cfg, uint16_t domid, char *why, size_t len)
{
    int rc = 0;

    for (unsigned int i = 0; !rc && i < cfg->nr_disks; i++)
        if (cfg->disk[i].qdisk && (rc = diskback_spawn(domid, cfg->disk[i].devid)))
            snprintf(why, len, "disk %s: cannot start its backend (%s)", cfg->disk[i].vdev, strerror(-rc));
    return rc;
}

void vbd_teardown(struct xs *x, uint16_t domid)
{
    devxs_teardown(x, "vbd", domid, NULL, loop_release, NULL);
    devxs_teardown(x, "qdisk", domid, NULL, NULL, NULL);
}

int vbd_detach(struct xs *x, uint16_t domid, unsigned int devid, bool force)
{
    int rc = devxs_detach(x, "vbd", domid, devid, force, NULL, loop_release, NULL);

    return rc == -ENOENT ? devxs_detach(x, "qdisk", domid, devid, force, NULL, NULL, NULL) : rc;
}

const char *vbd_kind(struct xs *x, uint16_t domid, unsigned int devid)
{
    char be[96];

    for (unsigned int k = 0; k < 2; k++) {
        snprintf(be, sizeof(be), "/local/domain/0/backend/%s/%u/%u", kinds[k], domid, devid);
        if (devxs_exists(x, be))
            return kinds[k];
    }
    return NULL;
}
