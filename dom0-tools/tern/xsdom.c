/*
 * The xenstore entries of a domain, laid out as Xen's toolstack does so that Linux's
 * xenbus finds what it looks for: /local/domain/ID (dom0's, readable by the domain) with
 * name, domid, memory, cpu availability, console and store details, and the directories
 * the domain writes itself (control, device, data...), owned by it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/build/build.h"
#include "../lib/xs/xs.h"
#include "config.h"
#include "devxs.h"
#include "vbd.h"
#include "vif.h"
#include "xsdom.h"

static const char *const guest_dirs[] = { "control", "device", "data", "drivers", "feature", "attr",
                                          "error", "messages" };

static int write_entries(struct xs *x, uint32_t tx, const struct domain_config *cfg, const struct build_result *r,
                         const struct vbd_dev *disks)
{
    char dom[64], path[128], own[16], ro[16];
    const char *dom_perms[2] = { "n0", ro }, *guest_perms[1] = { own };
    int rc;

    snprintf(dom, sizeof(dom), "/local/domain/%u", r->domid);
    snprintf(own, sizeof(own), "n%u", r->domid);
    snprintf(ro, sizeof(ro), "r%u", r->domid);
    if ((rc = xs_rm(x, tx, dom)) || (rc = xs_mkdir(x, tx, dom)) || (rc = xs_set_perms(x, tx, dom, dom_perms, 2)))
        return rc;
    for (size_t i = 0; i < sizeof(guest_dirs) / sizeof(guest_dirs[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dom, guest_dirs[i]);
        if ((rc = xs_mkdir(x, tx, path)) || (rc = xs_set_perms(x, tx, path, guest_perms, 1)))
            return rc;
    }
    rc = devxs_put(x, tx, dom, "name", "%s", cfg->name) ?: devxs_put(x, tx, dom, "domid", "%u", r->domid) ?:
         devxs_put(x, tx, dom, "memory/static-max", "%llu", (unsigned long long)cfg->memory_mib * 1024) ?:
         devxs_put(x, tx, dom, "memory/target", "%llu", (unsigned long long)cfg->memory_mib * 1024) ?:
         devxs_put(x, tx, dom, "console/ring-ref", "%llu", (unsigned long long)r->console_mfn) ?:
         devxs_put(x, tx, dom, "console/port", "%u", r->console_port) ?:
         devxs_put(x, tx, dom, "console/type", "tern") ?:
         devxs_put(x, tx, dom, "store/ring-ref", "%llu", (unsigned long long)r->store_mfn) ?:
         devxs_put(x, tx, dom, "store/port", "%u", r->store_port) ?:
         devxs_put(x, tx, dom, "control/platform-feature-multiprocessor-suspend", "1");
    for (unsigned int i = 0; !rc && i < cfg->vcpus; i++) {
        snprintf(path, sizeof(path), "cpu/%u/availability", i);
        rc = devxs_put(x, tx, dom, path, "online");
    }
    return rc ?: vif_write_entries(x, tx, cfg, r->domid) ?: vbd_write_entries(x, tx, cfg, disks, r->domid);
}

struct entries {
    const struct domain_config *cfg;
    const struct build_result *r;
    const struct vbd_dev *disks;
};

static int write_all(struct xs *x, uint32_t tx, const void *arg)
{
    const struct entries *e = arg;

    return write_entries(x, tx, e->cfg, e->r, e->disks);
}

int xsdom_setup(const struct domain_config *cfg, const struct build_result *r, char *why, size_t len)
{
    struct xs x;
    int rc;

    struct vbd_dev disks[MAX_DISKS];

    if ((rc = xs_open(&x))) {
        snprintf(why, len, "cannot reach xenstored (%s)", strerror(-rc));
        return rc;
    }
    if ((rc = vbd_prepare(&x, cfg, disks, why, len))) {
        xs_close(&x);
        return rc;
    }
    struct entries e = { cfg, r, disks };
    if ((rc = devxs_transaction(&x, write_all, &e))) {
        snprintf(why, len, "cannot write its xenstore entries (%s)", strerror(-rc));
        vbd_unprepare(cfg, disks);
    }
    else if ((rc = xs_introduce(&x, r->domid, r->store_mfn, r->store_port)))
        snprintf(why, len, "xenstored cannot take its store ring (%s)", strerror(-rc));
    else
        rc = vbd_start(cfg, r->domid, why, len);
    xs_close(&x);
    return rc;
}

void xsdom_forget(uint16_t domid)
{
    char dom[64];
    struct xs x;

    if (xs_open(&x))
        return;
    snprintf(dom, sizeof(dom), "/local/domain/%u", domid);
    /* while the domain still exists: the backends unmap its rings */
    vif_teardown(&x, domid);
    vbd_teardown(&x, domid);
    xs_release(&x, domid);
    xs_rm(&x, 0, dom);
    xs_close(&x);
}

int xsdom_request_shutdown(uint16_t domid, const char *what)
{
    char path[128], *v;
    uint32_t len;
    struct xs x;
    int rc, feature;

    if ((rc = xs_open(&x)))
        return rc;
    snprintf(path, sizeof(path), "/local/domain/%u/control/feature-%s", domid, what);
    feature = xs_read(&x, 0, path, &v, &len);
    if (!feature)
        free(v);
    snprintf(path, sizeof(path), "/local/domain/%u/control/shutdown", domid);
    rc = xs_write_str(&x, 0, path, what);
    xs_close(&x);
    return rc ? rc : feature ? -EOPNOTSUPP : 0;
}
