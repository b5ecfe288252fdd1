/* Entry of the multi-call workload binary: picks the applet by program name or first argument. */
#include <stdio.h>
#include <string.h>

#include "work.h"

struct work_applet {
    const char *name;
    int (*main)(int argc, char **argv);
    const char *usage;
};

static const struct work_applet work_applets[] = {
    {"memtouch", memtouch_main, "memtouch SIZE|PCT% [PASSES]  write, then verify, patterns"},
    {"memguard", memguard_main, "memguard SIZE [PASSES]  pages that must survive a save, checked pass after pass"},
    {"clockcheck", clockcheck_main, "clockcheck [SECONDS]  monotonic vs realtime over a sleep"},
    {"forkexec", forkexec_main, "forkexec [N] [PROGRAM]  N fork+exec of PROGRAM (/bin/true)"},
    {"threads", threads_main, "threads [SECONDS]  one busy thread per CPU, CPUs seen"},
    {"xs", xs_main, "xs read|write|rm|ls|perms PATH [VALUE|PERM...]  xenstore via the kernel"},
    {"bench", bench_main, "bench all|syscall|forkexec|pagefault|membw [ARG]  BENCH lines"},
    {"diskrate", diskrate_main, "diskrate DEVICE [MiB]  direct I/O write and read rates, checked"},
};

#define WORK_NAPPLETS (sizeof(work_applets) / sizeof(work_applets[0]))

static const char *work_basename(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

static int work_usage(void)
{
    fprintf(stderr, "usage: tern-work APPLET [ARGS], or call through a link named APPLET\n");
    for (size_t i = 0; i < WORK_NAPPLETS; i++)
        fprintf(stderr, "  %s\n", work_applets[i].usage);
    return 2;
}

int main(int argc, char **argv)
{
    const char *name = argc > 0 ? work_basename(argv[0]) : "";

    if (strcmp(name, "tern-work") == 0) {
        if (argc < 2)
            return work_usage();
        argc--;
        argv++;
        name = argv[0];
    }
    for (size_t i = 0; i < WORK_NAPPLETS; i++) {
        if (strcmp(name, work_applets[i].name) == 0)
            return work_applets[i].main(argc, argv);
    }
    fprintf(stderr, "tern-work: unknown applet '%s'\n", name);
    return work_usage();
}
