/* bench: micro-benchmarks for guest-vs-native comparisons; each prints "BENCH name value unit". */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "work.h"

#define BENCH_ROUNDS 3

static uint64_t bench_min(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* Raw getppid: a real kernel entry every time (glibc caches nothing for it). */
static int bench_syscall(long iters)
{
    uint64_t best = UINT64_MAX;

    for (int r = 0; r < BENCH_ROUNDS; r++) {
        uint64_t t0 = work_now_ns();

        for (long i = 0; i < iters; i++)
            syscall(SYS_getppid);
        best = bench_min(best, work_now_ns() - t0);
    }
    work_bench_line("syscall_getppid", (double)best / (double)iters, "ns");
    return 0;
}

static int bench_forkexec(long n)
{
    char *argv[] = {"/bin/true", NULL};
    uint64_t t0 = work_now_ns();

    for (long i = 0; i < n; i++) {
        if (work_spawn_wait(argv) != 0) {
            printf("bench: forkexec: /bin/true failed\n");
            return 1;
        }
    }
    work_bench_line("forkexec", (double)(work_now_ns() - t0) / 1e3 / (double)n, "us");
    return 0;
}

/* First touch of fresh anonymous pages: one write per 4 KiB page. */
static int bench_pagefault(long mib)
{
    size_t len = (size_t)mib << 20, pages = len / 4096;
    uint64_t best = UINT64_MAX;

    for (int r = 0; r < BENCH_ROUNDS; r++) {
        volatile char *p =
            mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        uint64_t t0;

        if (p == MAP_FAILED) {
            printf("bench: pagefault: mmap: %s\n", strerror(errno));
            return 1;
        }
        t0 = work_now_ns();
        for (size_t i = 0; i < pages; i++)
            p[i * 4096] = 1;
        best = bench_min(best, work_now_ns() - t0);
        munmap((void *)p, len);
    }
    work_bench_line("pagefault", (double)best / (double)pages, "ns");
    return 0;
}

static double bench_mbps(size_t bytes, uint64_t ns)
{
    return (double)bytes / (1 << 20) / ((double)ns / 1e9);
}

/* Sequential write, read and copy over a buffer larger than the caches. */
static int bench_membw(long mib)
{
    size_t len = (size_t)mib << 20, half = len / 2;
    uint64_t wr = UINT64_MAX, rd = UINT64_MAX, cp = UINT64_MAX;
    volatile uint64_t sink = 0;
    char *buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (buf == MAP_FAILED) {
        printf("bench: membw: mmap: %s\n", strerror(errno));
        return 1;
    }
    memset(buf, 0x5a, len); /* fault everything in before timing */
    for (int r = 0; r < BENCH_ROUNDS; r++) {
        const uint64_t *w = (const uint64_t *)buf;
        uint64_t t0 = work_now_ns(), sum = 0;

        memset(buf, r, len);
        wr = bench_min(wr, work_now_ns() - t0);
        t0 = work_now_ns();
        for (size_t i = 0; i < len / 8; i++)
            sum += w[i];
        sink += sum;
        rd = bench_min(rd, work_now_ns() - t0);
        t0 = work_now_ns();
        memcpy(buf + half, buf, half);
        cp = bench_min(cp, work_now_ns() - t0);
    }
    munmap(buf, len);
    work_bench_line("membw_write", bench_mbps(len, wr), "MB/s");
    work_bench_line("membw_read", bench_mbps(len, rd), "MB/s");
    work_bench_line("membw_copy", bench_mbps(half, cp), "MB/s");
    return 0;
}

struct bench_kind {
    const char *name;
    int (*run)(long arg);
    long def, max;
};

static const struct bench_kind bench_kinds[] = {
    {"syscall", bench_syscall, 200000, 1000000000},
    {"forkexec", bench_forkexec, 200, 1000000},
    {"pagefault", bench_pagefault, 64, 65536},
    {"membw", bench_membw, 64, 65536},
};

#define BENCH_NKINDS (sizeof(bench_kinds) / sizeof(bench_kinds[0]))

int bench_main(int argc, char **argv)
{
    int rc = 0;

    if (argc < 2 || argc > 3)
        goto usage;
    if (strcmp(argv[1], "all") == 0 && argc == 2) {
        for (size_t i = 0; i < BENCH_NKINDS; i++)
            rc |= bench_kinds[i].run(bench_kinds[i].def);
        return rc ? 1 : 0;
    }
    for (size_t i = 0; i < BENCH_NKINDS; i++) {
        long arg = bench_kinds[i].def;

        if (strcmp(argv[1], bench_kinds[i].name) != 0)
            continue;
        if (argc == 3 && work_parse_count(argv[2], 1, bench_kinds[i].max, &arg) != 0)
            goto usage;
        return bench_kinds[i].run(arg) ? 1 : 0;
    }
usage:
    fprintf(stderr, "usage: bench all | bench syscall [ITERS] | bench forkexec [N] |"
                    " bench pagefault [MiB] | bench membw [MiB]\n");
    return 2;
}
