/*
 * memguard SIZE [PASSES]: memory a save, snapshot or migration must bring back exactly.
 * Every page of a SIZE region holds a pattern made of its index and its generation; each
 * pass checks every page, then rewrites a quarter of them with the next generation, and
 * prints "MEMGUARD pass=N gen=G bad=B wall=SECONDS stall_ms=S" (the wall clock, to compare
 * with the host's; S the longest it went without running since the last report, by the
 * TSC, which goes on while the domain is stopped: a snapshot's pause as this process lives
 * it). A page that changed under the guest, or went back to an older state, is bad.
 * Runs PASSES passes (default: until killed); exit status 1 once a page is bad.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "work.h"

#define PAGE_WORDS 512
#define TICK_PAGES 64 /* pages between looks at the clock (well under a millisecond) */

/* The TSC: it goes on while the domain is stopped, where the guest's clocks do not
 * reliably (Linux's timekeeping is suspended for the stop and what it adds back after
 * varies). Its rate comes from the monotonic clock over a moment at the start. */
static uint64_t rdtsc_now(void)
{
    uint32_t lo, hi;

    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static double tsc_per_ns(void)
{
    struct timespec nap = { 0, 50000000 };
    uint64_t t0 = work_now_ns(), c0 = rdtsc_now();

    nanosleep(&nap, NULL);
    return (double)(rdtsc_now() - c0) / (double)(work_now_ns() - t0);
}

/* The longest gap between two looks at the TSC so far, in TSC ticks. */
static void tick(uint64_t *last, uint64_t *worst)
{
    uint64_t now = rdtsc_now();

    if (now - *last > *worst)
        *worst = now - *last;
    *last = now;
}

static uint64_t word_of(uint64_t page, uint64_t gen, unsigned int w)
{
    uint64_t x = (page << 20 ^ gen) * 0x9e3779b97f4a7c15ull + w;

    x ^= x >> 29;
    return x * 0xbf58476d1ce4e5b9ull;
}

static void fill(uint64_t *p, uint64_t page, uint64_t gen)
{
    p[0] = page;
    p[1] = gen;
    for (unsigned int w = 2; w < PAGE_WORDS; w++)
        p[w] = word_of(page, gen, w);
}

static bool intact(const uint64_t *p, uint64_t page, uint64_t gen)
{
    if (p[0] != page || p[1] != gen)
        return false;
    for (unsigned int w = 2; w < PAGE_WORDS; w++)
        if (p[w] != word_of(page, gen, w))
            return false;
    return true;
}

int memguard_main(int argc, char **argv)
{
    uint64_t bytes, npages, *mem, *gen, bad = 0;
    long passes = 0;

    if (argc < 2 || argc > 3 || work_parse_size(argv[1], &bytes) ||
        (argc == 3 && work_parse_count(argv[2], 1, 1000000, &passes))) {
        fprintf(stderr, "usage: memguard SIZE [PASSES]\n");
        return 2;
    }
    npages = bytes / 4096;
    mem = mmap(NULL, npages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    gen = mmap(NULL, npages * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!npages || mem == MAP_FAILED || gen == MAP_FAILED) {
        printf("MEMGUARD FAIL cannot map %" PRIu64 " bytes: %s\n", bytes, strerror(errno));
        return 1;
    }
    for (uint64_t i = 0; i < npages; i++)
        fill(mem + i * PAGE_WORDS, i, gen[i] = 1);
    double rate = tsc_per_ns();
    /* carried from pass to pass: a stop that falls on the report between two passes counts */
    uint64_t last = rdtsc_now();
    for (long n = 1; !passes || n <= passes; n++) {
        struct timespec now;
        uint64_t worst = 0;
        for (uint64_t i = 0; i < npages; i++) {
            if (i % TICK_PAGES == 0)
                tick(&last, &worst);
            if (!intact(mem + i * PAGE_WORDS, i, gen[i]) && bad++ < 3)
                printf("MEMGUARD page %" PRIu64 " (gen %" PRIu64 ") is wrong: holds page %" PRIu64
                       " gen %" PRIu64 "\n", i, gen[i], mem[i * PAGE_WORDS], mem[i * PAGE_WORDS + 1]);
        }
        /* a quarter rewritten each pass, a different quarter each time */
        for (uint64_t i = (uint64_t)n % 4; i < npages; i += 4) {
            if (i % (TICK_PAGES * 4) < 4)
                tick(&last, &worst);
            fill(mem + i * PAGE_WORDS, i, ++gen[i]);
        }
        tick(&last, &worst);
        clock_gettime(CLOCK_REALTIME, &now);
        printf("MEMGUARD pass=%ld gen=%" PRIu64 " bad=%" PRIu64 " wall=%lld stall_ms=%" PRIu64 "\n", n,
               gen[0], bad, (long long)now.tv_sec, (uint64_t)((double)worst / rate / 1e6));
        fflush(stdout);
        if (bad)
            return 1;
    }
    return 0;
}
