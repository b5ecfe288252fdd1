/* Per-CPU timer queue: a binary min-heap of timers ordered by expiry, ties
 * broken by insertion order (hypervisor/common/timerq.c). Not locked: the
 * owner CPU (or its caller's lock) serialises access. */
#ifndef TERN_TIMERQ_H
#define TERN_TIMERQ_H

#include <tern/types.h>

struct timer {
    s_time_t expires;      /* absolute, ns */
    void (*fn)(void *data);
    void *data;
    unsigned heap_pos;     /* index in the heap while active */
    unsigned cpu;          /* queue's cpu, set by timerq_add */
    bool active;           /* in a queue */
    uint64_t seq;          /* insertion order, for ties */
};

struct timerq {
    struct timer **heap;
    unsigned nr;
    unsigned capacity;
    unsigned cpu;
    uint64_t next_seq;
};

static inline void timer_init(struct timer *t, void (*fn)(void *), void *data)
{
    t->expires = 0;
    t->fn = fn;
    t->data = data;
    t->heap_pos = 0;
    t->cpu = 0;
    t->active = false;
    t->seq = 0;
}

/* storage holds capacity pointers and belongs to the queue from now on. */
void timerq_init(struct timerq *q, struct timer **storage, unsigned capacity,
                 unsigned cpu);
/* Moves the queue to storage of capacity (at least timerq_count) and returns the old
 * storage, which the caller frees. Order and insertion sequence are kept. */
struct timer **timerq_move(struct timerq *q, struct timer **storage, unsigned capacity);
/* Inserts t at t->expires; an active timer of this queue is moved instead.
 * -ENOSPC when full, -EBUSY if t is active in another queue. */
int timerq_add(struct timerq *q, struct timer *t);
/* No-op for an inactive timer; BUG_ON if t is active elsewhere. */
void timerq_del(struct timerq *q, struct timer *t);
/* Earliest timer, or NULL; stays queued. */
struct timer *timerq_first(const struct timerq *q);
/* Removes and returns the earliest timer with expires <= now, else NULL.
 * The caller runs t->fn(t->data) (the timer may re-add itself). */
struct timer *timerq_pop_expired(struct timerq *q, s_time_t now);
static inline unsigned timerq_count(const struct timerq *q) { return q->nr; }

#endif /* TERN_TIMERQ_H */
