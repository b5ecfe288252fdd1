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
#include "devxs.h"
#include "vif.h"


static void be_path(char *out, size_t len, uint16_t domid, unsigned int n)
{
    snprintf(out, len, "/local/domain/0/backend/vif/%u/%u", domid, n);
}

int vif_write_one(struct xs *x, uint32_t tx, const struct vif_config *v, uint16_t domid,
                  unsigned int n)
{
    char fe[128], be[128], mtu[160], own[16], ro[16];
    const char *fe_perms[2] = { own, "r0" }, *be_perms[2] = { "n0", ro };

    snprintf(own, sizeof(own), "n%u", domid);
    snprintf(ro, sizeof(ro), "r%u", domid);
    snprintf(fe, sizeof(fe), "/local/domain/%u/device/vif/%u", domid, n);
    be_path(be, sizeof(be), domid, n);
    snprintf(mtu, sizeof(mtu), "%s/mtu", fe);
    return xs_mkdir(x, tx, be) ?: xs_set_perms(x, tx, be, be_perms, 2) ?:
           devxs_put(x, tx, be, "frontend", "%s", fe) ?: devxs_put(x, tx, be, "frontend-id", "%u", domid) ?:
           devxs_put(x, tx, be, "online", "1") ?: devxs_put(x, tx, be, "script", "tern") ?:
           devxs_put(x, tx, be, "mac", "%s", v->mac) ?: devxs_put(x, tx, be, "bridge", "%s", v->bridge) ?:
           devxs_put(x, tx, be, "handle", "%u", n) ?: devxs_put(x, tx, be, "type", "vif") ?:
           devxs_put(x, tx, be, "hotplug-status", "%s", "") ?:
           xs_mkdir(x, tx, fe) ?: xs_set_perms(x, tx, fe, fe_perms, 2) ?:
           devxs_put(x, tx, fe, "backend", "%s", be) ?: devxs_put(x, tx, fe, "backend-id", "0") ?:
           devxs_put(x, tx, fe, "handle", "%u", n) ?: devxs_put(x, tx, fe, "mac", "%s", v->mac) ?:
           devxs_put(x, tx, fe, "trusted", "1") ?: devxs_put(x, tx, fe, "mtu", "1500") ?:
           xs_set_perms(x, tx, mtu, be_perms, 2) ?:
           /* state last: each end probes when it reads 1 */
           devxs_put(x, tx, be, "state", "1") ?: devxs_put(x, tx, fe, "state", "1");
}

int vif_write_entries(struct xs *x, uint32_t tx, const struct domain_config *cfg, uint16_t domid)
{
    int rc = 0;

    for (unsigned int n = 0; !rc && n < cfg->nr_vifs; n++)
        rc = vif_write_one(x, tx, &cfg->vif[n], domid, n);
    return rc;
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

int vif_hotplug_one(struct xs *x, const struct vif_config *v, uint16_t domid, unsigned int n,
                    char *why, size_t len)
{
    char be[128], path[192], ifname[32];
    long end = devxs_now_ms() + DEVXS_WAIT_MS;
    int rc;

    be_path(be, sizeof(be), domid, n);
    snprintf(path, sizeof(path), "%s/state", be);
    snprintf(ifname, sizeof(ifname), "vif%u.%u", domid, n);
    /* netback writes state 2 a moment before it registers the device: wait for both */
    while ((devxs_read_int(x, path, 0) < 2 || !if_nametoindex(ifname)) && devxs_now_ms() < end)
        usleep(20000);
    if (devxs_read_int(x, path, 0) < 2 || !if_nametoindex(ifname)) {
        snprintf(why, len, "vif %u: no backend in dom0 after %d s (is xen-netback loaded?)", n,
                 DEVXS_WAIT_MS / 1000);
        return -ETIMEDOUT;
    }
    snprintf(path, sizeof(path), "%s/hotplug-status", be);
    if ((rc = bridge_add(v->bridge, ifname))) {
        snprintf(why, len, "vif %u: cannot put %s in bridge %s (%s)", n, ifname, v->bridge, strerror(-rc));
        xs_write_str(x, 0, path, "error");
    } else if ((rc = xs_write_str(x, 0, path, "connected"))) {
        snprintf(why, len, "vif %u: cannot write hotplug-status (%s)", n, strerror(-rc));
    }
    return rc;
}

int vif_hotplug(const struct domain_config *cfg, uint16_t domid, char *why, size_t len)
{
    struct xs x;
    int rc;

    if (!cfg->nr_vifs)
        return 0;
    if ((rc = xs_open(&x))) {
        snprintf(why, len, "cannot reach xenstored (%s)", strerror(-rc));
        return rc;
    }
    for (unsigned int n = 0; !rc && n < cfg->nr_vifs; n++)
        rc = vif_hotplug_one(&x, &cfg->vif[n], domid, n, why, len);
    xs_close(&x);
    return rc;
}

/* netback removed vifD.N: unlisted, and its sysfs entry gone too (that comes a moment
 * after the name stops resolving) */
static bool vif_gone(uint16_t domid, const char *devid, void *ctx)
{
    char ifname[32], sys[64];

    (void)ctx;
    snprintf(ifname, sizeof(ifname), "vif%u.%s", domid, devid);
    snprintf(sys, sizeof(sys), "/sys/class/net/%s", ifname);
    return !if_nametoindex(ifname) && access(sys, F_OK) != 0;
}

void vif_teardown(struct xs *x, uint16_t domid)
{
    devxs_teardown(x, "vif", domid, vif_gone, NULL, NULL);
}

int vif_detach(struct xs *x, uint16_t domid, unsigned int n, bool force)
{
    return devxs_detach(x, "vif", domid, n, force, vif_gone, NULL, NULL);
}
