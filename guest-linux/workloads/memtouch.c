/* memtouch: takes a share of RAM, writes a position-dependent pattern, then verifies it. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "work.h"

/* A pattern word depends on its index and the pass, so a misplaced page shows up. */
static inline uint64_t memtouch_pattern(uint64_t index, uint64_t seed)
{
    uint64_t x = (index + 1) * 0x9e3779b97f4a7c15ull ^ seed;

    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ull;
    return x ^ (x >> 29);
}

static void memtouch_fill(uint64_t *words, uint64_t nwords, uint64_t seed)
{
    for (uint64_t i = 0; i < nwords; i++)
        words[i] = memtouch_pattern(i, seed);
}

/* Returns the number of bad words; reports the first one. */
static uint64_t memtouch_verify(const uint64_t *words, uint64_t nwords, uint64_t seed)
{
    uint64_t bad = 0;

    for (uint64_t i = 0; i < nwords; i++) {
        uint64_t want = memtouch_pattern(i, seed);

        if (words[i] == want)
            continue;
        if (bad == 0)
            printf("memtouch: first mismatch at offset 0x%" PRIx64 ": want 0x%016" PRIx64
                   " got 0x%016" PRIx64 "\n",
                   i * 8, want, words[i]);
        bad++;
    }
    return bad;
}

static double memtouch_mbps(uint64_t bytes, uint64_t ns)
{
    return ns ? (double)bytes / (1 << 20) / ((double)ns / 1e9) : 0.0;
}

int memtouch_main(int argc, char **argv)
{
    uint64_t bytes, nwords, bad = 0, wr_ns = 0, rd_ns = 0;
    long passes = 2;
    uint64_t *words;

    if (argc < 2 || argc > 3 || work_parse_size(argv[1], &bytes) != 0 ||
        (argc == 3 && work_parse_count(argv[2], 1, 1000, &passes) != 0)) {
        fprintf(stderr, "usage: memtouch SIZE|PCT%% [PASSES]   (SIZE: bytes, or with K, M, G)\n");
        return 2;
    }
    nwords = bytes / sizeof(uint64_t);
    if (nwords == 0) {
        printf("MEMTOUCH FAIL size %" PRIu64 " too small\n", bytes);
        return 1;
    }
    words = mmap(NULL, nwords * sizeof(uint64_t), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (words == MAP_FAILED) {
        printf("MEMTOUCH FAIL mmap of %" PRIu64 " bytes: %s\n", bytes, strerror(errno));
        return 1;
    }
    for (long p = 0; p < passes; p++) {
        uint64_t seed = 0x5445524e00000000ull + (uint64_t)p, t0 = work_now_ns(), t1;

        memtouch_fill(words, nwords, seed);
        t1 = work_now_ns();
        bad += memtouch_verify(words, nwords, seed);
        wr_ns += t1 - t0;
        rd_ns += work_now_ns() - t1;
    }
    munmap(words, nwords * sizeof(uint64_t));
    printf("MEMTOUCH %s bytes=%" PRIu64 " MiB=%" PRIu64 " passes=%ld bad_words=%" PRIu64
           " write_MBps=%.0f verify_MBps=%.0f\n",
           bad ? "FAIL" : "PASS", nwords * 8, nwords * 8 >> 20, passes, bad,
           memtouch_mbps(nwords * 8 * (uint64_t)passes, wr_ns),
           memtouch_mbps(nwords * 8 * (uint64_t)passes, rd_ns));
    return bad ? 1 : 0;
}
