/* Unit tests for hypervisor/common/xmalloc.c over a libc-backed page source. */
#include <stdlib.h>
#include <string.h>

#include <tern/xmalloc.h>

#include "harness.h"

static const size_t classes[] = { 16, 32, 48, 64, 96, 144, 192, 288, 448,
                                  672, 1008, 1344, 2016 };
#define NCLASSES (sizeof(classes) / sizeof(classes[0]))

static long pages_out;  /* pages handed to xmalloc and not returned */
static long fail_after; /* page allocations left before failing; <0 = never */

static void *pages_alloc(unsigned order)
{
    void *p;

    if (fail_after == 0)
        return NULL;
    if (fail_after > 0)
        fail_after--;
    p = aligned_alloc(PAGE_SIZE, PAGE_SIZE << order);
    if (p) {
        pages_out += 1L << order;
        memset(p, 0x5A, PAGE_SIZE << order); /* no help from zeroed memory */
    }
    return p;
}

static void pages_free(void *p, unsigned order)
{
    CHECK(((uintptr_t)p & (PAGE_SIZE - 1)) == 0);
    pages_out -= 1L << order;
    free(p);
}

static struct xmalloc_stats stats(void)
{
    struct xmalloc_stats st;

    xmalloc_get_stats(&st);
    return st;
}

static void setup(void)
{
    const struct xmalloc_ops ops = { pages_alloc, pages_free, NULL, NULL, NULL };

    pages_out = 0;
    fail_after = -1;
    xmalloc_init(&ops);
}

static void check_empty(void)
{
    struct xmalloc_stats st = stats();

    CHECK_EQ(st.pages, 0);
    CHECK_EQ(st.objects, 0);
    CHECK_EQ(st.big_allocs, 0);
    CHECK_EQ(pages_out, 0);
}

static void test_every_size_class(void)
{
    setup();
    for (size_t i = 0; i < NCLASSES; i++) {
        size_t lo = i ? classes[i - 1] + 1 : 1;
        void *a = xmalloc_bytes(lo), *b = xmalloc_bytes(classes[i]);

        CHECK(a && b && a != b);
        CHECK_EQ(xmalloc_usable_size(a), classes[i]);
        CHECK_EQ(xmalloc_usable_size(b), classes[i]);
        CHECK_EQ((uintptr_t)a % 16, 0);
        memset(a, 1, classes[i]); /* the whole usable size is ours */
        memset(b, 2, classes[i]);
        /* Both sizes share one slab page. */
        CHECK_EQ(stats().slab_pages, 1);
        xfree(a);
        xfree(b);
        check_empty();
    }
    void *z0 = xmalloc_bytes(0), *z1 = xmalloc_bytes(0);
    CHECK(z0 && z1 && z0 != z1); /* zero bytes still gives unique objects */
    xfree(z0);
    xfree(z1);
    check_empty();
}

/* A class fills exactly 4032/size objects per page. */
static void test_slab_capacity(void)
{
    static void *objs[300];

    setup();
    for (size_t i = 0; i < NCLASSES; i++) {
        size_t per_page = (PAGE_SIZE - 64) / classes[i];

        for (size_t k = 0; k < per_page; k++) {
            objs[k] = xmalloc_bytes(classes[i]);
            CHECK(objs[k] != NULL);
            CHECK_EQ(((uintptr_t)objs[k] & ~(PAGE_SIZE - 1)),
                     ((uintptr_t)objs[0] & ~(PAGE_SIZE - 1)));
        }
        CHECK_EQ(stats().pages, 1);
        objs[per_page] = xmalloc_bytes(classes[i]);
        CHECK_EQ(stats().pages, 2);
        CHECK_EQ(stats().objects, per_page + 1);
        for (size_t k = 0; k <= per_page; k++)
            xfree(objs[k]);
        check_empty();
    }
}

static void test_alignment(void)
{
    static void *p[64];
    int n = 0;

    setup();
    for (size_t align = 1; align <= 65536; align <<= 1)
        for (size_t size = 1; size <= 5000; size = size * 3 + 7) {
            void *q = xmalloc_aligned(size, align);

            CHECK(q != NULL);
            CHECK_EQ((uintptr_t)q % align, 0);
            CHECK_EQ((uintptr_t)q % 16, 0);
            CHECK(xmalloc_usable_size(q) >= size);
            memset(q, 0x77, size);
            if (n < 64)
                p[n++] = q;
            else
                xfree(q);
        }
    while (n)
        xfree(p[--n]);
    check_empty();
    CHECK(xmalloc_aligned(16, 24) == NULL);
    CHECK(xmalloc_aligned(16, 3) == NULL);
    check_empty();

    struct cacheline { char c[40]; } __attribute__((aligned(64)));
    struct cacheline *cl = xmalloc(struct cacheline);
    CHECK(cl && (uintptr_t)cl % 64 == 0);
    CHECK_EQ(stats().slab_pages, 1); /* 64-aligned objects still come from slabs */
    xfree(cl);
}

static void test_big_allocations(void)
{
    static const size_t sizes[] = { 2017, 4000, 4096, 8192, 100000, 1 << 20, (1 << 22) + 1 };

    setup();
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        unsigned char *p = xmalloc_bytes(sizes[i]);

        CHECK(p != NULL);
        CHECK(xmalloc_usable_size(p) >= sizes[i]);
        p[0] = 1;
        p[sizes[i] - 1] = 2;
        CHECK_EQ(stats().big_allocs, 1);
        CHECK_EQ(stats().slab_pages, 0);
        CHECK(stats().pages * PAGE_SIZE >= sizes[i]);
        CHECK(stats().pages * PAGE_SIZE < 2 * (sizes[i] + 4096));
        xfree(p);
        check_empty();
    }
    CHECK(xmalloc_bytes(SIZE_MAX) == NULL);
    CHECK(xmalloc_bytes(SIZE_MAX - 100) == NULL);
    CHECK(xmalloc_bytes((PAGE_SIZE << 18) + 1) == NULL);
    check_empty();
}

static void test_zero_and_arrays(void)
{
    unsigned char *p;

    setup();
    p = xmalloc_bytes(100);
    memset(p, 0xff, 100);
    xfree(p);
    p = xzalloc_bytes(100);
    for (int i = 0; i < 100; i++)
        CHECK_EQ(p[i], 0);
    xfree(p);
    p = xzalloc_bytes(10000);
    for (int i = 0; i < 10000; i++)
        CHECK_EQ(p[i], 0);
    xfree(p);

    uint64_t *arr = xmalloc_array(uint64_t, 300);
    CHECK(arr != NULL && xmalloc_usable_size(arr) >= 2400);
    xfree(arr);
    CHECK(xmalloc_array(uint64_t, SIZE_MAX / 4) == NULL);
    CHECK(xzalloc_array(uint32_t, SIZE_MAX / 2 + 1) == NULL);
    uint32_t *z = xzalloc_array(uint32_t, 7);
    for (int i = 0; i < 7; i++)
        CHECK_EQ(z[i], 0);
    xfree(z);
    xfree(NULL);
    check_empty();
}

static void test_page_source_failure(void)
{
    void *a, *b;

    setup();
    fail_after = 0;
    CHECK(xmalloc_bytes(32) == NULL);
    CHECK(xmalloc_bytes(50000) == NULL);
    check_empty();
    fail_after = 1;
    a = xmalloc_bytes(32);
    CHECK(a != NULL);
    b = xmalloc_bytes(32); /* same slab, no new page needed */
    CHECK(b != NULL);
    CHECK(xmalloc_bytes(64) == NULL);
    CHECK_EQ(stats().objects, 2);
    xfree(a);
    xfree(b);
    check_empty();
}

static void test_bad_frees_detected(void)
{
    char *a, *b, *big;
    static char not_heap[2 * PAGE_SIZE] __attribute__((aligned(4096)));

    setup();
    a = xmalloc_bytes(48);
    b = xmalloc_bytes(48);
    xfree(a);
    EXPECT_BUG(xfree(a));           /* double free (slab still alive via b) */
    EXPECT_BUG(xfree(b + 16));      /* inside an object */
    EXPECT_BUG(xfree(b + 1));       /* misaligned */
    EXPECT_BUG(xfree(not_heap + 64)); /* never ours */
    big = xmalloc_bytes(10000);
    EXPECT_BUG(xfree(big + 64));    /* inside a big allocation */
    CHECK_EQ(stats().objects, 1);
    xfree(b);
    xfree(big);
    check_empty();
}

struct shadow {
    unsigned char *p;
    unsigned char *copy;
    size_t size;
};

/* Random sizes and frees, every byte checked against a libc copy. */
static void test_stress_against_shadow(void)
{
    enum { SLOTS = 512 };
    static struct shadow s[SLOTS];

    setup();
    memset(s, 0, sizeof(s));
    for (int step = 0; step < 40000; step++) {
        struct shadow *e = &s[test_rand_below(SLOTS)];

        if (e->p) {
            CHECK(memcmp(e->p, e->copy, e->size) == 0);
            xfree(e->p);
            free(e->copy);
            e->p = NULL;
            continue;
        }
        e->size = test_rand_below(8) ? 1 + test_rand_below(2100)
                                      : 1 + test_rand_below(40000);
        e->p = test_rand_below(5) ? xmalloc_bytes(e->size)
                                  : xmalloc_aligned(e->size, 1u << test_rand_below(13));
        e->copy = malloc(e->size);
        CHECK(e->p && e->copy);
        for (size_t i = 0; i < e->size; i++)
            e->p[i] = e->copy[i] = (unsigned char)test_rand();
    }
    for (int i = 0; i < SLOTS; i++)
        if (s[i].p) {
            CHECK(memcmp(s[i].p, s[i].copy, s[i].size) == 0);
            xfree(s[i].p);
            free(s[i].copy);
        }
    CHECK_EQ(stats().alloc_calls, stats().free_calls);
    check_empty();
}

static const struct test_case cases[] = {
    TEST(test_every_size_class),
    TEST(test_slab_capacity),
    TEST(test_alignment),
    TEST(test_big_allocations),
    TEST(test_zero_and_arrays),
    TEST(test_page_source_failure),
    TEST(test_bad_frees_detected),
    TEST(test_stress_against_shadow),
};

TEST_MAIN(cases)
