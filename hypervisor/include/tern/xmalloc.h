/* Small-object heap for hypervisor structures (hypervisor/common/xmalloc.c).
 *
 * Requests up to XMALLOC_MAX_SMALL bytes come from per-size-class slabs, one
 * page each; larger or over-aligned requests get whole pages. Pages come from
 * the hooks given to xmalloc_init; empty slabs go straight back. Every result
 * is at least 16-byte aligned. Double and invalid frees hit BUG_ON. */
#ifndef TERN_XMALLOC_H
#define TERN_XMALLOC_H

#include <tern/types.h>

#define XMALLOC_MIN_ALIGN 16
#define XMALLOC_MAX_SMALL 2016

struct xmalloc_ops {
    /* 2^order contiguous, page-aligned pages, or NULL. */
    void *(*page_alloc)(unsigned order);
    void (*page_free)(void *va, unsigned order);
    /* Optional lock hooks (NULL on the host). */
    void (*lock)(void *arg);
    void (*unlock)(void *arg);
    void *lock_arg;
};

struct xmalloc_stats {
    uint64_t pages;        /* pages currently held from the page allocator */
    uint64_t slab_pages;   /* ... of which slab pages */
    uint64_t objects;      /* live small objects */
    uint64_t big_allocs;   /* live page-backed allocations */
    uint64_t alloc_calls;  /* successful allocations since init */
    uint64_t free_calls;
};

/* (Re)starts the heap with no pages. Anything still allocated is forgotten. */
void xmalloc_init(const struct xmalloc_ops *ops);

void *xmalloc_bytes(size_t size);
void *xzalloc_bytes(size_t size);
/* align: 0 or a power of two (below 16 means 16); anything else gives NULL. */
void *xmalloc_aligned(size_t size, size_t align);
void *xzalloc_aligned(size_t size, size_t align);
/* n * size bytes, NULL if that overflows. */
void *xmalloc_array_bytes(size_t size, size_t n, size_t align);
void *xzalloc_array_bytes(size_t size, size_t n, size_t align);
/* NULL is ignored. */
void xfree(void *p);

/* Usable size of an allocation (>= the size asked for). */
size_t xmalloc_usable_size(const void *p);
void xmalloc_get_stats(struct xmalloc_stats *st);

#define xmalloc(type) ((type *)xmalloc_aligned(sizeof(type), __alignof__(type)))
#define xzalloc(type) ((type *)xzalloc_aligned(sizeof(type), __alignof__(type)))
#define xmalloc_array(type, n)                                                 \
    ((type *)xmalloc_array_bytes(sizeof(type), (n), __alignof__(type)))
#define xzalloc_array(type, n)                                                 \
    ((type *)xzalloc_array_bytes(sizeof(type), (n), __alignof__(type)))

#endif /* TERN_XMALLOC_H */
