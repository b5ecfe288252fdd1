/* Small-object heap: per-size-class slabs of one page, whole pages beyond.
 *
 * Every allocation finds its metadata in the page holding the byte just
 * before it: a slab header at the start of a slab page (objects start 64
 * bytes in), or a big-allocation header at the start of the page preceding
 * the returned pointer. Class sizes divide the 4032 bytes after a slab header
 * exactly, so slabs waste nothing but the header. Each slab keeps a bitmap of
 * live objects, which makes double and stray frees cheap to detect. */
#include <tern/xmalloc.h>
#include <tern/list.h>
#include <tern/bug.h>
#include <tern/string.h>
#include <tern/buddy.h>

#define SLAB_MAGIC 0x534c4142U /* "SLAB" */
#define BIG_MAGIC 0x42494721U  /* "BIG!" */
#define SLAB_HDR 64
#define SLAB_SPACE (PAGE_SIZE - SLAB_HDR)
#define MAX_BIG_ORDER BUDDY_MAX_ORDER

static const uint16_t class_size[] = {
    16, 32, 48, 64, 96, 144, 192, 288, 448, 672, 1008, 1344, 2016,
};
#define NR_CLASSES ARRAY_SIZE(class_size)

struct slab {
    uint32_t magic;
    uint16_t cls;
    uint16_t inuse;
    struct list_head link; /* on the class's partial list while not full */
    uint64_t used[4];      /* one bit per object; 252 objects at most */
};
_Static_assert(sizeof(struct slab) <= SLAB_HDR, "slab header fits");
_Static_assert(SLAB_SPACE / 16 <= 4 * 64, "bitmap covers the smallest class");

struct big_hdr {
    uint32_t magic;
    uint32_t order;
    void *base;   /* what page_alloc returned */
    void *ptr;    /* what the caller got */
    size_t usable;
};

static struct {
    struct xmalloc_ops ops;
    struct list_head partial[NR_CLASSES];
    struct xmalloc_stats st;
} heap;

_Static_assert(XMALLOC_MAX_SMALL == 2016, "largest class");

static void heap_lock(void)
{
    if (heap.ops.lock)
        heap.ops.lock(heap.ops.lock_arg);
}

static void heap_unlock(void)
{
    if (heap.ops.unlock)
        heap.ops.unlock(heap.ops.lock_arg);
}

void xmalloc_init(const struct xmalloc_ops *ops)
{
    heap.ops = *ops;
    for (unsigned i = 0; i < NR_CLASSES; i++)
        list_init(&heap.partial[i]);
    memset(&heap.st, 0, sizeof(heap.st));
}

/* Smallest class that fits size with objects aligned to align (<= 64). */
static int pick_class(size_t size, size_t align)
{
    for (unsigned i = 0; i < NR_CLASSES; i++)
        if (class_size[i] >= size && class_size[i] % align == 0)
            return (int)i;
    return -1;
}

static struct slab *slab_new(unsigned cls)
{
    struct slab *s = heap.ops.page_alloc(0);

    if (!s)
        return NULL;
    s->magic = SLAB_MAGIC;
    s->cls = (uint16_t)cls;
    s->inuse = 0;
    memset(s->used, 0, sizeof(s->used));
    list_add(&s->link, &heap.partial[cls]);
    heap.st.pages++;
    heap.st.slab_pages++;
    return s;
}

static void *slab_alloc(unsigned cls)
{
    struct slab *s;
    unsigned nobj = SLAB_SPACE / class_size[cls];

    if (list_empty(&heap.partial[cls]) && !slab_new(cls))
        return NULL;
    s = list_first_entry(&heap.partial[cls], struct slab, link);
    for (unsigned w = 0; w < 4; w++) {
        unsigned idx;

        if (s->used[w] == ~0ULL)
            continue;
        idx = w * 64 + (unsigned)__builtin_ctzll(~s->used[w]);
        BUG_ON(idx >= nobj); /* a partial slab has a free slot below nobj */
        s->used[w] |= 1ULL << (idx % 64);
        if (++s->inuse == nobj)
            list_del(&s->link);
        heap.st.objects++;
        return (char *)s + SLAB_HDR + (size_t)idx * class_size[cls];
    }
    BUG();
}

static void slab_free(struct slab *s, void *p)
{
    size_t off = (size_t)((char *)p - (char *)s) - SLAB_HDR;
    unsigned size, nobj, idx;

    BUG_ON(s->cls >= NR_CLASSES);
    size = class_size[s->cls];
    nobj = SLAB_SPACE / size;
    idx = (unsigned)(off / size);
    BUG_ON(off % size != 0 || idx >= nobj);           /* not an object start */
    BUG_ON(!(s->used[idx / 64] & (1ULL << (idx % 64)))); /* double free */
    s->used[idx / 64] &= ~(1ULL << (idx % 64));
    if (s->inuse-- == nobj)
        list_add(&s->link, &heap.partial[s->cls]);
    heap.st.objects--;
    if (s->inuse == 0) {
        list_del(&s->link);
        s->magic = 0;
        heap.ops.page_free(s, 0);
        heap.st.pages--;
        heap.st.slab_pages--;
    }
}

static unsigned order_for_bytes(size_t bytes)
{
    unsigned order = 0;

    while ((PAGE_SIZE << order) < bytes)
        order++;
    return order;
}

static void *big_alloc(size_t size, size_t align)
{
    size_t need = size + SLAB_HDR + align;
    unsigned order;
    char *base, *p;
    struct big_hdr *h;

    if (need < size || need > (PAGE_SIZE << MAX_BIG_ORDER))
        return NULL;
    order = order_for_bytes(need);
    base = heap.ops.page_alloc(order);
    if (!base)
        return NULL;
    p = (char *)ALIGN_UP((uintptr_t)base + SLAB_HDR, align);
    h = (struct big_hdr *)ALIGN_DOWN((uintptr_t)p - 1, PAGE_SIZE);
    h->magic = BIG_MAGIC;
    h->order = order;
    h->base = base;
    h->ptr = p;
    h->usable = (size_t)(base + (PAGE_SIZE << order) - p);
    heap.st.pages += 1ULL << order;
    heap.st.big_allocs++;
    return p;
}

static void big_free(struct big_hdr *h)
{
    unsigned order = h->order;

    h->magic = 0;
    heap.ops.page_free(h->base, order);
    heap.st.pages -= 1ULL << order;
    heap.st.big_allocs--;
}

void *xmalloc_aligned(size_t size, size_t align)
{
    void *p = NULL;
    int cls = -1;

    if (align && !IS_POWER_OF_2(align))
        return NULL;
    if (align < XMALLOC_MIN_ALIGN)
        align = XMALLOC_MIN_ALIGN;
    if (size == 0)
        size = 1;
    heap_lock();
    if (size <= XMALLOC_MAX_SMALL && align <= SLAB_HDR)
        cls = pick_class(size, align);
    p = cls >= 0 ? slab_alloc((unsigned)cls) : big_alloc(size, align);
    if (p)
        heap.st.alloc_calls++;
    heap_unlock();
    return p;
}

void *xmalloc_bytes(size_t size)
{
    return xmalloc_aligned(size, XMALLOC_MIN_ALIGN);
}

void *xzalloc_aligned(size_t size, size_t align)
{
    void *p = xmalloc_aligned(size, align);

    if (p)
        memset(p, 0, size);
    return p;
}

void *xzalloc_bytes(size_t size)
{
    return xzalloc_aligned(size, XMALLOC_MIN_ALIGN);
}

void *xmalloc_array_bytes(size_t size, size_t n, size_t align)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    return xmalloc_aligned(size * n, align);
}

void *xzalloc_array_bytes(size_t size, size_t n, size_t align)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    return xzalloc_aligned(size * n, align);
}

/* The header page for p, checked; BUG_ON for pointers we never handed out. */
static void *header_of(const void *p)
{
    uint32_t magic;
    void *h = (void *)ALIGN_DOWN((uintptr_t)p - 1, PAGE_SIZE);

    BUG_ON(!IS_ALIGNED((uintptr_t)p, XMALLOC_MIN_ALIGN));
    magic = *(const uint32_t *)h;
    BUG_ON(magic != SLAB_MAGIC && magic != BIG_MAGIC);
    return h;
}

void xfree(void *p)
{
    void *h;

    if (!p)
        return;
    heap_lock();
    h = header_of(p);
    if (*(uint32_t *)h == SLAB_MAGIC)
        slab_free(h, p);
    else {
        BUG_ON(((struct big_hdr *)h)->ptr != p);
        big_free(h);
    }
    heap.st.free_calls++;
    heap_unlock();
}

size_t xmalloc_usable_size(const void *p)
{
    void *h;

    if (!p)
        return 0;
    h = header_of(p);
    if (*(uint32_t *)h == SLAB_MAGIC)
        return class_size[((struct slab *)h)->cls];
    return ((struct big_hdr *)h)->usable;
}

void xmalloc_get_stats(struct xmalloc_stats *st)
{
    heap_lock();
    *st = heap.st;
    heap_unlock();
}
