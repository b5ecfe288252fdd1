/* Intrusive circular doubly-linked list. */
#ifndef TERN_LIST_H
#define TERN_LIST_H

#include <tern/types.h>

struct list_head {
    struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }
#define LIST_HEAD(name) struct list_head name = LIST_HEAD_INIT(name)

static inline void list_init(struct list_head *h)
{
    h->next = h;
    h->prev = h;
}

static inline void list_insert_between(struct list_head *n,
                                       struct list_head *prev,
                                       struct list_head *next)
{
    n->next = next;
    n->prev = prev;
    prev->next = n;
    next->prev = n;
}

/* Insert right after the head (stack order). */
static inline void list_add(struct list_head *n, struct list_head *h)
{
    list_insert_between(n, h, h->next);
}

/* Insert right before the head (queue order). */
static inline void list_add_tail(struct list_head *n, struct list_head *h)
{
    list_insert_between(n, h->prev, h);
}

/* Unlinks and leaves the entry self-linked, so a second list_del is harmless. */
static inline void list_del(struct list_head *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    list_init(n);
}

static inline bool list_empty(const struct list_head *h)
{
    return h->next == h;
}

#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(h, type, member) list_entry((h)->next, type, member)
#define list_last_entry(h, type, member) list_entry((h)->prev, type, member)

#define list_for_each(pos, h) for ((pos) = (h)->next; (pos) != (h); (pos) = (pos)->next)

#define list_for_each_entry(pos, h, member)                                    \
    for ((pos) = list_entry((h)->next, __typeof__(*(pos)), member);            \
         &(pos)->member != (h);                                                \
         (pos) = list_entry((pos)->member.next, __typeof__(*(pos)), member))

/* Safe against removal of pos inside the loop body. */
#define list_for_each_entry_safe(pos, tmp, h, member)                          \
    for ((pos) = list_entry((h)->next, __typeof__(*(pos)), member),            \
        (tmp) = list_entry((pos)->member.next, __typeof__(*(pos)), member);    \
         &(pos)->member != (h);                                                \
         (pos) = (tmp),                                                        \
        (tmp) = list_entry((tmp)->member.next, __typeof__(*(pos)), member))

#endif /* TERN_LIST_H */
