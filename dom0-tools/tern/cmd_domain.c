/* `tern list`, `tern info`, and `tern pause|unpause|destroy DOMAIN`: domains as the
 * hypervisor reports them through the control library. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/ctrl/ctrl.h"
#include <public/sched.h>

#include "cli.h"
#include "state.h"
#include "xsdom.h"

#define LIST_CHUNK 256 /* domains per sysctl; the list is read in chunks until it ends */

static int open_ctrl(struct ctrl *c)
{
    int rc = ctrl_open(c);

    if (rc)
        cli_err("cannot reach the hypervisor through /dev/xen/privcmd: %s "
                "(tern runs in domain 0, with xen-privcmd loaded)", strerror(-rc));
    return rc;
}

static void domain_name(uint16_t id, char *buf, size_t len)
{
    struct domain_state st;

    if (id == 0)
        snprintf(buf, len, "Domain-0");
    else if (!state_load(id, &st))
        snprintf(buf, len, "%s", st.name);
    else
        snprintf(buf, len, "d%u", id);
}

/* xl's state letters: running, blocked, paused, shut down, crashed, dying. */
static void state_string(uint32_t f, char s[7])
{
    unsigned int code = (f >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask;
    bool down = f & XEN_DOMINF_shutdown;

    s[0] = f & XEN_DOMINF_running ? 'r' : '-';
    s[1] = f & XEN_DOMINF_blocked ? 'b' : '-';
    s[2] = f & XEN_DOMINF_paused ? 'p' : '-';
    s[3] = down && code != SHUTDOWN_crash ? 's' : '-';
    s[4] = down && code == SHUTDOWN_crash ? 'c' : '-';
    s[5] = f & XEN_DOMINF_dying ? 'd' : '-';
    s[6] = 0;
}

static void json_domain(struct cli_json *j, const xen_domctl_getdomaininfo_t *d)
{
    char name[64], st[7];

    domain_name(d->domain, name, sizeof(name));
    state_string(d->flags, st);
    json_obj(j, NULL);
    json_u64(j, "id", d->domain);
    json_str(j, "name", name);
    json_u64(j, "memory_kib", d->tot_pages * 4);
    json_u64(j, "max_memory_kib", d->max_pages * 4);
    json_u64(j, "vcpus", d->max_vcpu_id + 1);
    json_u64(j, "online_vcpus", d->nr_online_vcpus);
    json_str(j, "state", st);
    json_u64(j, "cpu_time_ns", d->cpu_time);
    json_end(j, '}');
}

/* Every domain, in id order, into a malloc'd array. */
static int list_all(struct ctrl *c, xen_domctl_getdomaininfo_t **out, unsigned int *n)
{
    xen_domctl_getdomaininfo_t *all = NULL, *more;
    unsigned int first = 0, got = LIST_CHUNK;
    int rc = 0;

    *n = 0;
    /* each chunk starts past the last id seen, so this ends within the id space */
    while (got == LIST_CHUNK && first < DOMID_FIRST_RESERVED) {
        if (!(more = realloc(all, (*n + LIST_CHUNK) * sizeof(*all)))) {
            rc = -ENOMEM;
            break;
        }
        all = more;
        if ((rc = ctrl_domain_list(c, (uint16_t)first, all + *n, LIST_CHUNK, &got)))
            break;
        *n += got;
        if (got)
            first = all[*n - 1].domain + 1u;
    }
    if (rc)
        free(all);
    else
        *out = all;
    return rc;
}

int cmd_list(int argc, char **argv)
{
    xen_domctl_getdomaininfo_t *doms;
    bool json = false;
    struct ctrl c;
    unsigned int n;
    int rc;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")) {
            json = true;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: tern list [--json]\nEvery domain: name, id, memory, vCPUs, state "
                   "(r running, b blocked, p paused,\ns shut down, c crashed, d dying) and CPU time.\n");
            return CLI_OK;
        } else {
            cli_err("list: unknown argument '%s'", argv[i]);
            return CLI_USAGE;
        }
    }
    if (open_ctrl(&c))
        return CLI_FAIL;
    rc = list_all(&c, &doms, &n);
    ctrl_close(&c);
    if (rc) {
        cli_err("list: the hypervisor refused the domain list: %s", strerror(-rc));
        return CLI_FAIL;
    }
    if (json) {
        struct cli_json j;
        json_init(&j, stdout);
        json_arr(&j, NULL);
        for (unsigned int i = 0; i < n; i++)
            json_domain(&j, &doms[i]);
        json_end(&j, ']');
        free(doms);
        return ferror(stdout) ? CLI_FAIL : CLI_OK;
    }
    printf("%-24s %5s %8s %5s %6s %10s\n", "Name", "ID", "Mem", "VCPUs", "State", "Time(s)");
    for (unsigned int i = 0; i < n; i++) {
        char name[64], st[7];
        domain_name(doms[i].domain, name, sizeof(name));
        state_string(doms[i].flags, st);
        printf("%-24s %5u %8llu %5u %6s %10.1f\n", name, doms[i].domain,
               (unsigned long long)(doms[i].tot_pages >> 8), doms[i].max_vcpu_id + 1, st,
               doms[i].cpu_time / 1e9);
    }
    free(doms);
    return ferror(stdout) ? CLI_FAIL : CLI_OK;
}

int cmd_info(int argc, char **argv)
{
    struct xen_sysctl_physinfo p;
    struct ctrl c;
    bool json = argc > 1 && (!strcmp(argv[1], "--json") || !strcmp(argv[1], "-j"));
    int rc;

    if (argc > 2 || (argc == 2 && !json)) {
        printf("usage: tern info [--json]\nThe host: CPUs, memory, hypervisor.\n");
        return argc == 2 && !strcmp(argv[1], "--help") ? CLI_OK : CLI_USAGE;
    }
    if (open_ctrl(&c))
        return CLI_FAIL;
    rc = ctrl_physinfo(&c, &p);
    ctrl_close(&c);
    if (rc) {
        cli_err("info: the hypervisor refused physinfo: %s", strerror(-rc));
        return CLI_FAIL;
    }
    if (json) {
        struct cli_json j;
        json_init(&j, stdout);
        json_obj(&j, NULL);
        json_u64(&j, "nr_cpus", p.nr_cpus);
        json_u64(&j, "cpu_khz", p.cpu_khz);
        json_u64(&j, "total_memory_kib", p.total_pages * 4);
        json_u64(&j, "free_memory_kib", p.free_pages * 4);
        json_u64(&j, "max_mfn", p.max_mfn);
        json_end(&j, '}');
    } else {
        printf("nr_cpus          : %u\ncpu_mhz          : %u\ntotal_memory     : %llu MiB\n"
               "free_memory      : %llu MiB\nmax_mfn          : %#llx\n",
               p.nr_cpus, p.cpu_khz / 1000, (unsigned long long)(p.total_pages >> 8),
               (unsigned long long)(p.free_pages >> 8), (unsigned long long)p.max_mfn);
    }
    return ferror(stdout) ? CLI_FAIL : CLI_OK;
}

/* pause, unpause, destroy: one domain each. */
int cmd_domain_op(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*op)(struct ctrl *, uint16_t);
    } ops[] = { { "pause", ctrl_domain_pause }, { "unpause", ctrl_domain_unpause },
                { "destroy", ctrl_domain_destroy } };
    struct ctrl c;
    uint16_t id;
    int rc = -ENOSYS;

    if (argc != 2) {
        cli_err("usage: tern %s DOMAIN (a name, an id, dN or Domain-0)", argv[0]);
        return CLI_USAGE;
    }
    if (cli_domain_id(argv[1], &id)) {
        cli_err("%s: no domain '%s'", argv[0], argv[1]);
        return CLI_FAIL;
    }
    if (open_ctrl(&c))
        return CLI_FAIL;
    if (!strcmp(argv[0], "destroy") && id != 0) {
        state_stop_monitor(id); /* its console and store mappings go before the domain does */
        xsdom_forget(id);
    }
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (!strcmp(argv[0], ops[i].name))
            rc = ops[i].op(&c, id);
    ctrl_close(&c);
    if (!rc && !strcmp(argv[0], "destroy"))
        state_forget(id); /* its monitor would too, once it notices */
    if (rc == -ESRCH)
        cli_err("%s: no domain %u", argv[0], id);
    else if (rc == -EINVAL && id == 0)
        cli_err("%s: domain 0 cannot %s itself", argv[0], argv[0]);
    else if (rc == -EINVAL && !strcmp(argv[0], "unpause"))
        cli_err("unpause: domain %u is not paused", id);
    else if (rc)
        cli_err("%s %u: %s", argv[0], id, strerror(-rc));
    return rc ? CLI_FAIL : CLI_OK;
}
