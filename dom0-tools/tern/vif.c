/*
 * Guests' vifs. Entries (as Xen's toolstack writes them; netback and netfront read them):
 *   /local/domain/0/backend/vif/D/N   dom0's, readable by D: frontend, frontend-id, online,
 *                                     state 1, script, mac, bridge, handle, type, hotplug-status ""
 *   /local/domain/D/device/vif/N      D's, readable by dom0: backend, backend-id, state 1,
 *                                     handle, mac, trusted; mtu read-only to D
 * netback probes on state 1, advertises its features, goes to state 2 and makes vifD.N; it
 * reports Connected only once hotplug-status reads "connected".
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../lib/xs/xs.h"
#include "config.h"
#include "vif.h"

#define WAIT_MS 10000 /* Xen's toolstack gives a backend 10 s to reach InitWait */

static int putf(struct xs *x, uint32_t tx, const char *dir, const char *leaf, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int putf(struct xs *x, uint32_t tx, const char *dir, const char *leaf, const char *fmt, ...)
{
    char path[256], val[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    snprintf(path, sizeof(path), "%s/%s", dir, leaf);
    return xs_write_str(x, tx, path, val);
}

static void be_path(char *out, size_t len, uint16_t domid, unsigned int n)
{
    snprintf(out, len, "/local/domain/0/backend/vif/%u/%u", domid, n);
}

int vif_write_entries(struct xs *x, uint32_t tx, const struct domain_config *cfg, uint16_t domid)
{
    char fe[128], be[128], mtu[160], own[16], ro[16];
    const char *fe_perms[2] = { own, "r0" }, *be_perms[2] = { "n0", ro };
    int rc = 0;

    snprintf(own, sizeof(own), "n%u", domid);
    snprintf(ro, sizeof(ro), "r%u", domid);
    for (unsigned int n = 0; !rc && n < cfg->nr_vifs; n++) {
        const struct vif_config *v = &cfg->vif[n];
        snprintf(fe, sizeof(fe), "/local/domain/%u/device/vif/%u", domid, n);
        be_path(be, sizeof(be), domid, n);
        snprintf(mtu, sizeof(mtu), "%s/mtu", fe);
        rc = xs_mkdir(x, tx, be) ?: xs_set_perms(x, tx, be, be_perms, 2) ?:
             putf(x, tx, be, "frontend", "%s", fe) ?: putf(x, tx, be, "frontend-id", "%u", domid) ?:
             putf(x, tx, be, "online", "1") ?: putf(x, tx, be, "script", "tern") ?:
             putf(x, tx, be, "mac", "%s", v->mac) ?: putf(x, tx, be, "bridge", "%s", v->bridge) ?:
             putf(x, tx, be, "handle", "%u", n) ?: putf(x, tx, be, "type", "vif") ?:
             putf(x, tx, be, "hotplug-status", "%s", "") ?:
             xs_mkdir(x, tx, fe) ?: xs_set_perms(x, tx, fe, fe_perms, 2) ?:
             putf(x, tx, fe, "backend", "%s", be) ?: putf(x, tx, fe, "backend-id", "0") ?:
             putf(x, tx, fe, "handle", "%u", n) ?: putf(x, tx, fe, "mac", "%s", v->mac) ?:
             putf(x, tx, fe, "trusted", "1") ?: putf(x, tx, fe, "mtu", "1500") ?:
             xs_set_perms(x, tx, mtu, be_perms, 2) ?:
             /* state last: each end probes when it reads 1 */
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

static int read_int(struct xs *x, const char *path, int def)
{
    char *v;
    uint32_t len;
    int n = def;

    if (!xs_read(x, 0, path, &v, &len)) {
        n = atoi(v);
        free(v);
    }
    return n;
}

/* ifname into bridge, then up. */
static int bridge_add(const char *bridge, const char *ifname)
{
    struct ifreq r;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

    if (fd < 0)
        return -errno;
    memset(&r, 0, sizeof(r));
    snprintf(r.ifr_name, sizeof(r.ifr_name), "%.*s", IFNAMSIZ - 1, bridge);
    r.ifr_ifindex = (int)if_nametoindex(ifname);
    if (!r.ifr_ifindex || ioctl(fd, SIOCBRADDIF, &r))
        rc = -errno;
    memset(&r, 0, sizeof(r));
    snprintf(r.ifr_name, sizeof(r.ifr_name), "%.*s", IFNAMSIZ - 1, ifname);
    if (!rc && (ioctl(fd, SIOCGIFFLAGS, &r) || (r.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &r))))
        rc = -errno;
    close(fd);
    return rc;
}

int vif_hotplug(const struct domain_config *cfg, uint16_t domid, char *why, size_t len)
{
    char be[128], path[192], ifname[32];
    struct xs x;
    int rc;

    if (!cfg->nr_vifs)
        return 0;
    if ((rc = xs_open(&x))) {
        snprintf(why, len, "cannot reach xenstored (%s)", strerror(-rc));
        return rc;
    }
    for (unsigned int n = 0; !rc && n < cfg->nr_vifs; n++) {
        long end = now_ms() + WAIT_MS;
        be_path(be, sizeof(be), domid, n);
        snprintf(path, sizeof(path), "%s/state", be);
        snprintf(ifname, sizeof(ifname), "vif%u.%u", domid, n);
        /* netback writes state 2 a moment before it registers the device: wait for both */
        while ((read_int(&x, path, 0) < 2 || !if_nametoindex(ifname)) && now_ms() < end)
            usleep(20000);
        if (read_int(&x, path, 0) < 2 || !if_nametoindex(ifname)) {
            snprintf(why, len, "vif %u: no backend in dom0 after %d s (is xen-netback loaded?)", n,
                     WAIT_MS / 1000);
            rc = -ETIMEDOUT;
        } else if ((rc = bridge_add(cfg->vif[n].bridge, ifname))) {
            snprintf(why, len, "vif %u: cannot put %s in bridge %s (%s)", n, ifname, cfg->vif[n].bridge,
                     strerror(-rc));
            snprintf(path, sizeof(path), "%s/hotplug-status", be);
            xs_write_str(&x, 0, path, "error");
        } else {
            snprintf(path, sizeof(path), "%s/hotplug-status", be);
            rc = xs_write_str(&x, 0, path, "connected");
            if (rc)
                snprintf(why, len, "vif %u: cannot write hotplug-status (%s)", n, strerror(-rc));
        }
    }
    xs_close(&x);
    return rc;
}

void vif_teardown(struct xs *x, uint16_t domid)
{
    char dir[96], be[128], path[192], fe[128], *names;
    unsigned int count;

    snprintf(dir, sizeof(dir), "/local/domain/0/backend/vif/%u", domid);
    if (xs_directory(x, 0, dir, &names, &count))
        return; /* no vifs */
    const char *name = names;
    for (unsigned int i = 0; i < count; i++, name += strlen(name) + 1) {
        snprintf(be, sizeof(be), "%s/%s", dir, name);
        snprintf(path, sizeof(path), "%s/online", be);
        xs_write_str(x, 0, path, "0");
        snprintf(path, sizeof(path), "%s/state", be);
        xs_write_str(x, 0, path, "5");
        /* the domain is going: its frontend is cut off rather than asked (netback then
         * sees it gone, disconnects, unmaps the rings and removes vifD.N) */
        snprintf(fe, sizeof(fe), "/local/domain/%u/device/vif/%s", domid, name);
        xs_rm(x, 0, fe);
    }
    name = names;
    for (unsigned int i = 0; i < count; i++, name += strlen(name) + 1) {
        long end = now_ms() + WAIT_MS;
        char ifname[32];
        snprintf(ifname, sizeof(ifname), "vif%u.%s", domid, name);
        snprintf(path, sizeof(path), "%s/%s/state", dir, name);
        while ((read_int(x, path, 6) != 6 || if_nametoindex(ifname)) && now_ms() < end)
            usleep(20000);
    }
    free(names);
    xs_rm(x, 0, dir);
}
