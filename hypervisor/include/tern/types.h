/* Basic types and helper macros shared by all hypervisor code. */
#ifndef TERN_TYPES_H
#define TERN_TYPES_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

typedef uint64_t paddr_t;
typedef uint64_t mfn_t;
typedef int64_t s_time_t; /* nanoseconds */

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Type-checked min/max that evaluate their arguments once. */
#define min(a, b)                                                              \
    ({                                                                         \
        __typeof__(a) _min_a = (a);                                            \
        __typeof__(b) _min_b = (b);                                            \
        (void)(&_min_a == &_min_b);                                            \
        _min_a < _min_b ? _min_a : _min_b;                                     \
    })
#define max(a, b)                                                              \
    ({                                                                         \
        __typeof__(a) _max_a = (a);                                            \
        __typeof__(b) _max_b = (b);                                            \
        (void)(&_max_a == &_max_b);                                            \
        _max_a > _max_b ? _max_a : _max_b;                                     \
    })
#define min_t(t, a, b) min((t)(a), (t)(b))
#define max_t(t, a, b) max((t)(a), (t)(b))

#define __packed __attribute__((packed))
#define __aligned(x) __attribute__((aligned(x)))
#define __used __attribute__((used))
#define __unused __attribute__((unused))
#define __section(s) __attribute__((section(s)))
#define __noreturn __attribute__((noreturn))
#define __printf(f, a) __attribute__((format(printf, f, a)))

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define container_of(ptr, type, member)                                        \
    ((type *)((char *)(ptr) - offsetof(type, member)))

/* Power-of-two alignment only. */
#define ALIGN_UP(x, a) (((x) + ((__typeof__(x))(a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define IS_POWER_OF_2(x) ((x) != 0 && ((x) & ((x) - 1)) == 0)

#define PFN_DOWN(pa) ((pa) >> PAGE_SHIFT)
#define PFN_UP(pa) (((pa) + PAGE_SIZE - 1) >> PAGE_SHIFT)

#endif /* TERN_TYPES_H */
