/* `tern store ls|rm|verify|gc|du`: looking after the snapshot store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cmd_store.h"

static void fmt_time(uint64_t ns, char *buf, size_t len)
{
    time_t t = (time_t)(ns / 1000000000ull);
    struct tm tm;

    if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, len, "?");
}

static void ls_json(const struct store_snap_info *v, size_t n)
{
    struct cli_json j;
    char when[32];
    size_t i, k;

    json_init(&j, stdout);
    json_obj(&j, NULL);
    json_arr(&j, "snapshots");
    for (i = 0; i < n; i++) {
        fmt_time(v[i].ctime_ns, when, sizeof(when));
        json_obj(&j, NULL);
        json_str(&j, "name", v[i].name);
        json_str(&j, "id", v[i].id);
        json_str(&j, "parent", v[i].parent);
        json_str(&j, "created", when);
        json_u64(&j, "ctime_ns", v[i].ctime_ns);
        json_u64(&j, "pages", v[i].pages);
        json_u64(&j, "zero_pages", v[i].zero_pages);
        json_u64(&j, "image_size", v[i].image_size);
        json_u64(&j, "logical_bytes", v[i].pages * STORE_PAGE_SIZE);
        json_arr(&j, "labels");
        for (k = 0; k < v[i].nlabels; k++)
            json_str(&j, NULL, v[i].labels[k]);
        json_end(&j, ']');
        json_end(&j, '}');
    }
    json_end(&j, ']');
    json_end(&j, '}');
}

int store_cmd_ls(struct store_opts *o, int argc, char **argv)
{
    struct store_snap_info *v = NULL;
    char when[32], size[32];
    struct store *s;
    size_t i, k, n = 0;

    (void)argc, (void)argv;
    s = store_cmd_open(o, 0);
    if (!s)
        return CLI_FAIL;
    if (store_list(s, &v, &n)) {
        cli_err("%s", store_last_error(s));
        store_close(s);
        return CLI_FAIL;
    }
    if (o->json) {
        ls_json(v, n);
    } else {
        printf("%-24s %-16s %-20s %10s  %s\n", "NAME", "ID", "CREATED", "SIZE", "PARENT / LABELS");
        for (i = 0; i < n; i++) {
            fmt_time(v[i].ctime_ns, when, sizeof(when));
            printf("%-24s %.16s %-20s %10s  %s", v[i].name, v[i].id, when,
                   cli_size(v[i].image_size, size, sizeof(size)),
                   v[i].parent[0] ? v[i].parent : "-");
            for (k = 0; k < v[i].nlabels; k++)
                printf(" %s", v[i].labels[k]);
            printf("\n");
        }
    }
    free(v);
    store_close(s);
    return CLI_OK;
}

int store_cmd_rm(struct store_opts *o, int argc, char **argv)
{
    struct cli_json j;
    struct store *s;
    int i, failed = 0;

    s = store_cmd_open(o, 0);
    if (!s)
        return CLI_FAIL;
    if (o->json) {
        json_init(&j, stdout);
        json_obj(&j, NULL);
        json_arr(&j, "removed");
    }
    for (i = 0; i < argc; i++) {
        if (store_rm(s, argv[i])) {
            cli_err("store rm: %s", store_last_error(s));
            failed++;
        } else if (o->json) {
            json_str(&j, NULL, argv[i]);
        } else {
            printf("removed %s\n", argv[i]);
        }
    }
    if (o->json) {
        json_end(&j, ']');
        json_u64(&j, "failed", (uint64_t)failed);
        json_end(&j, '}');
    }
    store_close(s);
    return failed ? CLI_FAIL : CLI_OK;
}

struct problems {
    int json;
    struct cli_json *j;
};

static void report_problem(void *arg, const char *line)
{
    struct problems *p = arg;

    if (p->json)
        json_str(p->j, NULL, line);
    else
        printf("problem: %s\n", line);
}

int store_cmd_verify(struct store_opts *o, int argc, char **argv)
{
    struct store_verify_stats st;
    struct cli_progress pg;
    struct problems pr;
    struct cli_json j;
    struct store *s;
    int rc;

    (void)argc, (void)argv;
    s = store_cmd_open(o, 0);
    if (!s)
        return CLI_FAIL;
    pr.json = o->json;
    pr.j = &j;
    if (o->json) {
        json_init(&j, stdout);
        json_obj(&j, NULL);
        json_arr(&j, "problems");
    }
    progress_init(&pg, "verify", !o->quiet);
    rc = store_verify(s, &st, report_problem, &pr, progress_cb, &pg);
    progress_done(&pg);
    if (o->json) {
        json_end(&j, ']');
        json_bool(&j, "ok", !rc && !st.problems);
        json_u64(&j, "packs", st.packs);
        json_u64(&j, "chunks", st.chunks);
        json_u64(&j, "snapshots", st.snapshots);
        json_u64(&j, "refs", st.refs);
        json_u64(&j, "problem_count", st.problems);
        json_u64(&j, "orphans", st.orphans);
        json_end(&j, '}');
    } else if (!rc) {
        printf("verify: %llu packs, %llu pages, %llu snapshots, %llu references: %s",
               (unsigned long long)st.packs, (unsigned long long)st.chunks,
               (unsigned long long)st.snapshots, (unsigned long long)st.refs,
               st.problems ? "" : "ok");
        if (st.problems)
            printf("%llu problems", (unsigned long long)st.problems);
        if (st.orphans)
            printf(" (%llu leftovers of interrupted writes; gc removes them)",
                   (unsigned long long)st.orphans);
        printf("\n");
    }
    if (rc)
        cli_err("%s", store_last_error(s));
    store_close(s);
    return rc || st.problems ? CLI_FAIL : CLI_OK;
}

int store_cmd_gc(struct store_opts *o, int argc, char **argv)
{
    struct store_gc_stats st;
    struct cli_progress pg;
    struct cli_json j;
    struct store *s;
    char a[32];
    int rc;

    (void)argc, (void)argv;
    s = store_cmd_open(o, 0);
    if (!s)
        return CLI_FAIL;
    progress_init(&pg, "gc", !o->quiet);
    rc = store_gc(s, (unsigned)(o->wait_s * 1000), &st, progress_cb, &pg);
    progress_done(&pg);
    if (rc) {
        cli_err("store gc: %s", store_last_error(s));
    } else if (o->json) {
        json_init(&j, stdout);
        json_obj(&j, NULL);
        json_u64(&j, "packs_before", st.packs_before);
        json_u64(&j, "packs_after", st.packs_after);
        json_u64(&j, "chunks_dropped", st.chunks_dropped);
        json_u64(&j, "chunks_kept", st.chunks_kept);
        json_u64(&j, "bytes_freed", st.bytes_freed);
        json_u64(&j, "tmp_removed", st.tmp_removed);
        json_end(&j, '}');
    } else {
        printf("gc: dropped %llu pages, kept %llu, packs %llu -> %llu, freed %s\n",
               (unsigned long long)st.chunks_dropped, (unsigned long long)st.chunks_kept,
               (unsigned long long)st.packs_before, (unsigned long long)st.packs_after,
               cli_size(st.bytes_freed, a, sizeof(a)));
    }
    store_close(s);
    return rc ? CLI_FAIL : CLI_OK;
}

int store_cmd_du(struct store_opts *o, int argc, char **argv)
{
    struct store_du du;
    struct cli_json j;
    struct store *s;
    char a[32], b[32];
    double ratio;

    (void)argc, (void)argv;
    s = store_cmd_open(o, 0);
    if (!s)
        return CLI_FAIL;
    if (store_du(s, &du)) {
        cli_err("store du: %s", store_last_error(s));
        store_close(s);
        return CLI_FAIL;
    }
    ratio = du.stored_bytes ? (double)du.logical_bytes / (double)du.stored_bytes : 0.0;
    if (o->json) {
        json_init(&j, stdout);
        json_obj(&j, NULL);
        json_u64(&j, "snapshots", du.snapshots);
        json_u64(&j, "logical_bytes", du.logical_bytes);
        json_u64(&j, "stored_bytes", du.stored_bytes);
        json_u64(&j, "pack_bytes", du.pack_bytes);
        json_u64(&j, "chunks", du.chunks);
        json_u64(&j, "chunk_bytes", du.chunk_bytes);
        json_num(&j, "dedup_ratio", ratio);
        json_end(&j, '}');
    } else {
        printf("%llu snapshots: logical %s, stored %s, ratio %.2fx (%llu distinct pages)\n",
               (unsigned long long)du.snapshots, cli_size(du.logical_bytes, a, sizeof(a)),
               cli_size(du.stored_bytes, b, sizeof(b)), ratio,
               (unsigned long long)du.chunks);
    }
    store_close(s);
    return CLI_OK;
}
