/* Devices of a running guest: `tern network-attach|network-detach|network-list` and
 * `tern block-attach|block-detach|block-list`, the way `xl` offers them. The guest's xenbus
 * sees the frontend entries appear or close and probes or removes the device itself. */
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/xs/xs.h"
#include "cli.h"
#include "config.h"
#include "devxs.h"
#include "state.h"
#include "vbd.h"
#include "vif.h"

static const struct {
    const char *cmd, *text;
} usages[] = {
    { "network-attach", "DOMAIN ['mac=00:16:3e:..,bridge=br0']\n"
                        "Gives a running guest one more vif, as a vif = [ ... ] entry describes it.\n" },
    { "network-detach", "DOMAIN INDEX|MAC [-f]\n"
                        "Asks the guest to let go of the vif and removes it; -f removes it even when\n"
                        "the guest does not let go in time.\n" },
    { "network-list", "DOMAIN\nThe guest's vifs: MAC, bridge, backend and frontend state, dom0's interface.\n" },
    { "block-attach", "DOMAIN 'file:/var/lib/tern/data.img,xvdb,w'\n"
                      "Gives a running guest one more disk, as a disk = [ ... ] entry describes it.\n" },
    { "block-detach", "DOMAIN VDEV|DEVID [-f]\n"
                      "Asks the guest to let go of the disk and removes it; -f removes it even when\n"
                      "the guest does not let go in time.\n" },
    { "block-list", "DOMAIN\nThe guest's disks: device, mode, backend and frontend state, dom0's node, image.\n" },
};

static int usage(const char *cmd, FILE *f)
{
    for (size_t i = 0; i < sizeof(usages) / sizeof(usages[0]); i++)
        if (!strcmp(usages[i].cmd, cmd))
            fprintf(f, "usage: tern %s %s", cmd, usages[i].text);
    return f == stdout ? CLI_OK : CLI_USAGE;
}

struct target {
    uint16_t domid;
    char name[64];
    struct xs x;
};

static const char *state_name(int s)
{
    static const char *const names[] = { "Unknown",   "Initialising", "InitWait", "Initialised",
                                         "Connected", "Closing",      "Closed",   "Reconfiguring",
                                         "Reconfigured" };

    return s >= 0 && s < (int)(sizeof(names) / sizeof(names[0])) ? names[s] : "-";
}

/* The running guest argv names, with a store connection: 0 or CLI_FAIL (said why). */
static int open_target(const char *cmd, const char *who, struct target *t)
{
    struct domain_state st;
    char path[64];
    int rc;

    if (cli_domain_id(who, &t->domid) || t->domid == 0) {
        cli_err("%s: '%s' is not a guest", cmd, who);
        return CLI_FAIL;
    }
    snprintf(t->name, sizeof(t->name), "%s", state_load(t->domid, &st) ? who : st.name);
    if ((rc = xs_open(&t->x))) {
        cli_err("%s: cannot reach xenstored: %s", cmd, strerror(-rc));
        return CLI_FAIL;
    }
    snprintf(path, sizeof(path), "/local/domain/%u", t->domid);
    if (!devxs_exists(&t->x, path)) {
        cli_err("%s: no running domain '%s'", cmd, who);
        xs_close(&t->x);
        return CLI_FAIL;
    }
    return 0;
}

/* A leaf of a device's backend (kind/D/devid/leaf) or frontend, or "-": malloc'd. */
static char *leaf(struct target *t, bool backend, const char *kind, const char *devid, const char *name)
{
    char path[200], *v;

    if (backend)
        snprintf(path, sizeof(path), "/local/domain/0/backend/%s/%u/%s/%s", kind, t->domid, devid, name);
    else
        snprintf(path, sizeof(path), "/local/domain/%u/device/%s/%s/%s", t->domid, kind, devid, name);
    v = devxs_read(&t->x, path);
    return v ? v : strdup("-");
}

static int leaf_int(struct target *t, bool backend, const char *kind, const char *devid, const char *name)
{
    char *v = leaf(t, backend, kind, devid, name);
    int n = strcmp(v, "-") ? atoi(v) : -1;

    free(v);
    return n;
}

/* ---- network ---- */

struct vif_attach {
    const struct vif_config *v;
    uint16_t domid;
    unsigned int n;
};

static int write_vif(struct xs *x, uint32_t tx, const void *arg)
{
    const struct vif_attach *a = arg;

    return vif_write_one(x, tx, a->v, a->domid, a->n);
}

static bool vif_taken(struct target *t, unsigned int n)
{
    char be[128], fe[128];

    snprintf(be, sizeof(be), "/local/domain/0/backend/vif/%u/%u", t->domid, n);
    snprintf(fe, sizeof(fe), "/local/domain/%u/device/vif/%u", t->domid, n);
    return devxs_exists(&t->x, be) || devxs_exists(&t->x, fe);
}

static int network_attach(int argc, char **argv)
{
    struct vif_config v;
    struct target t;
    char err[300];
    unsigned int n = 0;
    int rc;

    if (argc < 2 || argc > 3)
        return usage(argv[0], stderr);
    if (config_parse_vif(argc == 3 ? argv[2] : "", &v, err, sizeof(err))) {
        cli_err("network-attach: %s", err);
        return CLI_USAGE;
    }
    if (!if_nametoindex(v.bridge)) {
        cli_err("network-attach: dom0 has no bridge '%s'", v.bridge);
        return CLI_FAIL;
    }
    if (open_target("network-attach", argv[1], &t))
        return CLI_FAIL;
    while (n < MAX_VIFS * 4 && vif_taken(&t, n))
        n++;
    if (!v.mac[0])
        config_default_mac(t.name, n, v.mac);
    struct vif_attach a = { &v, t.domid, n };
    if ((rc = devxs_transaction(&t.x, write_vif, &a))) {
        cli_err("network-attach %s: cannot write the vif's entries: %s", t.name, strerror(-rc));
        vif_detach(&t.x, t.domid, n, true);
    } else if ((rc = vif_hotplug_one(&t.x, &v, t.domid, n, err, sizeof(err)))) {
        cli_err("network-attach %s: %s", t.name, err);
        vif_detach(&t.x, t.domid, n, true);
    } else {
        printf("%s: vif %u mac=%s on vif%u.%u in %s\n", t.name, n, v.mac, t.domid, n, v.bridge);
    }
    xs_close(&t.x);
    return rc ? CLI_FAIL : CLI_OK;
}

/* A vif named by its index or its MAC: its index, or -1. */
static int find_vif(struct target *t, const char *what)
{
    char dir[96], *names;
    unsigned int count;
    int found = -1;

    snprintf(dir, sizeof(dir), "/local/domain/0/backend/vif/%u", t->domid);
    if (xs_directory(&t->x, 0, dir, &names, &count))
        return -1;
    const char *n = names;
    for (unsigned int i = 0; found < 0 && i < count; i++, n += strlen(n) + 1) {
        char *mac = leaf(t, true, "vif", n, "mac");
        if (!strcmp(n, what) || !strcasecmp(mac, what))
            found = atoi(n);
        free(mac);
    }
    free(names);
    return found;
}

/* Parses DOMAIN WHAT [-f]: 0, or CLI_USAGE. */
static int detach_args(int argc, char **argv, const char **dom, const char **what, bool *force)
{
    *dom = *what = NULL;
    *force = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--force"))
            *force = true;
        else if (!*dom)
            *dom = argv[i];
        else if (!*what)
            *what = argv[i];
        else
            return CLI_USAGE;
    }
    return *what ? 0 : CLI_USAGE;
}

static int detach_result(const char *cmd, struct target *t, const char *kind, const char *what, int rc)
{
    if (rc == -EBUSY)
        cli_err("%s %s: the guest did not let go of %s %s within %d s; it stays attached (-f removes it)",
                cmd, t->name, kind, what, DEVXS_WAIT_MS / 1000);
    else if (rc)
        cli_err("%s %s: %s %s: %s", cmd, t->name, kind, what, strerror(-rc));
    else
        printf("%s: %s %s detached\n", t->name, kind, what);
    xs_close(&t->x);
    return rc ? CLI_FAIL : CLI_OK;
}

static int network_detach(int argc, char **argv)
{
    const char *dom, *what;
    struct target t;
    bool force;
    int n;

    if (detach_args(argc, argv, &dom, &what, &force))
        return usage(argv[0], stderr);
    if (open_target("network-detach", dom, &t))
        return CLI_FAIL;
    if ((n = find_vif(&t, what)) < 0) {
        cli_err("network-detach %s: no vif '%s'", t.name, what);
        xs_close(&t.x);
        return CLI_FAIL;
    }
    return detach_result("network-detach", &t, "vif", what, vif_detach(&t.x, t.domid, (unsigned int)n, force));
}

/* Calls row(t, devid) for each device of kind the domain has in dom0's backend. */
static void each_device(struct target *t, const char *kind, void (*row)(struct target *, const char *, const char *))
{
    char dir[96], *names;
    unsigned int count;

    snprintf(dir, sizeof(dir), "/local/domain/0/backend/%s/%u", kind, t->domid);
    if (xs_directory(&t->x, 0, dir, &names, &count))
        return;
    const char *n = names;
    for (unsigned int i = 0; i < count; i++, n += strlen(n) + 1)
        row(t, kind, n);
    free(names);
}

static void vif_row(struct target *t, const char *kind, const char *devid)
{
    (void)kind;
    char *mac = leaf(t, true, "vif", devid, "mac"), *bridge = leaf(t, true, "vif", devid, "bridge");
    char ifname[32];

    snprintf(ifname, sizeof(ifname), "vif%u.%s", t->domid, devid);
    printf("%-4s %-17s  %-8s %-12s %-12s %s\n", devid, mac, bridge,
           state_name(leaf_int(t, true, "vif", devid, "state")),
           state_name(leaf_int(t, false, "vif", devid, "state")), if_nametoindex(ifname) ? ifname : "-");
    free(mac);
    free(bridge);
}

static void vbd_row(struct target *t, const char *kind, const char *devid)
{
    char *vdev = leaf(t, true, kind, devid, "dev"), *mode = leaf(t, true, kind, devid, "mode");
    char *node = leaf(t, true, kind, devid, "node"), *params = leaf(t, true, kind, devid, "params");

    printf("%-6s %-10s %-4s %-12s %-12s %-12s %s\n", vdev, devid, mode,
           state_name(leaf_int(t, true, kind, devid, "state")),
           state_name(leaf_int(t, false, "vbd", devid, "state")), node, params);
    free(vdev);
    free(mode);
    free(node);
    free(params);
}

static int device_list(int argc, char **argv, const char *kind)
{
    struct target t;

    if (argc != 2)
        return usage(argv[0], stderr);
    if (open_target(argv[0], argv[1], &t))
        return CLI_FAIL;
    if (!strcmp(kind, "vif")) {
        printf("%-4s %-17s  %-8s %-12s %-12s %s\n", "Idx", "MAC", "Bridge", "Backend", "Frontend", "Interface");
        each_device(&t, "vif", vif_row);
    } else {
        printf("%-6s %-10s %-4s %-12s %-12s %-12s %s\n", "Vdev", "Devid", "Mode", "Backend", "Frontend", "Node",
               "Target");
        each_device(&t, "vbd", vbd_row);
        each_device(&t, "qdisk", vbd_row);
    }
    xs_close(&t.x);
    return CLI_OK;
}

/* ---- disks ---- */

struct vbd_attach {
    const struct disk_config *d;
    const struct vbd_dev *dev;
    uint16_t domid;
};

static int write_vbd(struct xs *x, uint32_t tx, const void *arg)
{
    const struct vbd_attach *a = arg;

    return vbd_write_one(x, tx, a->d, a->dev, a->domid);
}

static int block_attach(int argc, char **argv)
{
    struct domain_config one;
    struct vbd_dev dev;
    struct target t;
    char err[400];
    int rc;

    if (argc != 3)
        return usage(argv[0], stderr);
    memset(&one, 0, sizeof(one));
    if (config_parse_disk(argv[2], &one.disk[0], err, sizeof(err))) {
        cli_err("block-attach: %s", err);
        return CLI_USAGE;
    }
    one.nr_disks = 1;
    if (open_target("block-attach", argv[1], &t))
        return CLI_FAIL;
    if (vbd_kind(&t.x, t.domid, one.disk[0].devid)) {
        cli_err("block-attach %s: it has a %s already", t.name, one.disk[0].vdev);
        rc = -EEXIST;
    } else if ((rc = vbd_prepare(&t.x, &one, &dev, err, sizeof(err)))) {
        cli_err("block-attach %s: %s", t.name, err);
    } else {
        struct vbd_attach a = { &one.disk[0], &dev, t.domid };
        if ((rc = devxs_transaction(&t.x, write_vbd, &a))) {
            cli_err("block-attach %s: cannot write the disk's entries: %s", t.name, strerror(-rc));
            vbd_detach(&t.x, t.domid, one.disk[0].devid, true);
            vbd_unprepare(&one, &dev);
        } else if ((rc = vbd_start(&one, t.domid, err, sizeof(err)))) {
            cli_err("block-attach %s: %s", t.name, err);
            vbd_detach(&t.x, t.domid, one.disk[0].devid, true);
        } else {
            printf("%s: %s (%s) on %s\n", t.name, one.disk[0].vdev, one.disk[0].writable ? "w" : "r",
                   dev.node);
        }
    }
    xs_close(&t.x);
    return rc ? CLI_FAIL : CLI_OK;
}

static int block_detach(int argc, char **argv)
{
    const char *dom, *what;
    struct target t;
    unsigned int devid;
    char *end;
    bool force;

    if (detach_args(argc, argv, &dom, &what, &force))
        return usage(argv[0], stderr);
    devid = config_vdev_devid(what);
    if (!devid) {
        devid = (unsigned int)strtoul(what, &end, 10);
        if (*end || end == what || !devid) {
            cli_err("block-detach: '%s' is not a disk name like xvdb or a device number", what);
            return CLI_USAGE;
        }
    }
    if (open_target("block-detach", dom, &t))
        return CLI_FAIL;
    return detach_result("block-detach", &t, "disk", what, vbd_detach(&t.x, t.domid, devid, force));
}

int cmd_device(int argc, char **argv)
{
    const char *c = argv[0];

    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
        return usage(c, stdout);
    if (!strcmp(c, "network-attach"))
        return network_attach(argc, argv);
    if (!strcmp(c, "network-detach"))
        return network_detach(argc, argv);
    if (!strcmp(c, "network-list"))
        return device_list(argc, argv, "vif");
    if (!strcmp(c, "block-attach"))
        return block_attach(argc, argv);
    if (!strcmp(c, "block-detach"))
        return block_detach(argc, argv);
    return device_list(argc, argv, "vbd");
}
