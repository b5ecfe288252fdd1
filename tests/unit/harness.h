/* Minimal table-driven test harness for host builds of hypervisor code.
 * Each program prints "PASS name" / "FAIL name: why" per case, then
 * "N passed, N failed", and exits non-zero on any failure.
 * Usage: prog [--list] [case...] */
#ifndef TEST_HARNESS_H
#define TEST_HARNESS_H

#include <setjmp.h>
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

struct test_case {
    const char *name;
    void (*fn)(void);
};

void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));
int test_main(int argc, char **argv, const struct test_case *cases, size_t n);

/* Deterministic pseudo-random numbers (seed from TEST_SEED, default fixed). */
uint64_t test_rand(void);
static inline uint64_t test_rand_below(uint64_t n) { return n ? test_rand() % n : 0; }

/* Set while a statement is expected to hit BUG_ON/ASSERT/panic. */
extern jmp_buf *test_bug_jmp;
extern const char *test_last_bug;

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                 \
    } while (0)

#define CHECK_EQ(a, b)                                                         \
    do {                                                                       \
        long long _a = (long long)(a), _b = (long long)(b);                    \
        if (_a != _b)                                                          \
            test_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld",   \
                      #a, _a, #b, _b);                                         \
    } while (0)

#define CHECK_STR(a, b)                                                        \
    do {                                                                       \
        const char *_a = (a), *_b = (b);                                       \
        if (strcmp(_a, _b) != 0)                                               \
            test_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a, \
                      _a, _b);                                                 \
    } while (0)

/* Runs stmt and fails the case unless it hits a BUG. */
#define EXPECT_BUG(stmt)                                                       \
    do {                                                                       \
        jmp_buf _jb;                                                           \
        jmp_buf *volatile _prev = test_bug_jmp;                                \
        test_bug_jmp = &_jb;                                                   \
        if (setjmp(_jb) == 0) {                                                \
            stmt;                                                              \
            test_bug_jmp = _prev;                                              \
            test_fail(__FILE__, __LINE__, "expected a BUG from: %s", #stmt);   \
        }                                                                      \
        test_bug_jmp = _prev;                                                  \
    } while (0)

#define TEST(fn) { #fn, fn }
#define TEST_MAIN(cases)                                                       \
    int main(int argc, char **argv)                                            \
    {                                                                          \
        return test_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0])); \
    }

#endif /* TEST_HARNESS_H */
