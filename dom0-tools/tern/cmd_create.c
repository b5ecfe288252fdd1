/* `tern create CONFIG [-c]`: build a domain from a config file, leave a monitor for its
 * console and life cycle, and optionally attach to its console. */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../lib/build/build.h"
#include "../lib/ctrl/ctrl.h"
#include "cli.h"
#include "config.h"
#include "monitor.h"
#include "state.h"
#include "vif.h"
#include "xsdom.h"

static int usage(FILE *f)
{
    fprintf(f, "usage: tern create CONFIG [-c] [-n]\n"
                    "Build and start the domain CONFIG describes (name, memory, vcpus, kernel,\n"
                    "ramdisk, cmdline, on_poweroff/on_reboot/on_crash, vif, disk); -c attaches its\n"
                    "console; -n (--dry-run) prints the config as understood and builds nothing.\n");
    return CLI_USAGE;
}

/* Refuses up front what would fail half-way: a taken name, too little free memory. */
/* The config as the toolstack understood it, defaults filled in: for -n. */
static void print_config(const struct domain_config *cfg)
{
    printf("name %s\nmemory %llu\nvcpus %u\nkernel %s\nramdisk %s\ncmdline %s\n", cfg->name,
           (unsigned long long)cfg->memory_mib, cfg->vcpus, cfg->kernel,
           cfg->ramdisk[0] ? cfg->ramdisk : "-", cfg->cmdline);
    printf("on_poweroff %s\non_reboot %s\non_crash %s\n", config_action_name(cfg->on_poweroff),
           config_action_name(cfg->on_reboot), config_action_name(cfg->on_crash));
    for (unsigned int i = 0; i < cfg->nr_vifs; i++)
        printf("vif %u mac=%s bridge=%s\n", i, cfg->vif[i].mac, cfg->vif[i].bridge);
    for (unsigned int i = 0; i < cfg->nr_disks; i++)
        printf("disk %s devid=%u %s:%s %s%s\n", cfg->disk[i].vdev, cfg->disk[i].devid,
               cfg->disk[i].phy ? "phy" : "file", cfg->disk[i].target, cfg->disk[i].writable ? "w" : "r",
               cfg->disk[i].qdisk ? " backendtype=qdisk" : "");
}

static int check(struct ctrl *c, const struct domain_config *cfg)
{
    struct xen_sysctl_physinfo p;
    xen_domctl_getdomaininfo_t info;
    uint16_t id;
    int rc;

    /* a dying domain no longer holds its name: a restart follows its destroy at once */
    if (!state_find(cfg->name, &id) && !ctrl_domain_info(c, id, &info) &&
        !(info.flags & XEN_DOMINF_dying)) {
        cli_err("create: a domain called '%s' exists already (id %u)", cfg->name, id);
        return -EEXIST;
    }
    /* a domain just destroyed (a restart) gives its memory back a moment later: wait for it
     * a little before saying there is not enough */
    for (int tries = 0;; tries++) {
        struct timespec tick = { 0, 50 * 1000 * 1000 };
        if ((rc = ctrl_physinfo(c, &p))) {
            cli_err("create: cannot read the host's free memory: %s", strerror(-rc));
            return rc;
        }
        if (p.free_pages * 4 / 1024 >= cfg->memory_mib || tries == 60)
            break;
        nanosleep(&tick, NULL);
    }
    if (p.free_pages * 4 / 1024 < cfg->memory_mib) {
        cli_err("create: not enough memory for '%s': it needs %llu MiB, %llu MiB are free",
                cfg->name, (unsigned long long)cfg->memory_mib,
                (unsigned long long)(p.free_pages * 4 / 1024));
        return -ENOMEM;
    }
    return 0;
}

int cmd_create(int argc, char **argv)
{
    struct domain_config cfg;
    struct build_result r;
    struct domain_state st;
    struct ctrl c;
    const char *path = NULL;
    char err[512];
    int attach = 0, dry = 0, rc;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-c"))
            attach = 1;
        else if (!strcmp(argv[i], "-n") || !strcmp(argv[i], "--dry-run"))
            dry = 1;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return usage(stdout), CLI_OK;
        else if (!path && argv[i][0] != '-')
            path = argv[i];
        else
            return usage(stderr);
    }
    if (!path)
        return usage(stderr);
    if (config_load(path, &cfg, err, sizeof(err))) {
        cli_err("%s", err);
        return CLI_FAIL;
    }
    if (dry) {
        print_config(&cfg);
        return CLI_OK;
    }
    if ((rc = ctrl_open(&c))) {
        cli_err("create: cannot reach the hypervisor through /dev/xen/privcmd: %s", strerror(-rc));
        return CLI_FAIL;
    }
    if (check(&c, &cfg)) {
        ctrl_close(&c);
        return CLI_FAIL;
    }
    char cache[512];
    snprintf(cache, sizeof(cache), "%s/kernels", state_run_dir());
    struct build_args a = { cfg.kernel, cfg.ramdisk[0] ? cfg.ramdisk : NULL, cfg.cmdline,
                            cfg.memory_mib * 1024, cfg.vcpus, cache };
    rc = build_domain(&c, &a, &r, err, sizeof(err));
    if (!rc && ((rc = xsdom_setup(&cfg, &r, err, sizeof(err))) ||
                (rc = vif_hotplug(&cfg, r.domid, err, sizeof(err))))) {
        xsdom_forget(r.domid);
        ctrl_domain_destroy(&c, r.domid);
    }
    if (rc) {
        ctrl_close(&c);
        cli_err("create %s: %s", cfg.name, err);
        return CLI_FAIL;
    }
    memset(&st, 0, sizeof(st));
    snprintf(st.name, sizeof(st.name), "%s", cfg.name);
    if (!realpath(path, st.config))
        snprintf(st.config, sizeof(st.config), "%s", path);
    st.console_mfn = r.console_mfn;
    st.console_port = r.console_port;
    /* the monitor serves its console from the first line on */
    if ((rc = state_save(r.domid, &st)) || (rc = monitor_spawn(r.domid))) {
        cli_err("create %s: domain %u is built, but its console cannot be set up (%s); "
                "it stays paused", cfg.name, r.domid, strerror(-rc));
        ctrl_close(&c);
        return CLI_FAIL;
    }
    rc = ctrl_domain_unpause(&c, r.domid);
    ctrl_close(&c);
    if (rc) {
        cli_err("create %s: cannot unpause domain %u: %s", cfg.name, r.domid, strerror(-rc));
        return CLI_FAIL;
    }
    printf("created %s: domain %u, %llu MiB, %u vCPUs\n", cfg.name, r.domid,
           (unsigned long long)cfg.memory_mib, cfg.vcpus);
    fflush(stdout);
    if (attach) {
        char id[8];
        char *cargv[] = { "console", id, NULL };
        snprintf(id, sizeof(id), "%u", r.domid);
        return cmd_console(2, cargv);
    }
    return CLI_OK;
}
