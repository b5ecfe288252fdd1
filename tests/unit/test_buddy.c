/* Unit tests for hypervisor/common/buddy.c. */
#include <stdlib.h>
#include <string.h>

#include <tern/buddy.h>
#include <tern/errno.h>

#include "harness.h"

#define NR 4096 /* frames in the test machine */

static struct page_info frames[NR];
static struct buddy b;

static void setup(void)
{
    buddy_init(&b, frames, NR);
}

/* Sum over the free lists must equal the page counter. */
static void check_counts(void)
{
    uint64_t sum = 0;

    for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++)
        sum += buddy_free_blocks(&b, o) << o;
    CHECK_EQ(sum, buddy_free_pages(&b));
}

static void test_init_empty(void)
{
    setup();
    CHECK_EQ(buddy_free_pages(&b), 0);
    CHECK_EQ(buddy_alloc(&b, 0), -ENOMEM);
    CHECK(frames[5].count_info & PGC_reserved);
}

/* A range with ragged ends splits into maximal aligned blocks. */
static void test_add_range_splits(void)
{
    setup();
    buddy_add_range(&b, 3, 29); /* 3..31: 1@3, 4@4, 8@8, 16@16 */
    CHECK_EQ(buddy_free_pages(&b), 29);
    CHECK_EQ(buddy_free_blocks(&b, 0), 1);
    CHECK_EQ(buddy_free_blocks(&b, 2), 1);
    CHECK_EQ(buddy_free_blocks(&b, 3), 1);
    CHECK_EQ(buddy_free_blocks(&b, 4), 1);
    CHECK(frames[2].count_info & PGC_reserved);
    CHECK(frames[3].count_info & PGC_free);
    CHECK(frames[31].count_info & PGC_free);
    check_counts();
    /* Adding the missing frames merges everything into one block of 32. */
    buddy_add_range(&b, 0, 3);
    CHECK_EQ(buddy_free_blocks(&b, 5), 1);
    CHECK_EQ(buddy_free_pages(&b), 32);
    check_counts();
}

static void test_ranges_with_holes(void)
{
    setup();
    buddy_add_range(&b, 1, 159);    /* low memory minus frame 0 */
    buddy_add_range(&b, 256, 1024); /* hole 160..255 */
    buddy_add_range(&b, 2048, 10000); /* clipped to the table */
    CHECK_EQ(buddy_free_pages(&b), 159 + 1024 + 2048);
    check_counts();
    /* Nothing handed out may touch a hole. */
    for (int64_t m; (m = buddy_alloc(&b, 0)) >= 0;) {
        CHECK(m != 0);
        CHECK(m < 160 || (m >= 256 && m < 1280) || m >= 2048);
    }
    CHECK_EQ(buddy_free_pages(&b), 0);
}

static void test_alloc_every_order(void)
{
    setup();
    buddy_add_range(&b, 0, NR);
    for (unsigned o = 0; o <= 11; o++) {
        int64_t m = buddy_alloc(&b, o);

        CHECK(m >= 0);
        CHECK_EQ(m & ((1 << o) - 1), 0);
        for (int64_t i = 0; i < (1 << o); i++)
            CHECK_EQ(frames[m + i].count_info, 0);
        check_counts();
    }
    /* 1+2+...+2048 = 4095 used; one frame left. */
    CHECK_EQ(buddy_free_pages(&b), 1);
    CHECK_EQ(buddy_alloc(&b, 1), -ENOMEM);
    CHECK_EQ(buddy_alloc(&b, BUDDY_MAX_ORDER + 1), -EINVAL);
}

static void test_max_order_blocks(void)
{
    static struct page_info big[(1 << BUDDY_MAX_ORDER) * 2 + 8];
    const mfn_t n = sizeof(big) / sizeof(big[0]);

    buddy_init(&b, big, n);
    buddy_add_range(&b, 0, n);
    CHECK_EQ(buddy_free_blocks(&b, BUDDY_MAX_ORDER), 2);
    CHECK_EQ(buddy_free_blocks(&b, 3), 1);
    CHECK_EQ(buddy_alloc(&b, BUDDY_MAX_ORDER), 0);
    CHECK_EQ(buddy_alloc(&b, BUDDY_MAX_ORDER), 1 << BUDDY_MAX_ORDER);
    CHECK_EQ(buddy_alloc(&b, BUDDY_MAX_ORDER), -ENOMEM);
    buddy_free(&b, 0, BUDDY_MAX_ORDER);
    buddy_free(&b, 1 << BUDDY_MAX_ORDER, BUDDY_MAX_ORDER);
    CHECK_EQ(buddy_free_blocks(&b, BUDDY_MAX_ORDER), 2); /* no merge past max */
    CHECK_EQ(buddy_free_pages(&b), n);
}

static void test_exhaustion_counts(void)
{
    uint64_t got = 0, free0;

    setup();
    buddy_add_range(&b, 7, 3000);
    free0 = buddy_free_pages(&b);
    for (unsigned o = 3;; ) {
        int64_t m = buddy_alloc(&b, o);
        if (m == -ENOMEM) {
            if (o == 0)
                break;
            o--;
            continue;
        }
        CHECK(m >= 0);
        got += 1ULL << o;
    }
    CHECK_EQ(got, free0);
    CHECK_EQ(buddy_free_pages(&b), 0);
    check_counts();
}

static void test_fragmentation_and_coalescing(void)
{
    static int64_t m[NR];

    setup();
    buddy_add_range(&b, 0, NR);
    for (int i = 0; i < NR; i++) {
        m[i] = buddy_alloc(&b, 0);
        CHECK(m[i] >= 0);
    }
    CHECK_EQ(buddy_alloc(&b, 0), -ENOMEM);
    for (int i = 0; i < NR; i++)
        if ((m[i] & 1) == 0)
            buddy_free(&b, (mfn_t)m[i], 0);
    CHECK_EQ(buddy_free_pages(&b), NR / 2);
    CHECK_EQ(buddy_free_blocks(&b, 0), NR / 2);
    CHECK_EQ(buddy_alloc(&b, 1), -ENOMEM);
    for (int i = 0; i < NR; i++)
        if (m[i] & 1)
            buddy_free(&b, (mfn_t)m[i], 0);
    CHECK_EQ(buddy_free_pages(&b), NR);
    CHECK_EQ(buddy_free_blocks(&b, 12), 1); /* 4096 = one order-12 block */
    for (unsigned o = 0; o < 12; o++)
        CHECK_EQ(buddy_free_blocks(&b, o), 0);
    check_counts();
}

static void test_alloc_below(void)
{
    int64_t m;

    setup();
    buddy_add_range(&b, 0, NR);
    /* The whole memory is one order-12 block starting at 0: split low. */
    m = buddy_alloc_below(&b, 0, 256);
    CHECK(m >= 0 && m < 256);
    m = buddy_alloc_below(&b, 4, 256);
    CHECK(m >= 0 && m + 16 <= 256);
    CHECK_EQ(buddy_alloc_below(&b, 9, 256), -ENOMEM);
    CHECK_EQ(buddy_alloc_below(&b, 0, 0), -ENOMEM);
    /* Exhaust everything below 256, then the next one fails. */
    uint64_t below = 0;
    while ((m = buddy_alloc_below(&b, 0, 256)) >= 0) {
        CHECK(m < 256);
        below++;
    }
    CHECK_EQ(below, 256 - 1 - 16);
    CHECK(buddy_alloc(&b, 0) >= 256);
    check_counts();
}

static void test_double_free_detected(void)
{
    int64_t m;

    setup();
    buddy_add_range(&b, 0, 64);
    m = buddy_alloc(&b, 2);
    CHECK(m >= 0);
    buddy_free(&b, (mfn_t)m, 2);
    EXPECT_BUG(buddy_free(&b, (mfn_t)m, 2));
    /* Any frame inside a free block is refused too. */
    EXPECT_BUG(buddy_free(&b, (mfn_t)m + 1, 0));
    CHECK_EQ(buddy_free_pages(&b), 64);
    check_counts();
}

static void test_bad_frees_detected(void)
{
    int64_t m;

    setup();
    buddy_add_range(&b, 16, 48);
    m = buddy_alloc(&b, 3);
    CHECK(m >= 0);
    EXPECT_BUG(buddy_free(&b, (mfn_t)m + 1, 3)); /* misaligned */
    EXPECT_BUG(buddy_free(&b, 2, 0));            /* reserved, never added */
    EXPECT_BUG(buddy_free(&b, NR, 0));           /* outside the table */
    EXPECT_BUG(buddy_free(&b, NR - 4, 3));       /* runs off the end */
    EXPECT_BUG(buddy_free(&b, 0, BUDDY_MAX_ORDER + 1));
    EXPECT_BUG(buddy_add_range(&b, 40, 4));      /* already free frames */
    buddy_free(&b, (mfn_t)m, 3);
    CHECK_EQ(buddy_free_pages(&b), 48);
}

struct live { int64_t mfn; unsigned order; };

/* Random alloc/free against a bitmap of owned frames. */
static void test_random_stress(void)
{
    static uint8_t owned[NR];
    static struct live live[NR];
    unsigned nlive = 0;
    uint64_t used = 0;

    setup();
    memset(owned, 0, sizeof(owned));
    buddy_add_range(&b, 1, 1500);
    buddy_add_range(&b, 2000, NR - 2000);
    const uint64_t total = buddy_free_pages(&b);

    for (int step = 0; step < 60000; step++) {
        if (nlive == 0 || test_rand_below(100) < 55) {
            unsigned o = (unsigned)test_rand_below(7);
            int64_t m = test_rand_below(4) ? buddy_alloc(&b, o)
                                           : buddy_alloc_below(&b, o, 1024);
            if (m < 0)
                continue;
            for (int64_t i = m; i < m + (1 << o); i++) {
                CHECK(!owned[i]);
                CHECK(i != 0 && (i < 1501 || i >= 2000));
                owned[i] = 1;
            }
            live[nlive++] = (struct live){ m, o };
            used += 1ULL << o;
        } else {
            unsigned k = (unsigned)test_rand_below(nlive);
            struct live l = live[k];

            live[k] = live[--nlive];
            for (int64_t i = l.mfn; i < l.mfn + (1 << l.order); i++)
                owned[i] = 0;
            buddy_free(&b, (mfn_t)l.mfn, l.order);
            used -= 1ULL << l.order;
        }
        CHECK_EQ(buddy_free_pages(&b), total - used);
    }
    while (nlive) {
        struct live l = live[--nlive];
        buddy_free(&b, (mfn_t)l.mfn, l.order);
    }
    CHECK_EQ(buddy_free_pages(&b), total);
    check_counts();
    /* Fully coalesced: exactly the blocks a fresh add would make. */
    struct page_info ref_frames[NR];
    struct buddy ref;
    buddy_init(&ref, ref_frames, NR);
    buddy_add_range(&ref, 1, 1500);
    buddy_add_range(&ref, 2000, NR - 2000);
    for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++)
        CHECK_EQ(buddy_free_blocks(&b, o), buddy_free_blocks(&ref, o));
}

static int lock_depth, lock_calls;
static void test_lock(void *arg) { CHECK(arg == &lock_depth); CHECK_EQ(lock_depth, 0); lock_depth++; lock_calls++; }
static void test_unlock(void *arg) { CHECK(arg == &lock_depth); CHECK_EQ(lock_depth, 1); lock_depth--; }

static void test_lock_hooks(void)
{
    setup();
    buddy_set_lock(&b, test_lock, test_unlock, &lock_depth);
    lock_calls = 0;
    buddy_add_range(&b, 0, 64);
    int64_t m = buddy_alloc(&b, 0);
    buddy_free(&b, (mfn_t)m, 0);
    CHECK(buddy_alloc_below(&b, 0, 8) >= 0);
    CHECK_EQ(lock_calls, 4);
    CHECK_EQ(lock_depth, 0);
}

/* The clean hook: frames marked in a test bitmap. */
static bool clean_map[NR];
static unsigned clean_calls;

static bool test_clean(void *arg, mfn_t mfn, mfn_t n)
{
    CHECK(arg == clean_map);
    clean_calls++;
    for (mfn_t i = 0; i < n; i++)
        if (!clean_map[mfn + i])
            return false;
    return true;
}

/* An order > 0 request takes a clean run from the middle of a block, the rest of the
 * block staying free around it; without one (or for order 0), as before. */
static void test_prefers_clean_frames(void)
{
    setup();
    memset(clean_map, 0, sizeof(clean_map));
    buddy_add_range(&b, 0, 256); /* one block of 256 */
    buddy_set_clean(&b, test_clean, clean_map);
    for (mfn_t i = 100; i < 112; i++)
        clean_map[i] = true; /* holds one aligned run of 8: 104..111 */
    CHECK_EQ(buddy_alloc(&b, 3), 104);
    CHECK_EQ(buddy_free_pages(&b), 248);
    check_counts();
    CHECK(frames[103].count_info & PGC_free);
    CHECK(frames[112].count_info & PGC_free);
    CHECK(!(frames[104].count_info & PGC_free));
    /* no clean run of 16 anywhere: the smallest block that fits (112..127, split off
     * above), as without the hook */
    CHECK_EQ(buddy_alloc(&b, 4), 112);
    /* order 0 never searches: the smallest block, 96..103 */
    clean_calls = 0;
    CHECK_EQ(buddy_alloc(&b, 0), 96);
    CHECK_EQ(clean_calls, 0);
    /* all back: one block of 256 again */
    buddy_free(&b, 104, 3);
    buddy_free(&b, 112, 4);
    buddy_free(&b, 96, 0);
    CHECK_EQ(buddy_free_blocks(&b, 8), 1);
    CHECK_EQ(buddy_free_pages(&b), 256);
    check_counts();
}

static const struct test_case cases[] = {
    TEST(test_init_empty),
    TEST(test_add_range_splits),
    TEST(test_ranges_with_holes),
    TEST(test_alloc_every_order),
    TEST(test_max_order_blocks),
    TEST(test_exhaustion_counts),
    TEST(test_fragmentation_and_coalescing),
    TEST(test_alloc_below),
    TEST(test_double_free_detected),
    TEST(test_bad_frees_detected),
    TEST(test_random_stress),
    TEST(test_lock_hooks),
    TEST(test_prefers_clean_frames),
};

TEST_MAIN(cases)
