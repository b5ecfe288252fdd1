/* Unit tests for hypervisor/common/timerq.c, against a sorted reference. */
#include <stdlib.h>
#include <string.h>

#include <tern/timerq.h>
#include <tern/errno.h>

#include "harness.h"

#define CAP 512

static struct timer *storage[CAP];
static struct timer timers[CAP + 8];
static struct timerq q;
static int fired[CAP + 8];

static void on_fire(void *data)
{
    fired[(struct timer *)data - timers]++;
}

static void setup(void)
{
    timerq_init(&q, storage, CAP, 3);
    memset(fired, 0, sizeof(fired));
    for (int i = 0; i < CAP + 8; i++)
        timer_init(&timers[i], on_fire, &timers[i]);
}

static void add_at(struct timer *t, s_time_t when)
{
    t->expires = when;
    CHECK_EQ(timerq_add(&q, t), 0);
}

/* Heap shape and back-pointers are consistent. */
static void check_heap(void)
{
    for (unsigned i = 0; i < q.nr; i++) {
        struct timer *t = q.heap[i];

        CHECK(t->active);
        CHECK_EQ(t->heap_pos, i);
        CHECK_EQ(t->cpu, 3);
        if (i > 0) {
            struct timer *p = q.heap[(i - 1) / 2];
            CHECK(p->expires < t->expires || (p->expires == t->expires && p->seq < t->seq));
        }
    }
}

static void test_empty_queue(void)
{
    setup();
    CHECK(timerq_first(&q) == NULL);
    CHECK(timerq_pop_expired(&q, INT64_MAX) == NULL);
    timerq_del(&q, &timers[0]); /* inactive: nothing happens */
    CHECK_EQ(timerq_count(&q), 0);
}

static void test_order_and_expiry(void)
{
    static const s_time_t when[] = { 50, 10, 40, 30, 20, 60, 5 };
    struct timer *t;

    setup();
    for (unsigned i = 0; i < 7; i++)
        add_at(&timers[i], when[i]);
    check_heap();
    CHECK(timerq_first(&q) == &timers[6]);
    CHECK(timerq_pop_expired(&q, 4) == NULL);
    s_time_t last = -1;
    int n = 0;
    while ((t = timerq_pop_expired(&q, 45)) != NULL) {
        CHECK(t->expires >= last && t->expires <= 45);
        CHECK(!t->active);
        last = t->expires;
        t->fn(t->data);
        n++;
    }
    CHECK_EQ(n, 5);
    CHECK_EQ(timerq_count(&q), 2);
    CHECK_EQ(fired[1] + fired[4] + fired[3] + fired[2] + fired[6], 5);
    CHECK_EQ(fired[0] + fired[5], 0);
    CHECK(timerq_first(&q) == &timers[0]);
}

static void test_ties_fire_in_insertion_order(void)
{
    setup();
    for (int i = 0; i < 100; i++)
        add_at(&timers[i], 1000); /* all equal */
    for (int i = 0; i < 100; i++)
        CHECK(timerq_pop_expired(&q, 1000) == &timers[i]);
    /* Re-adding counts as new: it goes behind equal timers. */
    add_at(&timers[0], 7);
    add_at(&timers[1], 7);
    add_at(&timers[0], 7);
    CHECK(timerq_pop_expired(&q, 7) == &timers[1]);
    CHECK(timerq_pop_expired(&q, 7) == &timers[0]);
}

static void test_readd_moves(void)
{
    setup();
    add_at(&timers[0], 100);
    add_at(&timers[1], 200);
    add_at(&timers[0], 300); /* active: moved, not duplicated */
    CHECK_EQ(timerq_count(&q), 2);
    CHECK(timerq_first(&q) == &timers[1]);
    add_at(&timers[1], 400);
    CHECK(timerq_first(&q) == &timers[0]);
    check_heap();
}

static void test_delete_anywhere(void)
{
    setup();
    for (int i = 0; i < 64; i++)
        add_at(&timers[i], (i * 37) % 64);
    for (int i = 0; i < 64; i += 3)
        timerq_del(&q, &timers[i]);
    check_heap();
    for (int i = 0; i < 64; i += 3)
        CHECK(!timers[i].active);
    s_time_t last = -1;
    struct timer *t;
    int n = 0;
    while ((t = timerq_pop_expired(&q, 1000)) != NULL) {
        CHECK((t - timers) % 3 != 0);
        CHECK(t->expires > last);
        last = t->expires;
        n++;
    }
    CHECK_EQ(n, 64 - 22);
}

static void test_capacity_and_foreign_timers(void)
{
    struct timerq other;
    struct timer *other_storage[4];

    setup();
    for (int i = 0; i < CAP; i++)
        add_at(&timers[i], i);
    timers[CAP].expires = 1;
    CHECK_EQ(timerq_add(&q, &timers[CAP]), -ENOSPC);
    CHECK(!timers[CAP].active);
    add_at(&timers[5], 99999); /* moving within a full queue is fine */
    timerq_init(&other, other_storage, 4, 9);
    CHECK_EQ(timerq_add(&other, &timers[0]), -EBUSY);
    EXPECT_BUG(timerq_del(&other, &timers[0]));
    CHECK_EQ(timerq_count(&q), CAP);
    check_heap();
}

/* A full queue moved to larger storage keeps its order and takes more. */
static void test_move_to_larger_storage(void)
{
    static struct timer *small[8], *large[16];
    struct timerq m;

    setup();
    timerq_init(&m, small, 8, 3);
    for (int i = 0; i < 8; i++) {
        timers[i].expires = 80 - i;
        CHECK_EQ(timerq_add(&m, &timers[i]), 0);
    }
    CHECK_EQ(timerq_add(&m, &timers[8]), -ENOSPC);
    CHECK(timerq_move(&m, large, 16) == small);
    for (int i = 8; i < 16; i++) {
        timers[i].expires = 80 - i;
        CHECK_EQ(timerq_add(&m, &timers[i]), 0);
    }
    CHECK_EQ(timerq_add(&m, &timers[16]), -ENOSPC);
    timerq_del(&m, &timers[3]);
    for (int i = 15; i >= 0; i--)
        if (i != 3)
            CHECK_EQ(timerq_pop_expired(&m, INT64_MAX) - timers, i);
    CHECK(timerq_first(&m) == NULL);
    CHECK_EQ(timerq_add(&m, &timers[0]), 0);
    EXPECT_BUG(timerq_move(&m, small, 0)); /* too small for what is queued */
}

struct ref { s_time_t expires; uint64_t seq; int id; };

static int ref_cmp(const void *a, const void *b)
{
    const struct ref *x = a, *y = b;

    if (x->expires != y->expires)
        return x->expires < y->expires ? -1 : 1;
    return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

/* Random add/move/delete/pop against a sorted array. */
static void test_random_against_reference(void)
{
    static struct ref ref[CAP];
    int nref = 0;

    setup();
    for (int step = 0; step < 100000; step++) {
        unsigned op = (unsigned)test_rand_below(10);
        int id = (int)test_rand_below(CAP);
        struct timer *t = &timers[id];

        if (op < 5) { /* add or move */
            int k;
            for (k = 0; k < nref && ref[k].id != id; k++)
                ;
            if (k < nref)
                ref[k] = ref[--nref];
            add_at(t, (s_time_t)test_rand_below(1000));
            ref[nref++] = (struct ref){ t->expires, t->seq, id };
        } else if (op < 7) { /* delete */
            timerq_del(&q, t);
            for (int k = 0; k < nref; k++)
                if (ref[k].id == id) {
                    ref[k] = ref[--nref];
                    break;
                }
        } else { /* pop everything up to a random time */
            s_time_t now = (s_time_t)test_rand_below(300);
            struct timer *p;

            qsort(ref, (size_t)nref, sizeof(ref[0]), ref_cmp);
            int k = 0;
            while ((p = timerq_pop_expired(&q, now)) != NULL) {
                CHECK(k < nref);
                CHECK_EQ(p - timers, ref[k].id);
                k++;
            }
            CHECK(k == nref || ref[k].expires > now);
            memmove(ref, ref + k, (size_t)(nref - k) * sizeof(ref[0]));
            nref -= k;
        }
        CHECK_EQ(timerq_count(&q), nref);
        if (step % 1000 == 0)
            check_heap();
    }
    qsort(ref, (size_t)nref, sizeof(ref[0]), ref_cmp);
    for (int k = 0; k < nref; k++)
        CHECK_EQ(timerq_pop_expired(&q, INT64_MAX) - timers, ref[k].id);
    CHECK(timerq_first(&q) == NULL);
}

static const struct test_case cases[] = {
    TEST(test_empty_queue),
    TEST(test_order_and_expiry),
    TEST(test_ties_fire_in_insertion_order),
    TEST(test_readd_moves),
    TEST(test_delete_anywhere),
    TEST(test_capacity_and_foreign_timers),
    TEST(test_move_to_larger_storage),
    TEST(test_random_against_reference),
};

TEST_MAIN(cases)
