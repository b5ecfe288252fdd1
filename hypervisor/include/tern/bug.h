/* Fatal-error helpers; panic() and assert_failed() are provided by the kernel
 * (or by the unit-test harness on the host). */
#ifndef TERN_BUG_H
#define TERN_BUG_H

#include <tern/types.h>

void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void assert_failed(const char *expr, const char *file, int line)
    __attribute__((noreturn));

#define BUG() assert_failed("BUG", __FILE__, __LINE__)

/* Always active: for hypervisor invariants, never for guest-controlled values. */
#define BUG_ON(cond)                                                           \
    do {                                                                       \
        if (unlikely(cond))                                                    \
            assert_failed("BUG_ON(" #cond ")", __FILE__, __LINE__);            \
    } while (0)

#ifndef NDEBUG
#define ASSERT(cond)                                                           \
    do {                                                                       \
        if (unlikely(!(cond)))                                                 \
            assert_failed(#cond, __FILE__, __LINE__);                          \
    } while (0)
#else
#define ASSERT(cond) ((void)sizeof(!(cond)))
#endif

#define BUILD_BUG_ON(cond) _Static_assert(!(cond), "BUILD_BUG_ON(" #cond ")")

#endif /* TERN_BUG_H */
