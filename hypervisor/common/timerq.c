/* Per-CPU timer queue as a binary min-heap keyed by (expires, seq).
 * The sequence number makes equal expiry times fire in insertion order,
 * so behaviour never depends on heap layout. */
#include <tern/timerq.h>
#include <tern/bug.h>
#include <tern/errno.h>

static bool timer_before(const struct timer *a, const struct timer *b)
{
    if (a->expires != b->expires)
        return a->expires < b->expires;
    return a->seq < b->seq;
}

static void heap_set(struct timerq *q, unsigned pos, struct timer *t)
{
    q->heap[pos] = t;
    t->heap_pos = pos;
}

static void sift_up(struct timerq *q, unsigned pos)
{
    struct timer *t = q->heap[pos];

    while (pos > 0) {
        unsigned parent = (pos - 1) / 2;

        if (!timer_before(t, q->heap[parent]))
            break;
        heap_set(q, pos, q->heap[parent]);
        pos = parent;
    }
    heap_set(q, pos, t);
}

static void sift_down(struct timerq *q, unsigned pos)
{
    struct timer *t = q->heap[pos];

    for (;;) {
        unsigned child = 2 * pos + 1;

        if (child >= q->nr)
            break;
        if (child + 1 < q->nr && timer_before(q->heap[child + 1], q->heap[child]))
            child++;
        if (!timer_before(q->heap[child], t))
            break;
        heap_set(q, pos, q->heap[child]);
        pos = child;
    }
    heap_set(q, pos, t);
}

static bool queued_here(const struct timerq *q, const struct timer *t)
{
    return t->active && t->heap_pos < q->nr && q->heap[t->heap_pos] == t;
}

/* Takes an active timer of this queue out of the heap. */
static void heap_remove(struct timerq *q, struct timer *t)
{
    unsigned pos = t->heap_pos;
    struct timer *last = q->heap[--q->nr];

    t->active = false;
    if (last == t)
        return;
    heap_set(q, pos, last);
    /* The moved timer may belong above or below its new slot. */
    if (pos > 0 && timer_before(last, q->heap[(pos - 1) / 2]))
        sift_up(q, pos);
    else
        sift_down(q, pos);
}

void timerq_init(struct timerq *q, struct timer **storage, unsigned capacity,
                 unsigned cpu)
{
    q->heap = storage;
    q->nr = 0;
    q->capacity = capacity;
    q->cpu = cpu;
    q->next_seq = 0;
}

struct timer **timerq_move(struct timerq *q, struct timer **storage, unsigned capacity)
{
    struct timer **old = q->heap;

    BUG_ON(capacity < q->nr);
    for (unsigned i = 0; i < q->nr; i++)
        storage[i] = old[i]; /* same positions: the heap_pos back-pointers stay right */
    q->heap = storage;
    q->capacity = capacity;
    return old;
}

int timerq_add(struct timerq *q, struct timer *t)
{
    if (t->active) {
        if (!queued_here(q, t))
            return -EBUSY;
        heap_remove(q, t);
    } else if (q->nr == q->capacity) {
        return -ENOSPC;
    }
    t->seq = q->next_seq++;
    t->cpu = q->cpu;
    t->active = true;
    heap_set(q, q->nr++, t);
    sift_up(q, t->heap_pos);
    return 0;
}

void timerq_del(struct timerq *q, struct timer *t)
{
    if (!t->active)
        return;
    BUG_ON(!queued_here(q, t));
    heap_remove(q, t);
}

struct timer *timerq_first(const struct timerq *q)
{
    return q->nr ? q->heap[0] : NULL;
}

struct timer *timerq_pop_expired(struct timerq *q, s_time_t now)
{
    struct timer *t = timerq_first(q);

    if (!t || t->expires > now)
        return NULL;
    heap_remove(q, t);
    return t;
}
