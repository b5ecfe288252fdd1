/* tern: the Tern toolstack command line; dispatches to one command per file. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define TERN_VERSION "0.1"

/* New commands (create, list, console, save, restore, migrate, snapshot,
 * clone, destroy, ...) are added here, each in its own cmd_<name>.c. */
static const struct cli_cmd commands[] = {
    { "create", cmd_create, "build and start a domain from a config file" },
    { "console", cmd_console, "attach to a domain's console (Ctrl-] detaches)" },
    { "list", cmd_list, "list the domains: memory, vCPUs, state, CPU time" },
    { "info", cmd_info, "the host: CPUs and memory" },
    { "pause", cmd_domain_op, "pause a domain" },
    { "unpause", cmd_domain_op, "let a paused domain run again" },
    { "shutdown", cmd_shutdown, "ask a guest to power off (-w waits)" },
    { "reboot", cmd_shutdown, "ask a guest to reboot (-w waits)" },
    { "destroy", cmd_domain_op, "stop a domain at once and free what it holds" },
    { "save", cmd_save, "write a guest's whole state to a file (and destroy it)" },
    { "restore", cmd_restore, "bring a saved guest (or a snapshot) back" },
    { "snapshot", cmd_snapshot, "snapshot a running guest into the store; it keeps running" },
    { "snapshot-list", cmd_snapshot_list, "the snapshots in the store (of one guest)" },
    { "snapshot-rm", cmd_snapshot_rm, "delete snapshots from the store" },
    { "rollback", cmd_rollback, "return a guest to one of its snapshots" },
    { "network-attach", cmd_device, "give a running guest one more vif" },
    { "network-detach", cmd_device, "take a vif from a running guest" },
    { "network-list", cmd_device, "a guest's vifs and their state" },
    { "block-attach", cmd_device, "give a running guest one more disk" },
    { "block-detach", cmd_device, "take a disk from a running guest" },
    { "block-list", cmd_device, "a guest's disks and their state" },
    { "xs", cmd_xs, "read, write, list and watch the xenstore tree" },
    { "store", cmd_store, "manage the content-addressed snapshot store" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
    size_t i;

    fprintf(f, "usage: tern [--help] [--version] COMMAND [ARGS...]\n\ncommands:\n");
    for (i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'tern COMMAND --help' describes a command.\n"
               "Exit status: 0 done, 1 operation failed, 2 bad usage.\n");
}

int main(int argc, char **argv)
{
    size_t i;

    /* A closed output pipe is an error to report, not a reason to die. */
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("tern %s\n", TERN_VERSION);
        return CLI_OK;
    }
    for (i = 0; i < NCOMMANDS; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    cli_err("unknown command '%s'", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
