/* Internal interface between the `tern store` parser and its subcommands. */
#ifndef TERN_CMD_STORE_H
#define TERN_CMD_STORE_H

#include <stddef.h>

#include "tern/store.h"

struct store_opts {
    const char *store;
    int json, quiet;
    const char *name, *parent, *format, *output;
    const char *labels[STORE_LABELS_MAX];
    size_t nlabels;
    unsigned long wait_s;
};

int store_cmd_put(struct store_opts *o, int argc, char **argv);
int store_cmd_get(struct store_opts *o, int argc, char **argv);
int store_cmd_ls(struct store_opts *o, int argc, char **argv);
int store_cmd_rm(struct store_opts *o, int argc, char **argv);
int store_cmd_verify(struct store_opts *o, int argc, char **argv);
int store_cmd_gc(struct store_opts *o, int argc, char **argv);
int store_cmd_du(struct store_opts *o, int argc, char **argv);

/* Opens the store or says why not; returns NULL on failure. */
struct store *store_cmd_open(const struct store_opts *o, unsigned flags);

#endif
