/* Shared pieces of the tern command line: command table, exit codes, JSON output, progress. */
#ifndef TERN_CLI_H
#define TERN_CLI_H

#include <stdint.h>
#include <stdio.h>

#define CLI_OK 0    /* done */
#define CLI_FAIL 1  /* the operation failed */
#define CLI_USAGE 2 /* bad command line */

struct cli_cmd {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
    const char *summary;
};

/* Commands, one file each (cmd_<name>.c). */
int cmd_store(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_domain_op(int argc, char **argv); /* pause, unpause, destroy */
int cmd_create(int argc, char **argv);
int cmd_console(int argc, char **argv);
int cmd_xs(int argc, char **argv);
int cmd_shutdown(int argc, char **argv); /* shutdown, reboot */
int cmd_device(int argc, char **argv);   /* network-/block- attach, detach, list */
int cmd_save(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);
int cmd_snapshot_list(int argc, char **argv);
int cmd_snapshot_rm(int argc, char **argv);
int cmd_rollback(int argc, char **argv);

/* A domain named on the command line: a toolstack name, an id, dN, or Domain-0.
 * 0 or -1. */
int cli_domain_id(const char *s, uint16_t *out);

/* "tern: <message>" on stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A small JSON writer for --json output: objects and arrays nest, keys are
 * NULL inside arrays. Output ends with a newline at depth 0. */
struct cli_json {
    FILE *f;
    int depth;
    int count[16];
};
void json_init(struct cli_json *j, FILE *f);
void json_obj(struct cli_json *j, const char *key);
void json_arr(struct cli_json *j, const char *key);
void json_end(struct cli_json *j, char close);
void json_str(struct cli_json *j, const char *key, const char *val);
void json_u64(struct cli_json *j, const char *key, uint64_t val);
void json_num(struct cli_json *j, const char *key, double val);
void json_bool(struct cli_json *j, const char *key, int val);

/* A progress bar on stderr, drawn only when stderr is a terminal. */
struct cli_progress {
    const char *what;
    int on;
    uint64_t last_ns;
    int drawn;
};
void progress_init(struct cli_progress *p, const char *what, int enabled);
/* store_progress_fn compatible; total 0 means unknown. */
void progress_cb(void *arg, uint64_t done, uint64_t total);
void progress_done(struct cli_progress *p);

/* Human-readable size ("1.5 GiB") into buf. */
const char *cli_size(uint64_t bytes, char *buf, size_t len);

#endif
