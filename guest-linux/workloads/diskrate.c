/*
 * diskrate DEV [MiB]: sequential direct I/O on a block device in 1 MiB requests, MiB written
 * (then fsync) and read back, three rounds; prints the medians as
 * "write_mib_s=W read_mib_s=R". Timed inside the process: a shell's clock (/proc/uptime, 10 ms)
 * and its process start-ups were a large share of a 100 ms run under emulation. Every 4 KiB
 * block carries the round, its place and a word of the pattern, checked on the way back, so
 * a disk that returns the wrong data fails instead of looking fast.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "work.h"

#define CHUNK (1u << 20)
#define BLOCK 4096u
#define ROUNDS 3

static void stamp(uint64_t *buf, uint64_t round, uint64_t mib)
{
    for (unsigned int b = 0; b < CHUNK / BLOCK; b++) {
        uint64_t *w = buf + (size_t)b * (BLOCK / 8);
        w[0] = round;
        w[1] = mib * (CHUNK / BLOCK) + b;
        w[2] = ~(round ^ w[1]);
    }
}

static int checked(const uint64_t *buf, uint64_t round, uint64_t mib)
{
    for (unsigned int b = 0; b < CHUNK / BLOCK; b++) {
        const uint64_t *w = buf + (size_t)b * (BLOCK / 8);
        uint64_t at = mib * (CHUNK / BLOCK) + b;
        if (w[0] != round || w[1] != at || w[2] != ~(round ^ at)) {
            printf("diskrate: block %llu read back wrong (round %llu, place %llu)\n",
                   (unsigned long long)at, (unsigned long long)w[0], (unsigned long long)w[1]);
            return -1;
        }
    }
    return 0;
}

static double rate(long mib, uint64_t ns)
{
    return (double)mib / ((double)ns / 1e9);
}

static double median3(double *v)
{
    double a = v[0], b = v[1], c = v[2];

    if ((a <= b && b <= c) || (c <= b && b <= a))
        return b;
    if ((b <= a && a <= c) || (c <= a && a <= b))
        return a;
    return c;
}

static int one_round(int fd, uint64_t *buf, long mib, uint64_t round, double *w, double *r)
{
    uint64_t t0 = work_now_ns();

    for (long i = 0; i < mib; i++) {
        stamp(buf, round, (uint64_t)i);
        if (pwrite(fd, buf, CHUNK, (off_t)i * CHUNK) != (ssize_t)CHUNK) {
            printf("diskrate: write at %ld MiB: %s\n", i, strerror(errno));
            return -1;
        }
    }
    if (fsync(fd)) {
        printf("diskrate: fsync: %s\n", strerror(errno));
        return -1;
    }
    uint64_t t1 = work_now_ns();
    for (long i = 0; i < mib; i++) {
        if (pread(fd, buf, CHUNK, (off_t)i * CHUNK) != (ssize_t)CHUNK) {
            printf("diskrate: read at %ld MiB: %s\n", i, strerror(errno));
            return -1;
        }
        if (checked(buf, round, (uint64_t)i))
            return -1;
    }
    uint64_t t2 = work_now_ns();
    *w = rate(mib, t1 - t0);
    *r = rate(mib, t2 - t1);
    return 0;
}

int diskrate_main(int argc, char **argv)
{
    long mib = 64;
    double w[ROUNDS], r[ROUNDS];
    void *buf;
    int fd, rc = 0;

    if (argc < 2 || argc > 3 || (argc == 3 && work_parse_count(argv[2], 1, 1 << 20, &mib))) {
        fprintf(stderr, "usage: diskrate DEVICE [MiB]\n");
        return 2;
    }
    if ((fd = open(argv[1], O_RDWR | O_DIRECT)) < 0) {
        printf("diskrate: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    if (posix_memalign(&buf, BLOCK, CHUNK)) {
        close(fd);
        printf("diskrate: no memory\n");
        return 1;
    }
    memset(buf, 0x5a, CHUNK);
    for (int i = 0; i < ROUNDS && !rc; i++)
        rc = one_round(fd, buf, mib, (uint64_t)i + 1, &w[i], &r[i]);
    if (!rc)
        printf("write_mib_s=%.2f read_mib_s=%.2f\n", median3(w), median3(r));
    free(buf);
    close(fd);
    return rc ? 1 : 0;
}
