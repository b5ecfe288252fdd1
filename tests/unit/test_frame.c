/* Unit tests for hypervisor/common/frame.c: reference and type counting. */
#include <pthread.h>
#include <string.h>

#include <tern/page.h>
#include <tern/buddy.h>
#include <tern/errno.h>

#include "harness.h"

#define NR 256
#define DOM 7

static struct page_info table[NR];
static struct buddy heap;
static int validations, invalidations, frees, validate_rc, retypes;
static uint64_t last_validated, last_invalidated;

static int hook_validate(struct page_info *pg, uint64_t type)
{
    (void)pg;
    __atomic_fetch_add(&validations, 1, __ATOMIC_SEQ_CST);
    last_validated = type;
    return validate_rc;
}

static void hook_invalidate(struct page_info *pg, uint64_t type)
{
    (void)pg;
    __atomic_fetch_add(&invalidations, 1, __ATOMIC_SEQ_CST);
    last_invalidated = type;
}

static void hook_free(struct page_info *pg)
{
    frees++;
    buddy_free(&heap, page_to_mfn(pg), 0);
}

static void hook_retyped(struct page_info *pg)
{
    (void)pg;
    __atomic_fetch_add(&retypes, 1, __ATOMIC_SEQ_CST);
}

static const struct frame_hooks hooks = { hook_validate, hook_invalidate, hook_free, hook_retyped };

static void setup(void)
{
    frame_table_init(table, NR);
    buddy_init(&heap, table, NR);
    buddy_add_range(&heap, 16, NR - 16);
    frame_set_hooks(&hooks);
    validations = invalidations = frees = validate_rc = retypes = 0;
    last_validated = last_invalidated = ~0ULL;
}

/* A page from the allocator, given to DOM (count 1 = allocation ref). */
static struct page_info *new_page(void)
{
    int64_t m = buddy_alloc(&heap, 0);
    struct page_info *pg;

    CHECK(m >= 0);
    pg = mfn_to_page((mfn_t)m);
    CHECK(pg != NULL);
    CHECK_EQ(frame_assign(pg, DOM), 0);
    return pg;
}

static void test_table_lookup(void)
{
    setup();
    CHECK(mfn_valid(0) && mfn_valid(NR - 1) && !mfn_valid(NR));
    CHECK(mfn_to_page(NR) == NULL);
    CHECK(mfn_to_page(~0ULL) == NULL);
    for (mfn_t m = 0; m < NR; m += 17)
        CHECK_EQ(page_to_mfn(mfn_to_page(m)), m);
    CHECK(table[3].count_info & PGC_reserved);
    CHECK_EQ(table[3].owner, DOMID_INVALID);
}

static void test_assign_rules(void)
{
    struct page_info *pg;

    setup();
    CHECK_EQ(frame_assign(&table[3], DOM), -EINVAL);    /* reserved */
    CHECK_EQ(frame_assign(&table[100], DOM), -EBUSY);   /* free in the buddy */
    pg = new_page();
    CHECK_EQ(pg->owner, DOM);
    CHECK(pg->count_info & PGC_allocated);
    CHECK_EQ(page_get_count(pg), 1);
    CHECK_EQ(frame_assign(pg, DOM + 1), -EBUSY);        /* already owned */
    CHECK_EQ(pg->owner, DOM);
}

static void test_get_put_refcounts(void)
{
    struct page_info *pg;

    setup();
    pg = new_page();
    for (int i = 0; i < 10; i++)
        CHECK(get_page(pg, DOM));
    CHECK_EQ(page_get_count(pg), 11);
    for (int i = 0; i < 10; i++)
        put_page(pg);
    CHECK_EQ(page_get_count(pg), 1);
    CHECK_EQ(frees, 0);
}

static void test_ownership_check(void)
{
    struct page_info *pg;

    setup();
    pg = new_page();
    CHECK(!get_page(pg, DOM + 1));
    CHECK(!get_page(pg, DOMID_XEN));
    CHECK_EQ(page_get_count(pg), 1); /* the failed attempts left nothing */
    CHECK(!get_page(&table[3], DOMID_INVALID)); /* not in use */
    CHECK(!get_page(&table[200], DOMID_INVALID)); /* free in the allocator */
}

static void test_count_overflow_refused(void)
{
    struct page_info *pg;

    setup();
    pg = new_page();
    pg->count_info = PGC_allocated | (PGC_count_mask - 2);
    CHECK(get_page(pg, DOM));
    CHECK(!get_page(pg, DOM));
    CHECK(!get_page(pg, DOM));
    CHECK_EQ(page_get_count(pg), PGC_count_mask - 1);
    CHECK(pg->count_info & PGC_allocated); /* flags not disturbed */
    put_page(pg);
    CHECK(get_page(pg, DOM));
}

static void test_release_frees_on_last_put(void)
{
    struct page_info *pg;
    mfn_t m;
    uint64_t free_before;

    setup();
    pg = new_page();
    m = page_to_mfn(pg);
    free_before = buddy_free_pages(&heap);
    CHECK(get_page(pg, DOM));
    CHECK(frame_release(pg));
    CHECK(!frame_release(pg));
    CHECK_EQ(frees, 0); /* a mapping still holds it */
    CHECK_EQ(page_get_count(pg), 1);
    CHECK(!(pg->count_info & PGC_allocated));
    put_page(pg);
    CHECK_EQ(frees, 1);
    CHECK_EQ(buddy_free_pages(&heap), free_before + 1);
    CHECK(table[m].count_info & PGC_free);
    CHECK(!get_page(pg, DOM)); /* gone */
}

static void test_put_underflow_is_bug(void)
{
    struct page_info *pg;

    setup();
    pg = new_page();
    CHECK(frame_release(pg));
    CHECK_EQ(frees, 1);
    EXPECT_BUG(put_page(&table[5]));
    pg = new_page();
    EXPECT_BUG(put_page_type(pg));
}

static void test_type_same_and_busy(void)
{
    struct page_info *pg;

    setup();
    pg = new_page();
    CHECK_EQ(get_page_type(pg, PGT_writable_page), 0);
    CHECK_EQ(validations, 1);
    CHECK_EQ(last_validated, PGT_writable_page);
    CHECK_EQ(get_page_type(pg, PGT_writable_page), 0);
    CHECK_EQ(validations, 1);
    CHECK_EQ(page_get_type_count(pg), 2);
    CHECK_EQ(get_page_type(pg, PGT_l1_page_table), -EBUSY);
    CHECK_EQ(page_get_type(pg), PGT_writable_page);
    put_page_type(pg);
    put_page_type(pg);
    CHECK_EQ(page_get_type_count(pg), 0);
    CHECK_EQ(invalidations, 0);
    /* Writable stays validated at count 0: no second validation. */
    CHECK_EQ(get_page_type(pg, PGT_writable_page), 0);
    CHECK_EQ(validations, 1);
    put_page_type(pg);
    /* Count 0: a new type may be taken, and is validated. */
    CHECK_EQ(get_page_type(pg, PGT_l1_page_table), 0);
    CHECK_EQ(validations, 2);
    CHECK_EQ(last_validated, PGT_l1_page_table);
    CHECK_EQ(get_page_type(pg, PGT_writable_page), -EBUSY);
}

static void test_validate_failure_leaves_untyped(void)
{
    struct page_info *pg;

    setup();
    pg = new_page();
    validate_rc = -EINVAL;
    CHECK_EQ(get_page_type(pg, PGT_l2_page_table), -EINVAL);
    CHECK_EQ(page_get_type(pg), PGT_none);
    CHECK_EQ(page_get_type_count(pg), 0);
    CHECK(!(pg->type_info & PGT_validated));
    CHECK_EQ(get_page_and_type(pg, DOM, PGT_l2_page_table), -EINVAL);
    CHECK_EQ(page_get_count(pg), 1); /* general ref given back */
    validate_rc = 0;
    CHECK_EQ(get_page_and_type(pg, DOM, PGT_l2_page_table), 0);
    CHECK_EQ(page_get_count(pg), 2);
    CHECK_EQ(page_get_type_count(pg), 1);
    CHECK(pg->type_info & PGT_validated);
    CHECK_EQ(get_page_and_type(pg, DOM + 1, PGT_l2_page_table), -EACCES);
    put_page_and_type(pg);
    CHECK_EQ(page_get_count(pg), 1);
}

static void test_invalidate_on_last_put(void)
{
    struct page_info *pg;

    setup();
    pg = new_page();
    for (int i = 0; i < 3; i++)
        CHECK_EQ(get_page_type(pg, PGT_l4_page_table), 0);
    pg->type_info |= PGT_pinned;
    put_page_type(pg);
    put_page_type(pg);
    CHECK_EQ(invalidations, 0);
    put_page_type(pg);
    CHECK_EQ(invalidations, 1);
    CHECK_EQ(last_invalidated, PGT_l4_page_table);
    CHECK_EQ(page_get_type_count(pg), 0);
    CHECK(!(pg->type_info & (PGT_validated | PGT_pinned)));
    /* Same type again must be validated afresh. */
    CHECK_EQ(get_page_type(pg, PGT_l4_page_table), 0);
    CHECK_EQ(validations, 2);
    put_page_type(pg);
    CHECK_EQ(invalidations, 2);
}

/* A former page table that becomes anything but a table is announced (so that no CPU
 * walks it as one any more); other type changes are not. */
static void test_former_table_retyped(void)
{
    struct page_info *pg;

    setup();
    pg = new_page();
    CHECK_EQ(get_page_type(pg, PGT_writable_page), 0);
    put_page_type(pg);
    CHECK_EQ(get_page_type(pg, PGT_l1_page_table), 0);  /* writable -> table: validation's job */
    CHECK_EQ(retypes, 0);
    CHECK_EQ(get_page_type(pg, PGT_l1_page_table), 0);  /* same type: nothing */
    put_page_type(pg);
    put_page_type(pg);
    CHECK_EQ(get_page_type(pg, PGT_l2_page_table), 0);  /* table -> table: validation's job */
    CHECK_EQ(retypes, 0);
    put_page_type(pg);
    CHECK_EQ(get_page_type(pg, PGT_writable_page), 0);  /* table -> writable */
    CHECK_EQ(retypes, 1);
    put_page_type(pg);
    CHECK_EQ(get_page_type(pg, PGT_l4_page_table), 0);
    put_page_type(pg);
    CHECK_EQ(get_page_type(pg, PGT_seg_desc_page), 0);   /* table -> descriptors */
    CHECK_EQ(retypes, 2);
    put_page_type(pg);
    CHECK_EQ(get_page_type(pg, PGT_writable_page), 0);   /* descriptors -> writable */
    CHECK_EQ(retypes, 2);
    put_page_type(pg);
    CHECK(frame_release(pg));
}

static void test_type_count_overflow(void)
{
    struct page_info *pg;

    setup();
    pg = new_page();
    CHECK_EQ(get_page_type(pg, PGT_writable_page), 0);
    pg->type_info = PGT_writable_page | PGT_validated | (PGT_count_mask - 2);
    CHECK_EQ(get_page_type(pg, PGT_writable_page), 0);
    CHECK_EQ(get_page_type(pg, PGT_writable_page), -EOVERFLOW);
    CHECK_EQ(page_get_type_count(pg), PGT_count_mask - 1);
    CHECK_EQ(page_get_type(pg), PGT_writable_page);
}

/* ---- concurrency ---- */

#define THREADS 4
#define ROUNDS 200000

static struct page_info *shared_pg;
static pthread_barrier_t start_line;
static int thread_errors;
static int pt_validated; /* 1 while the page is a validated l1 table */

static int race_validate(struct page_info *pg, uint64_t type)
{
    (void)pg;
    if (type == PGT_l1_page_table) {
        int expect = 0;
        if (!__atomic_compare_exchange_n(&pt_validated, &expect, 1, false,
                                         __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            __atomic_fetch_add(&thread_errors, 1, __ATOMIC_SEQ_CST);
    }
    __atomic_fetch_add(&validations, 1, __ATOMIC_SEQ_CST);
    return 0;
}

static void race_invalidate(struct page_info *pg, uint64_t type)
{
    int expect = 1;

    (void)pg;
    if (type != PGT_l1_page_table ||
        !__atomic_compare_exchange_n(&pt_validated, &expect, 0, false,
                                     __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        __atomic_fetch_add(&thread_errors, 1, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&invalidations, 1, __ATOMIC_SEQ_CST);
}

static void *refcount_worker(void *arg)
{
    long id = (long)arg;

    pthread_barrier_wait(&start_line);
    for (int i = 0; i < ROUNDS; i++) {
        if (!get_page(shared_pg, DOM))
            __atomic_fetch_add(&thread_errors, 1, __ATOMIC_SEQ_CST);
        /* Keep (id + 1) references at the end, drop the others. */
        if (i >= id + 1)
            put_page(shared_pg);
    }
    return NULL;
}

static void run_threads(void *(*fn)(void *))
{
    pthread_t t[THREADS];

    pthread_barrier_init(&start_line, NULL, THREADS);
    for (long i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, fn, (void *)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start_line);
}

static void test_concurrent_get_put(void)
{
    setup();
    thread_errors = 0;
    shared_pg = new_page();
    run_threads(refcount_worker);
    CHECK_EQ(thread_errors, 0);
    CHECK_EQ(page_get_count(shared_pg), 1 + 1 + 2 + 3 + 4);
    CHECK(shared_pg->count_info & PGC_allocated);
    CHECK_EQ(frees, 0);
}

/* Threads fight over the type: half want an l1 table, half writable. */
static void *type_worker(void *arg)
{
    uint64_t want = ((long)arg & 1) ? PGT_l1_page_table : PGT_writable_page;

    pthread_barrier_wait(&start_line);
    for (int i = 0; i < ROUNDS / 2; i++) {
        int rc = get_page_and_type(shared_pg, DOM, want);

        if (rc == -EBUSY)
            continue;
        if (rc != 0 || page_get_type(shared_pg) != want ||
            !(shared_pg->type_info & PGT_validated))
            __atomic_fetch_add(&thread_errors, 1, __ATOMIC_SEQ_CST);
        put_page_and_type(shared_pg);
    }
    return NULL;
}

static void test_concurrent_type_changes(void)
{
    const struct frame_hooks race_hooks = { race_validate, race_invalidate, hook_free, NULL };

    setup();
    frame_set_hooks(&race_hooks);
    thread_errors = pt_validated = 0;
    shared_pg = new_page();
    run_threads(type_worker);
    CHECK_EQ(thread_errors, 0);
    CHECK_EQ(page_get_count(shared_pg), 1);
    CHECK_EQ(page_get_type_count(shared_pg), 0);
    CHECK_EQ(pt_validated, 0); /* every l1 validation was undone */
    CHECK(validations >= invalidations);
}

static const struct test_case cases[] = {
    TEST(test_table_lookup),
    TEST(test_assign_rules),
    TEST(test_get_put_refcounts),
    TEST(test_ownership_check),
    TEST(test_count_overflow_refused),
    TEST(test_release_frees_on_last_put),
    TEST(test_put_underflow_is_bug),
    TEST(test_type_same_and_busy),
    TEST(test_validate_failure_leaves_untyped),
    TEST(test_invalidate_on_last_put),
    TEST(test_former_table_retyped),
    TEST(test_type_count_overflow),
    TEST(test_concurrent_get_put),
    TEST(test_concurrent_type_changes),
};

TEST_MAIN(cases)
