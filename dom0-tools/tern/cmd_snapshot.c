/* `tern snapshot DOMAIN SNAP`, `snapshot-list [DOMAIN]`, `snapshot-rm SNAP...` and
 * `rollback DOMAIN SNAP`, all with [--store DIR] [--json] (docs/save-restore.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/ctrl/ctrl.h"
#include "cli.h"
#include "monitor.h"
#include "save.h"
#include "snapshot.h"
#include "state.h"
#include "suspend.h"

struct args {
    const char *store;
    int json;
    const char *pos[3];
    int npos;
};

static int parse(int argc, char **argv, struct args *a, int min, int max, const char *usage)
{
    memset(a, 0, sizeof(*a));
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--store") && i + 1 < argc)
            a->store = argv[++i];
        else if (!strcmp(argv[i], "--json"))
            a->json = 1;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: tern %s %s [--store DIR] [--json]\n", argv[0], usage);
            return -1;
        } else if (argv[i][0] == '-' || a->npos == max) {
            cli_err("usage: tern %s %s [--store DIR] [--json]", argv[0], usage);
            return -2;
        } else {
            a->pos[a->npos++] = argv[i];
        }
    }
    if (a->npos < min) {
        cli_err("usage: tern %s %s [--store DIR] [--json]", argv[0], usage);
        return -2;
    }
    a->store = snapshot_store_dir(a->store);
    return 0;
}

#define PARSE(min, max, usage)                                                         \
    do {                                                                               \
        int p_ = parse(argc, argv, &a, min, max, usage);                               \
        if (p_)                                                                        \
            return p_ == -1 ? CLI_OK : CLI_USAGE;                                      \
    } while (0)

/* A guest this toolstack made: its id, state and config text. */
static int guest(const char *cmd, const char *dom, uint16_t *id, struct domain_state *ds, char **config,
                 size_t *clen)
{
    if (cli_domain_id(dom, id) || *id == 0 || state_load(*id, ds)) {
        cli_err("%s: no guest '%s' made by this toolstack", cmd, dom);
        return -1;
    }
    if (!(*config = read_text(ds->config, clen))) {
        cli_err("%s %s: cannot read its config %s: %s", cmd, ds->name, ds->config, strerror(errno));
        return -1;
    }
    return 0;
}

int cmd_snapshot(int argc, char **argv)
{
    struct snapshot_report rep;
    struct domain_state ds;
    struct args a;
    struct ctrl c;
    char why[512], *config;
    size_t clen;
    uint16_t id;
    int rc;

    PARSE(2, 2, "DOMAIN SNAP");
    if (guest("snapshot", a.pos[0], &id, &ds, &config, &clen))
        return CLI_FAIL;
    if ((rc = ctrl_open(&c))) {
        cli_err("snapshot: cannot reach the hypervisor: %s", strerror(-rc));
        free(config);
        return CLI_FAIL;
    }
    rc = snapshot_domain(&c, id, ds.name, config, clen, a.store, a.pos[1], &rep, why, sizeof(why));
    ctrl_close(&c);
    free(config);
    if (rc) {
        cli_err("snapshot %s: %s; the guest carries on", ds.name, why);
        return CLI_FAIL;
    }
    if (a.json) {
        struct cli_json j;
        json_init(&j, stdout);
        json_obj(&j, NULL);
        json_str(&j, "domain", ds.name);
        json_str(&j, "snapshot", a.pos[1]);
        json_u64(&j, "pages", rep.save.pages);
        json_u64(&j, "page_tables", rep.save.page_tables);
        json_arr(&j, "round_pages");
        for (unsigned int i = 0; i < rep.rounds; i++)
            json_u64(&j, NULL, rep.round_pages[i]);
        json_end(&j, ']');
        json_num(&j, "handshake_ms", rep.handshake_ms);
        json_num(&j, "pause_ms", rep.pause_ms);
        json_num(&j, "total_ms", rep.total_ms);
        json_u64(&j, "new_pages", rep.store.new_chunks);
        json_u64(&j, "dup_pages", rep.store.dup_pages);
        json_u64(&j, "zero_pages", rep.store.zero_pages);
        json_u64(&j, "stored_bytes", rep.store.stored_bytes);
        json_end(&j, '}');
    } else {
        printf("snapshot %s of %s: %llu pages in %u rounds (last %llu), %llu new in the store "
               "(%llu KiB), %llu already there; guest stopped %.0f ms (suspend handshake %.0f ms), "
               "%.0f ms in all\n", a.pos[1], ds.name, (unsigned long long)rep.save.pages, rep.rounds,
               (unsigned long long)rep.round_pages[rep.rounds - 1], (unsigned long long)rep.store.new_chunks,
               (unsigned long long)(rep.store.stored_bytes >> 10), (unsigned long long)rep.store.dup_pages,
               rep.pause_ms, rep.handshake_ms, rep.total_ms);
    }
    return CLI_OK;
}

int cmd_snapshot_list(int argc, char **argv)
{
    struct store_snap_info *v = NULL;
    struct store *st;
    struct args a;
    char msg[256], want[96];
    size_t n = 0;
    int rc;

    PARSE(0, 1, "[DOMAIN]");
    if ((rc = store_open(a.store, STORE_CREATE, &st, msg, sizeof(msg)))) {
        cli_err("snapshot-list: cannot open the store %s: %s", a.store, msg);
        return CLI_FAIL;
    }
    if ((rc = store_list(st, &v, &n))) {
        cli_err("snapshot-list: %s", store_last_error(st));
        store_close(st);
        return CLI_FAIL;
    }
    snprintf(want, sizeof(want), "domain=%s", a.npos ? a.pos[0] : "");
    if (!a.json)
        printf("%-24s %-16s %10s %20s\n", "snapshot", "domain", "MiB", "taken");
    struct cli_json j;
    if (a.json) {
        json_init(&j, stdout);
        json_obj(&j, NULL);
        json_arr(&j, "snapshots");
    }
    for (size_t i = 0; i < n; i++) {
        const char *dom = "";
        for (uint32_t l = 0; l < v[i].nlabels; l++)
            if (!strncmp(v[i].labels[l], "domain=", 7))
                dom = v[i].labels[l] + 7;
        if (a.npos && strcmp(dom, a.pos[0]))
            continue;
        time_t t = (time_t)(v[i].ctime_ns / 1000000000ull);
        char when[32];
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", gmtime(&t));
        if (a.json) {
            json_obj(&j, NULL);
            json_str(&j, "name", v[i].name);
            json_str(&j, "domain", dom);
            json_u64(&j, "pages", v[i].pages);
            json_u64(&j, "ctime_ns", v[i].ctime_ns);
            json_end(&j, '}');
        } else {
            printf("%-24s %-16s %10llu %20s\n", v[i].name, dom, (unsigned long long)(v[i].pages / 256), when);
        }
    }
    if (a.json) {
        json_end(&j, ']');
        json_end(&j, '}');
    }
    free(v);
    store_close(st);
    return CLI_OK;
}

int cmd_snapshot_rm(int argc, char **argv)
{
    struct store *st;
    struct args a;
    char msg[256];
    int rc, failed = 0;

    PARSE(1, 3, "SNAP...");
    if ((rc = store_open(a.store, 0, &st, msg, sizeof(msg)))) {
        cli_err("snapshot-rm: cannot open the store %s: %s", a.store, msg);
        return CLI_FAIL;
    }
    for (int i = 0; i < a.npos; i++)
        if ((rc = store_rm(st, a.pos[i]))) {
            cli_err("snapshot-rm %s: %s", a.pos[i], store_last_error(st));
            failed = 1;
        }
    store_close(st);
    return failed ? CLI_FAIL : CLI_OK;
}

int cmd_rollback(int argc, char **argv)
{
    struct restore_result r;
    struct domain_state ds;
    struct xen_sysctl_physinfo pi;
    struct args a;
    struct ctrl c;
    char why[512], tmp[600], *config;
    size_t clen;
    uint16_t id;
    int rc;
    double t0 = now_ms();

    PARSE(2, 2, "DOMAIN SNAP");
    if (guest("rollback", a.pos[0], &id, &ds, &config, &clen))
        return CLI_FAIL;
    free(config);
    /* the snapshot whole and checked before the running guest goes */
    if ((rc = snapshot_export(a.store, a.pos[1], tmp, sizeof(tmp), why, sizeof(why)))) {
        cli_err("rollback %s: %s; the guest carries on", ds.name, why);
        return CLI_FAIL;
    }
    if ((rc = ctrl_open(&c))) {
        cli_err("rollback: cannot reach the hypervisor: %s", strerror(-rc));
        unlink(tmp);
        return CLI_FAIL;
    }
    double t_export = now_ms();
    destroy_guest(&c, id);
    /* its memory comes back a moment after the destroy */
    for (int tries = 0; tries < 100 && !ctrl_physinfo(&c, &pi); tries++) {
        xen_domctl_getdomaininfo_t info;
        if (ctrl_domain_info(&c, id, &info))
            break;
        struct timespec tick = { 0, 20 * 1000 * 1000 };
        nanosleep(&tick, NULL);
    }
    double t_gone = now_ms();
    rc = restore_domain(&c, tmp, ds.name, &r, why, sizeof(why));
    unlink(tmp);
    if (rc || (rc = monitor_spawn(r.domid)) || (rc = ctrl_domain_unpause(&c, r.domid))) {
        cli_err("rollback %s: %s", ds.name, why[0] ? why : strerror(-rc));
        ctrl_close(&c);
        return CLI_FAIL;
    }
    ctrl_close(&c);
    double t_end = now_ms();
    printf("rolled %s back to %s: domain %u, %.0f ms (export %.0f, destroy %.0f, restore %.0f)\n", ds.name,
           a.pos[1], r.domid, t_end - t0, t_export - t0, t_gone - t_export, t_end - t_gone);
    return CLI_OK;
}
