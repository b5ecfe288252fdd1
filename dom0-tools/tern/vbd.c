/*
 * Guests' disks. Entries (as Xen's toolstack and its block script leave them; blkback and
 * blkfront read them), for disk DEVID (Xen's number for the guest's name, xvda = 51712):
 *   /local/domain/0/backend/vbd/D/DEVID  dom0's, readable by D: frontend, frontend-id,
 *       online, params, script, mode, type=phy, dev, device-type, removable, bootable, node,
 *       physical-device (major:minor in hex, what blkback waits for), hotplug-status, state 1
 *   /local/domain/D/device/vbd/DEVID     D's, readable by dom0: backend, backend-id,
 *       virtual-device, device-type, trusted, state 1
 * The loop device is attached before the entries are written, so physical-device is there
 * from the start and blkback opens the device as soon as it probes.
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
#include "vbd.h"

#define WAIT_MS 10000

static int putf(struct xs *x, uint32_t tx, const char *dir, const char *leaf, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int putf(struct xs *x, uint32_t tx, const char *dir, const char *leaf, const char *fmt, ...)
{
    char path[256], val[300];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    snprintf(path, sizeof(path), "%s/%s", dir, leaf);
    return xs_write_str(x, tx, path, val);
}

static int fail(char *why, size_t len, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(char *why, size_t len, int rc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return rc;
}

static char *read_str(struct xs *x, const char *path)
{
    char *v;
    uint32_t len;
    return xs_read(x, 0, path, &v, &len) ? NULL : v;
}

/* Another domain's use of target that this one's conflicts with: its domid, or -1. */
static int conflict(struct xs *x, const char *target, int writable)
{
    char *doms, *devs, path[256];
    unsigned int nd, nv;
    int who = -1;

    if (xs_directory(x, 0, "/local/domain/0/backend/vbd", &doms, &nd))
        return -1;
    const char *d = doms;
    for (unsigned int i = 0; who < 0 && i < nd; i++, d += strlen(d) + 1) {
        snprintf(path, sizeof(path), "/local/domain/0/backend/vbd/%s", d);
        if (xs_directory(x, 0, path, &devs, &nv))
            continue;
        const char *v = devs;
        for (unsigned int j = 0; who < 0 && j < nv; j++, v += strlen(v) + 1) {
            char p[320];
            snprintf(p, sizeof(p), "/local/domain/0/backend/vbd/%s/%s/params", d, v);
            char *params = read_str(x, p);
            snprintf(p, sizeof(p), "/local/domain/0/backend/vbd/%s/%s/mode", d, v);
            char *mode = read_str(x, p);
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

int vbd_write_entries(struct xs *x, uint32_t tx, const struct domain_config *cfg,
                      const struct vbd_dev *devs, uint16_t domid)
{
    char fe[128], be[128], own[16], ro[16];
    const char *fe_perms[2] = { own, "r0" }, *be_perms[2] = { "n0", ro };
    int rc = 0;

    snprintf(own, sizeof(own), "n%u", domid);
    snprintf(ro, sizeof(ro), "r%u", domid);
    for (unsigned int i = 0; !rc && i < cfg->nr_disks; i++) {
        const struct disk_config *d = &cfg->disk[i];
        snprintf(fe, sizeof(fe), "/local/domain/%u/device/vbd/%u", domid, d->devid);
        snprintf(be, sizeof(be), "/local/domain/0/backend/vbd/%u/%u", domid, d->devid);
        rc = xs_mkdir(x, tx, be) ?: xs_set_perms(x, tx, be, be_perms, 2) ?:
             putf(x, tx, be, "frontend", "%s", fe) ?: putf(x, tx, be, "frontend-id", "%u", domid) ?:
             putf(x, tx, be, "online", "1") ?: putf(x, tx, be, "params", "%s", d->target) ?:
             putf(x, tx, be, "script", "tern") ?: putf(x, tx, be, "mode", "%s", d->writable ? "w" : "r") ?:
             putf(x, tx, be, "type", "phy") ?: putf(x, tx, be, "dev", "%s", d->vdev) ?:
             putf(x, tx, be, "device-type", "disk") ?: putf(x, tx, be, "removable", "0") ?:
             putf(x, tx, be, "bootable", "1") ?: putf(x, tx, be, "node", "%s", devs[i].node) ?:
             putf(x, tx, be, "physical-device", "%x:%x", devs[i].major, devs[i].minor) ?:
             putf(x, tx, be, "hotplug-status", "connected") ?:
             xs_mkdir(x, tx, fe) ?: xs_set_perms(x, tx, fe, fe_perms, 2) ?:
             putf(x, tx, fe, "backend", "%s", be) ?: putf(x, tx, fe, "backend-id", "0") ?:
             putf(x, tx, fe, "virtual-device", "%u", d->devid) ?:
             putf(x, tx, fe, "device-type", "disk") ?: putf(x, tx, fe, "trusted", "1") ?:
             putf(x, tx, be, "state", "1") ?: putf(x, tx, fe, "state", "1");
    }
    return rc;
}

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void vbd_teardown(struct xs *x, uint16_t domid)
{
    char dir[96], path[256], *names;
    unsigned int count;

    snprintf(dir, sizeof(dir), "/local/domain/0/backend/vbd/%u", domid);
    if (xs_directory(x, 0, dir, &names, &count))
        return; /* no disks */
    const char *name = names;
    for (unsigned int i = 0; i < count; i++, name += strlen(name) + 1) {
        snprintf(path, sizeof(path), "%s/%s/online", dir, name);
        xs_write_str(x, 0, path, "0");
        snprintf(path, sizeof(path), "%s/%s/state", dir, name);
        xs_write_str(x, 0, path, "5");
        snprintf(path, sizeof(path), "/local/domain/%u/device/vbd/%s", domid, name);
        xs_rm(x, 0, path); /* the domain is going: cut off, not asked */
    }
    name = names;
    for (unsigned int i = 0; i < count; i++, name += strlen(name) + 1) {
        long end = now_ms() + WAIT_MS;
        char *state = NULL, *node;
        snprintf(path, sizeof(path), "%s/%s/state", dir, name);
        /* blkback closes its device on the way to Closed (6) */
        while (now_ms() < end && (state = read_str(x, path)) && strcmp(state, "6")) {
            free(state);
            state = NULL;
            struct timespec tick = { 0, 20 * 1000 * 1000 };
            nanosleep(&tick, NULL);
        }
        free(state);
        snprintf(path, sizeof(path), "%s/%s/node", dir, name);
        if ((node = read_str(x, path)) && !strncmp(node, "/dev/loop", 9))
            loop_detach(atoi(node + 9));
        free(node);
    }
    free(names);
    xs_rm(x, 0, dir);
}
