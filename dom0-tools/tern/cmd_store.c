/* `tern store`: option parsing and dispatch of the snapshot store subcommands. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_store.h"

struct store_sub {
    const char *name;
    const char *opts;     /* short letters of the options it takes */
    int min_args, max_args;
    int (*run)(struct store_opts *o, int argc, char **argv);
    const char *args;
    const char *help;
};

static const struct store_sub subs[] = {
    { "put", "sjhnplfq", 1, 1, store_cmd_put, "FILE|-",
      "Store a raw memory image or a save stream (detected by its magic) as\n"
      "snapshot NAME. Creates the store if it does not exist.\n"
      "  -n, --name NAME      snapshot name (required): [A-Za-z0-9._-], max 64\n"
      "  -p, --parent P       parent snapshot (lineage only)\n"
      "  -l, --label K=V      label, repeatable\n"
      "  -f, --format F       auto (default), image or stream\n" },
    { "get", "sjhfoq", 1, 1, store_cmd_get, "NAME",
      "Write snapshot NAME out as a raw memory image or a save stream.\n"
      "  -f, --format F       image (default) or stream\n"
      "  -o, --output FILE    output file, replaced atomically (default stdout)\n" },
    { "ls", "sjh", 0, 0, store_cmd_ls, "",
      "List snapshots, oldest first.\n" },
    { "rm", "sjh", 1, 64, store_cmd_rm, "NAME...",
      "Remove snapshots. Their pages are freed by the next gc.\n" },
    { "verify", "sjhq", 0, 0, store_cmd_verify, "",
      "Check every page against its hash, every index against its pack and\n"
      "every snapshot's references. Exit status 1 when anything is wrong.\n" },
    { "gc", "sjhwq", 0, 0, store_cmd_gc, "",
      "Drop pages no snapshot references, repacking partly used packs.\n"
      "Needs the store alone: waits for other users.\n"
      "  -w, --wait SECONDS   how long to wait for them (default 60)\n" },
    { "du", "sjh", 0, 0, store_cmd_du, "",
      "Show logical size, stored size and the deduplication ratio.\n" },
};

#define NSUBS (sizeof(subs) / sizeof(subs[0]))

static const struct option long_opts[] = {
    { "store", required_argument, NULL, 's' },
    { "json", no_argument, NULL, 'j' },
    { "help", no_argument, NULL, 'h' },
    { "name", required_argument, NULL, 'n' },
    { "parent", required_argument, NULL, 'p' },
    { "label", required_argument, NULL, 'l' },
    { "format", required_argument, NULL, 'f' },
    { "output", required_argument, NULL, 'o' },
    { "wait", required_argument, NULL, 'w' },
    { "quiet", no_argument, NULL, 'q' },
    { NULL, 0, NULL, 0 },
};

static void sub_usage(FILE *f, const struct store_sub *sub)
{
    fprintf(f, "usage: tern store %s [--store DIR] [--json] [OPTIONS] %s\n\n%s",
            sub->name, sub->args, sub->help);
    fprintf(f, "  -s, --store DIR      the store (default: $TERN_STORE)\n"
               "  -j, --json           machine-readable output on stdout\n");
    if (strchr(sub->opts, 'q'))
        fprintf(f, "  -q, --quiet          no progress bar\n");
    fprintf(f, "  -h, --help           this help\n"
               "Exit status: 0 done, 1 operation failed, 2 bad usage.\n");
}

static void store_usage(FILE *f)
{
    size_t i;

    fprintf(f, "usage: tern store SUBCOMMAND [OPTIONS]\n\nsubcommands:\n");
    for (i = 0; i < NSUBS; i++)
        fprintf(f, "  %-7s %s\n", subs[i].name, subs[i].args);
    fprintf(f, "\nThe store directory comes from --store DIR or $TERN_STORE.\n"
               "'tern store SUBCOMMAND --help' describes each one.\n");
}

static int take_opt(struct store_opts *o, int c, const char *arg)
{
    char *end;

    switch (c) {
    case 's': o->store = arg; return 0;
    case 'j': o->json = 1; return 0;
    case 'n': o->name = arg; return 0;
    case 'p': o->parent = arg; return 0;
    case 'q': o->quiet = 1; return 0;
    case 'o': o->output = arg; return 0;
    case 'l':
        if (o->nlabels >= STORE_LABELS_MAX) {
            cli_err("too many labels (max %u)", STORE_LABELS_MAX);
            return -1;
        }
        o->labels[o->nlabels++] = arg;
        return 0;
    case 'f':
        o->format = arg;
        if (strcmp(arg, "auto") && strcmp(arg, "image") && strcmp(arg, "stream")) {
            cli_err("--format must be auto, image or stream");
            return -1;
        }
        return 0;
    case 'w':
        o->wait_s = strtoul(arg, &end, 10);
        if (!*arg || *end || o->wait_s > 86400) {
            cli_err("--wait takes seconds, 0..86400");
            return -1;
        }
        return 0;
    default:
        return -1;
    }
}

static int run_sub(const struct store_sub *sub, int argc, char **argv)
{
    struct store_opts o;
    char shorts[32];
    size_t i, n = 0;
    int c, nargs;

    memset(&o, 0, sizeof(o));
    o.wait_s = 60;
    for (i = 0; sub->opts[i]; i++) {
        shorts[n++] = sub->opts[i];
        if (strchr("snplfow", sub->opts[i]))
            shorts[n++] = ':';
    }
    shorts[n] = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, shorts, long_opts, NULL)) != -1) {
        if (c == 'h') {
            sub_usage(stdout, sub);
            return CLI_OK;
        }
        if (c == '?' || c == ':' || !strchr(sub->opts, c)) {
            cli_err("store %s: option '%s' not accepted", sub->name, argv[optind - 1]);
            sub_usage(stderr, sub);
            return CLI_USAGE;
        }
        if (take_opt(&o, c, optarg))
            return CLI_USAGE;
    }
    nargs = argc - optind;
    if (nargs < sub->min_args || nargs > sub->max_args) {
        cli_err("store %s: expected %s", sub->name, *sub->args ? sub->args : "no arguments");
        sub_usage(stderr, sub);
        return CLI_USAGE;
    }
    if (!o.store)
        o.store = getenv("TERN_STORE");
    if (!o.store || !*o.store) {
        cli_err("store %s: no store given (--store DIR or TERN_STORE)", sub->name);
        return CLI_USAGE;
    }
    return sub->run(&o, nargs, argv + optind);
}

int cmd_store(int argc, char **argv)
{
    size_t i;

    if (argc < 2) {
        store_usage(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        store_usage(stdout);
        return CLI_OK;
    }
    for (i = 0; i < NSUBS; i++)
        if (!strcmp(argv[1], subs[i].name))
            return run_sub(&subs[i], argc - 1, argv + 1);
    cli_err("store: unknown subcommand '%s'", argv[1]);
    store_usage(stderr);
    return CLI_USAGE;
}
