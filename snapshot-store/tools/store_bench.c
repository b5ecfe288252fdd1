/* Store benchmark: put/get throughput, dedup ratio, and the machine's limits (SHA-256, memcpy, zlib). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "tern/store.h"

#define PAGE 4096u
#define MIB (1024.0 * 1024.0)

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift: fast, reproducible filler for synthetic pages. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void fill_random(uint8_t *p, size_t len)
{
    size_t i;

    for (i = 0; i + 8 <= len; i += 8) {
        uint64_t v = rnd();
        memcpy(p + i, &v, 8);
    }
}

/* A page of words from a small vocabulary: compresses about 3:1. */
static void fill_text(uint8_t *p)
{
    static const char *const words[] = { "kernel ", "page ", "tern ", "memory ",
                                         "\0\0\0\0", "snapshot ", "0x7fff ", "task " };
    size_t at = 0;

    while (at < PAGE) {
        const char *w = words[rnd() & 7];
        size_t n = strlen(w) ? strlen(w) : 4;
        if (n > PAGE - at)
            n = PAGE - at;
        memcpy(p + at, w, n);
        at += n;
    }
}

/* mixed: a quarter zero, a third text, the rest random, like a guest's memory. */
static void fill_mixed(uint8_t *img, size_t pages)
{
    size_t i;

    for (i = 0; i < pages; i++) {
        unsigned k = (unsigned)(rnd() % 12);
        uint8_t *p = img + i * PAGE;
        if (k < 3)
            memset(p, 0, PAGE);
        else if (k < 7)
            fill_text(p);
        else
            fill_random(p, PAGE);
    }
}

static double sha_speed(const uint8_t *buf, size_t pages, double secs)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
    uint8_t out[32];
    double t0 = now(), t;
    size_t i, n = 0;

    do {
        for (i = 0; i < 4096; i++, n++) {
            EVP_DigestInit_ex(ctx, md, NULL);
            EVP_DigestUpdate(ctx, buf + (n % pages) * PAGE, PAGE);
            EVP_DigestFinal_ex(ctx, out, NULL);
        }
        t = now() - t0;
    } while (t < secs);
    EVP_MD_free(md);
    EVP_MD_CTX_free(ctx);
    return (double)n * PAGE / MIB / t;
}

struct sha_arg {
    const uint8_t *buf;
    size_t pages;
    double mbs;
};

static void *sha_thread(void *arg)
{
    struct sha_arg *a = arg;

    a->mbs = sha_speed(a->buf, a->pages, 1.0);
    return NULL;
}

/* SHA-256 on two threads at once: shows whether the second core is free. */
static double sha_speed_two(const uint8_t *buf, size_t pages)
{
    struct sha_arg a = { buf, pages / 2, 0 }, b = { buf + pages / 2 * PAGE, pages / 2, 0 };
    pthread_t t;

    if (pthread_create(&t, NULL, sha_thread, &b))
        return 0;
    sha_thread(&a);
    pthread_join(t, NULL);
    return a.mbs + b.mbs;
}

/* What the file system under the store gives: write len bytes, fsync. */
static double disk_speed(const char *dir, const uint8_t *buf, size_t len)
{
    char path[4200];
    double t0, t = 0;
    size_t off;
    int fd;

    snprintf(path, sizeof(path), "%s/disk-probe", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return 0;
    t0 = now();
    for (off = 0; off < len; off += 1u << 20)
        if (write(fd, buf + off, len - off < (1u << 20) ? len - off : 1u << 20) < 0)
            break;
    if (off >= len && fsync(fd) == 0)
        t = now() - t0;
    close(fd);
    unlink(path);
    return t > 0 ? (double)len / MIB / t : 0;
}

/* A new incompressible image: one word per page changes. */
static void vary(uint8_t *img, size_t pages)
{
    uint64_t v = rnd();
    size_t i;

    for (i = 0; i < pages; i++)
        memcpy(img + i * PAGE + 8 * (i % 512), &v, 8);
}

static double memcpy_speed(uint8_t *dst, const uint8_t *src, size_t len)
{
    double t0 = now(), t;
    size_t n = 0;

    do {
        memcpy(dst, src, len);
        n++;
        t = now() - t0;
    } while (t < 0.5);
    return (double)n * (double)len / MIB / t;
}

static double zlib_speed(const uint8_t *buf, size_t pages)
{
    uint8_t out[PAGE + 64];
    z_stream z;
    double t0 = now(), t;
    size_t n = 0;

    memset(&z, 0, sizeof(z));
    deflateInit2(&z, 1, Z_DEFLATED, -12, 8, Z_DEFAULT_STRATEGY);
    do {
        deflateReset(&z);
        z.next_in = (Bytef *)(buf + (n % pages) * PAGE);
        z.avail_in = PAGE;
        z.next_out = out;
        z.avail_out = sizeof(out);
        deflate(&z, Z_FINISH);
        n++;
        t = now() - t0;
    } while ((n & 255) || t < 0.5);
    deflateEnd(&z);
    return (double)n * PAGE / MIB / t;
}

static int put_image(struct store *s, const char *name, const uint8_t *img, size_t pages,
                     double *secs, double *cpus)
{
    struct store_meta m = { name, NULL, NULL, 0, (uint64_t)pages * PAGE };
    struct store_put *p;
    double t0 = now(), c0 = cpu();
    int rc;

    rc = store_put_begin(s, &m, &p);
    if (!rc)
        rc = store_put_pages(p, 0, pages, img);
    if (rc) {
        store_put_abort(p);
        return rc;
    }
    rc = store_put_commit(p);
    *secs = now() - t0;
    *cpus = cpu() - c0;
    return rc;
}

static int get_image(struct store *s, const char *name, uint8_t *buf, size_t pages,
                     const uint8_t *want, double *secs)
{
    struct store_snap *snap;
    double t0 = now();
    int rc;

    rc = store_snap_open(s, name, &snap);
    if (rc)
        return rc;
    rc = store_read_pages(snap, 0, pages, buf);
    *secs = now() - t0;
    store_snap_close(snap);
    if (!rc && memcmp(buf, want, (size_t)pages * PAGE))
        rc = -EBADMSG;
    return rc;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static int fail(struct store *s, const char *what, int rc)
{
    fprintf(stderr, "store_bench: %s: %s (%s)\n", what, strerror(-rc),
            s ? store_last_error(s) : "");
    return 1;
}

#define RUNS 3

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Puts RUNS fresh incompressible images, each right after measuring
 * SHA-256 on this machine, so a busy machine slows both alike. */
static int bench_incompressible(struct store *s, uint8_t *img, size_t pages, size_t mib)
{
    double mbs[RUNS], sha[RUNS], ratio[RUNS], sorted[RUNS], cpus[RUNS], t;
    char name[32], runs[256];
    size_t at = 0;
    int r, best = 0, rc;

    for (r = 0; r < RUNS; r++) {
        vary(img, pages);
        sha[r] = sha_speed(img, pages, 0.5);
        snprintf(name, sizeof(name), "random%d", r);
        if ((rc = put_image(s, name, img, pages, &t, &cpus[r])))
            return rc;
        mbs[r] = (double)pages * PAGE / MIB / t;
        ratio[r] = sorted[r] = 100.0 * mbs[r] / sha[r];
        if (ratio[r] > ratio[best])
            best = r;
        at += (size_t)snprintf(runs + at, sizeof(runs) - at, "%s%.0f MB/s (%.0f %%)",
                               r ? ", " : "", mbs[r], ratio[r]);
    }
    qsort(sorted, RUNS, sizeof(sorted[0]), cmp_double);
    printf("store put, incompressible %zu MiB, fsync'd: best %.1f MB/s = %.0f %% of one-core "
           "sha256 measured just before (%.1f MB/s; goal 80 %%)\n",
           mib, mbs[best], ratio[best], sha[best]);
    /* Wall time on two cores is at least half the CPU time. */
    printf("store put, incompressible: %.2f CPU-s = %.2fx one sha256 pass over the image "
           "(2 free cores reach 80 %% only below 2.5x)\n", cpus[best],
           cpus[best] * sha[best] / ((double)pages * PAGE / MIB));
    printf("store put, incompressible, each of %d fresh images: %s; median %.0f %%\n", RUNS,
           runs, sorted[RUNS / 2]);
    return 0;
}

/* Puts img (pages already in the store, or all zero) and reports. */
static int bench_cheap(struct store *s, const char *name, const char *what,
                       const uint8_t *img, size_t pages, size_t mib, double sha)
{
    double t, c, mbs;
    int rc;

    if ((rc = put_image(s, name, img, pages, &t, &c)))
        return rc;
    mbs = (double)pages * PAGE / MIB / t;
    printf("store put, %s %zu MiB: %.1f MB/s = %.1fx one-core sha256, %.2f us CPU per page\n",
           what, mib, mbs, mbs / sha, c * 1e6 / (double)pages);
    return 0;
}

int main(int argc, char **argv)
{
    size_t mib = argc > 2 ? strtoul(argv[2], NULL, 10) : 256, pages = mib * 256, i;
    char dir[4096], name[32];
    uint8_t *rnd_img, *mix_img, *zero_img, *back;
    double t, c, sha, sha2, disk, best;
    struct store_du du;
    struct store *s;
    int rc;

    if (argc < 2) {
        fprintf(stderr, "usage: store_bench SCRATCH_DIR [MIB]\n");
        return 2;
    }
    snprintf(dir, sizeof(dir), "%s/bench-store", argv[1]);
    rnd_img = malloc(pages * PAGE);
    mix_img = malloc(pages * PAGE);
    zero_img = calloc(pages, PAGE);
    back = malloc(pages * PAGE);
    if (!rnd_img || !mix_img || !zero_img || !back)
        return fail(NULL, "memory", -ENOMEM);
    fill_random(rnd_img, pages * PAGE);
    fill_mixed(mix_img, pages);
    /* Real zero pages, as a guest has: untouched ones would all be one
     * shared page, always in cache. */
    for (i = 0; i < pages; i++)
        ((volatile uint8_t *)zero_img)[i * PAGE] = 0;
    memset(back, 1, pages * PAGE);

    sha = sha_speed(rnd_img, pages, 1.0);
    printf("sha256 (EVP, 4 KiB, one core): %.1f MB/s\n", sha);
    sha2 = sha_speed_two(rnd_img, pages);
    printf("sha256 on two threads at once: %.1f MB/s = %.2fx one core (below ~1.9x: the machine "
           "is busy and figures below suffer)\n", sha2, sha2 / sha);
    printf("memcpy: %.1f MB/s\n", memcpy_speed(back, rnd_img, pages * PAGE));
    printf("zlib-1 deflate of mixed pages: %.1f MB/s\n", zlib_speed(mix_img, pages));
    disk = disk_speed(argv[1], rnd_img, pages * PAGE);
    printf("file write + fsync, %zu MiB, same file system: %.1f MB/s (a put cannot beat it for "
           "long)\n", mib, disk);

    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    if ((rc = store_open(dir, STORE_CREATE, &s, NULL, 0)))
        return fail(NULL, "open", rc);
    if ((rc = bench_incompressible(s, rnd_img, pages, mib)))
        return fail(s, "put random", rc);
    if ((rc = put_image(s, "mixed", mix_img, pages, &t, &c)))
        return fail(s, "put mixed", rc);
    printf("store put, mixed (1/4 zero, 1/3 text) %zu MiB: %.1f MB/s, %.2f CPU-s\n", mib,
           (double)pages * PAGE / MIB / t, c);
    if ((rc = bench_cheap(s, "zero", "all-zero", zero_img, pages, mib, sha)))
        return fail(s, "put zero", rc);
    if ((rc = bench_cheap(s, "random-again", "already stored", rnd_img, pages, mib, sha)))
        return fail(s, "put again", rc);

    for (i = 0, best = 0; i < 2; i++) {
        if ((rc = get_image(s, "random-again", back, pages, rnd_img, &t)))
            return fail(s, "get random", rc);
        if ((double)pages * PAGE / MIB / t > best)
            best = (double)pages * PAGE / MIB / t;
    }
    printf("store read_pages, incompressible: %.1f MB/s = %.2fx one-core sha256 (every page "
           "hash-checked, best of 2)\n", best, best / sha);
    if ((rc = get_image(s, "mixed", back, pages, mix_img, &t)))
        return fail(s, "get mixed", rc);
    printf("store read_pages, mixed: %.1f MB/s\n", (double)pages * PAGE / MIB / t);
    if ((rc = get_image(s, "zero", back, pages, zero_img, &t)))
        return fail(s, "get zero", rc);
    printf("store read_pages, all-zero: %.1f MB/s\n", (double)pages * PAGE / MIB / t);
    store_close(s);

    /* Ten clones of one template, each with 5 % of its pages changed. */
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    if ((rc = store_open(dir, STORE_CREATE, &s, NULL, 0)))
        return fail(NULL, "open", rc);
    pages = pages / 4;
    for (i = 0; i < 10; i++) {
        size_t k;
        memcpy(back, mix_img, pages * PAGE);
        for (k = 0; k < pages / 20; k++)
            fill_random(back + (rnd() % pages) * PAGE, PAGE);
        snprintf(name, sizeof(name), "clone%zu", i);
        if ((rc = put_image(s, name, back, pages, &t, &c)))
            return fail(s, "put clone", rc);
    }
    if ((rc = store_du(s, &du)))
        return fail(s, "du", rc);
    printf("dedup, 10 images of %zu MiB with 5 %% pages changed each: logical %.1f MiB, "
           "stored %.1f MiB, ratio %.2fx\n", mib / 4, du.logical_bytes / MIB,
           du.stored_bytes / MIB, (double)du.logical_bytes / (double)du.stored_bytes);
    store_close(s);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(rnd_img);
    free(mix_img);
    free(zero_img);
    free(back);
    return 0;
}
