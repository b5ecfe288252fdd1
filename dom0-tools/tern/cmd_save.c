/* `tern save DOMAIN FILE [-c]` and `tern restore FILE [--name NAME] [-p]`: a guest's whole
 * state to a file and back (docs/save-restore.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/ctrl/ctrl.h"
#include "cli.h"
#include "guard.h"
#include "monitor.h"
#include "save.h"
#include "snapshot.h"
#include "state.h"
#include "suspend.h"
#include "vif.h"
#include "xsdom.h"
#include <tern/stream.h>
#include <tern/transport.h>

#define SUSPEND_TIMEOUT_MS 30000

static int save_usage(FILE *f)
{
    fprintf(f, "usage: tern save DOMAIN FILE [-c] [-z LEVEL] [-t MS] [--json]\n"
               "Suspend the guest, write its memory, vCPUs and config to FILE and destroy it;\n"
               "-c lets it carry on instead (a checkpoint). -z: zlib level 1-9 (default 0: raw, the\n"
               "fastest under emulation; see docs/save-restore.md).\n"
               "-t: how long the guest has to answer the suspend request (default 30000 ms).\n"
               "--json: the figures (pages, bytes, times) as JSON on stdout.\n");
    return CLI_USAGE;
}

char *read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    long n;

    if (!f)
        return NULL;
    if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET) &&
        (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = 0;
        *len = (size_t)n;
    } else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

/* The stream into FILE: written under a temporary name and renamed when complete. */
static int write_file(struct ctrl *c, uint16_t id, const char *config, size_t clen, const char *file,
                      int level, struct save_stats *st, struct tern_writer_stats *ws, struct cli_progress *pg,
                      char *why, size_t len)
{
    /* two batches in flight keep the stages busy; more only cost memory to set up */
    struct tern_writer_params p = { .level = level, .queue_depth = 1 };
    struct tern_transport *t = NULL;
    struct tern_writer *w = NULL;
    char tmp[4096];
    int fd, rc;

    snprintf(tmp, sizeof(tmp), "%s.part", file);
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
        rc = -errno;
        snprintf(why, len, "cannot write %.300s: %s", tmp, strerror(errno));
        return rc;
    }
    if ((rc = tern_transport_fd(&t, fd, true)) || (rc = tern_writer_open(&w, t, &p))) {
        snprintf(why, len, "cannot start the stream: %s", strerror(-rc));
    } else if (!(rc = save_domain(c, id, config, clen, w, st, pg, why, len)) &&
               (rc = tern_writer_finish(w))) {
        snprintf(why, len, "finishing the stream: %s", tern_writer_error(w)->msg);
    }
    if (w)
        tern_writer_get_stats(w, ws);
    tern_writer_free(w);
    if (t) {
        if (!rc && fsync(fd)) {
            rc = -errno;
            snprintf(why, len, "cannot write %.300s: %s", tmp, strerror(errno));
        }
        tern_transport_close(t, NULL);
    } else {
        close(fd);
    }
    if (!rc && rename(tmp, file)) {
        rc = -errno;
        snprintf(why, len, "cannot rename %.300s: %s", tmp, strerror(errno));
    }
    if (rc)
        unlink(tmp);
    return rc;
}

void destroy_guest(struct ctrl *c, uint16_t id)
{
    state_stop_monitor(id);
    xsdom_forget(id);
    ctrl_domain_destroy(c, id);
    state_forget(id);
}

int cmd_save(int argc, char **argv)
{
    const char *dom = NULL, *file = NULL;
    struct domain_state ds;
    struct save_stats st;
    struct tern_writer_stats ws = { 0 };
    struct ctrl c;
    char why[512];
    int checkpoint = 0, level = 0, timeout = SUSPEND_TIMEOUT_MS, json = 0, rc, back;
    struct cli_progress pg;
    char *config;
    size_t clen = 0;
    uint16_t id;
    struct guard g;
    double t0, t1, t2;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-c"))
            checkpoint = 1;
        else if (!strcmp(argv[i], "-z") && i + 1 < argc && argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9' && !argv[i + 1][1])
            level = argv[++i][0] - '0';
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "-t") && i + 1 < argc && atoi(argv[i + 1]) > 0)
            timeout = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return save_usage(stdout), CLI_OK;
        else if (argv[i][0] == '-')
            return save_usage(stderr);
        else if (!dom)
            dom = argv[i];
        else if (!file)
            file = argv[i];
        else
            return save_usage(stderr);
    }
    if (!file)
        return save_usage(stderr);
    if (cli_domain_id(dom, &id) || id == 0 || state_load(id, &ds)) {
        cli_err("save: no guest '%s' made by this toolstack", dom);
        return CLI_FAIL;
    }
    if (!(config = read_text(ds.config, &clen))) {
        cli_err("save %s: cannot read its config %s: %s", ds.name, ds.config, strerror(errno));
        return CLI_FAIL;
    }
    if ((rc = ctrl_open(&c))) {
        cli_err("save: cannot reach the hypervisor: %s", strerror(-rc));
        free(config);
        return CLI_FAIL;
    }
    if ((rc = guard_start(&g, id, "save"))) {
        cli_err("save %s: cannot start the guest's guardian: %s", ds.name, strerror(-rc));
        goto out;
    }
    t0 = now_ms();
    guard_step(&g, GUARD_SUSPEND);
    if ((rc = suspend_domain(&c, id, timeout, why, sizeof(why)))) {
        guard_end(&g); /* the request was taken back */
        cli_err("save %s: %s", ds.name, why);
        goto out;
    }
    t1 = now_ms();
    guard_step(&g, GUARD_PAUSE);
    if (!(rc = ctrl_domain_pause(&c, id))) {
        guard_kill_point("save-paused");
        progress_init(&pg, "save", !json);
        rc = write_file(&c, id, config, clen, file, level, &st, &ws, &pg, why, sizeof(why));
        progress_done(&pg);
        ctrl_domain_unpause(&c, id);
    } else {
        snprintf(why, sizeof(why), "cannot pause it: %s", strerror(-rc));
    }
    guard_step(&g, GUARD_UNPAUSED);
    t2 = now_ms();
    if (rc || checkpoint) {
        /* a failed save loses nothing: the guest carries on where it stopped */
        if ((back = resume_domain(&c, id, NULL)))
            cli_err("save %s: and it cannot be resumed: %s", ds.name, strerror(-back));
        guard_step(&g, GUARD_RESUMED);
        if (rc)
            cli_err("save %s: %s; the guest carries on", ds.name, why);
    } else {
        destroy_guest(&c, id);
    }
    guard_end(&g);
    if (!rc && json) {
        struct cli_json j;
        json_init(&j, stdout);
        json_obj(&j, NULL);
        json_str(&j, "domain", ds.name);
        json_str(&j, "file", file);
        json_u64(&j, "pages", st.pages);
        json_u64(&j, "page_tables", st.page_tables);
        json_u64(&j, "vcpus", st.vcpus);
        json_u64(&j, "page_bytes", ws.page_bytes);
        json_u64(&j, "bytes_written", ws.wire_bytes);
        json_num(&j, "compression_ratio", ws.wire_bytes ? (double)ws.page_bytes / (double)ws.wire_bytes : 0);
        json_u64(&j, "zero_pages", ws.zero_pages);
        json_num(&j, "suspend_ms", t1 - t0);
        json_num(&j, "save_ms", t2 - t1);
        json_end(&j, '}');
    } else if (!rc)
        printf("saved %s to %s: %llu pages (%llu page tables), %u vCPUs, %.1f MiB written; "
               "suspend %.0f ms, save %.0f ms\n", ds.name, file, (unsigned long long)st.pages,
               (unsigned long long)st.page_tables, st.vcpus, (double)ws.wire_bytes / (1 << 20), t1 - t0,
               t2 - t1);
out:
    ctrl_close(&c);
    free(config);
    return rc ? CLI_FAIL : CLI_OK;
}

static int restore_usage(FILE *f)
{
    fprintf(f, "usage: tern restore FILE [--name NAME] [-p]\n"
               "       tern restore --snapshot SNAP [--store DIR] [--name NAME] [-p]\n"
               "Build a guest from a file tern save wrote, or from a snapshot in the store, and\n"
               "let it carry on (under its saved name, or NAME); -p leaves it paused.\n");
    return CLI_USAGE;
}

int cmd_restore(int argc, char **argv)
{
    const char *file = NULL, *name = NULL, *snap = NULL, *store = NULL;
    char tmp[600];
    struct restore_result r;
    struct ctrl c;
    char why[512];
    int paused = 0, rc;
    double t0;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--name") && i + 1 < argc)
            name = argv[++i];
        else if (!strcmp(argv[i], "--snapshot") && i + 1 < argc)
            snap = argv[++i];
        else if (!strcmp(argv[i], "--store") && i + 1 < argc)
            store = argv[++i];
        else if (!strcmp(argv[i], "-p"))
            paused = 1;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return restore_usage(stdout), CLI_OK;
        else if (argv[i][0] == '-' || file)
            return restore_usage(stderr);
        else
            file = argv[i];
    }
    if (!file == !snap)
        return restore_usage(stderr);
    if ((rc = ctrl_open(&c))) {
        cli_err("restore: cannot reach the hypervisor: %s", strerror(-rc));
        return CLI_FAIL;
    }
    t0 = now_ms();
    if (snap && (rc = snapshot_export(snapshot_store_dir(store), snap, tmp, sizeof(tmp), why, sizeof(why)))) {
        cli_err("restore --snapshot %s: %s", snap, why);
        ctrl_close(&c);
        return CLI_FAIL;
    }
    rc = restore_domain(&c, snap ? tmp : file, name, &r, why, sizeof(why));
    if (snap)
        unlink(tmp);
    if (rc) {
        cli_err("restore %s: refused: %s", snap ? snap : file, why);
        ctrl_close(&c);
        return CLI_FAIL;
    }
    if ((rc = monitor_spawn(r.domid)) || (!paused && (rc = ctrl_domain_unpause(&c, r.domid)))) {
        cli_err("restore %s: domain %u is built but cannot run: %s", file, r.domid, strerror(-rc));
        ctrl_close(&c);
        return CLI_FAIL;
    }
    printf("restored %s: domain %u, %llu pages, %.0f ms (check and stage %.0f, populate %.0f, "
           "tables %.0f, pin and vCPUs %.0f, devices %.0f)\n", r.name, r.domid, (unsigned long long)r.pages,
           now_ms() - t0, r.check_ms, r.populate_ms, r.tables_ms, r.finish_ms, r.devices_ms);
    ctrl_close(&c);
    return CLI_OK;
}
