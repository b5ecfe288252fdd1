/*
 * memguard SIZE [PASSES]: memory a save, snapshot or migration must bring back exactly.
 * Every page of a SIZE region holds a pattern made of its index and its generation; each
 * pass checks every page, then rewrites a quarter of them with the next generation, and
 * prints "MEMGUARD pass=N gen=G bad=B wall=SECONDS" (the wall clock, to compare with the
 * host's). A page that changed under the guest, or went back to an older state, is bad.
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
    for (long n = 1; !passes || n <= passes; n++) {
        struct timespec now;
        for (uint64_t i = 0; i < npages; i++) {
            if (!intact(mem + i * PAGE_WORDS, i, gen[i]) && bad++ < 3)
                printf("MEMGUARD page %" PRIu64 " (gen %" PRIu64 ") is wrong: holds page %" PRIu64
                       " gen %" PRIu64 "\n", i, gen[i], mem[i * PAGE_WORDS], mem[i * PAGE_WORDS + 1]);
        }
        /* a quarter rewritten each pass, a different quarter each time */
        for (uint64_t i = (uint64_t)n % 4; i < npages; i += 4)
            fill(mem + i * PAGE_WORDS, i, ++gen[i]);
        clock_gettime(CLOCK_REALTIME, &now);
        printf("MEMGUARD pass=%ld gen=%" PRIu64 " bad=%" PRIu64 " wall=%lld\n", n, gen[0], bad,
               (long long)now.tv_sec);
        fflush(stdout);
        if (bad)
            return 1;
    }
    return 0;
}
