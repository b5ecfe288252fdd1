/* Test harness runtime; also supplies panic/assert_failed for host builds. */
#include "harness.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tern/bug.h>

jmp_buf *test_bug_jmp;
const char *test_last_bug;

static jmp_buf case_jmp;
static char fail_msg[512];
static pthread_t main_thread;
static uint64_t rng_state;
static uint64_t rng_seed;

uint64_t test_rand(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(fail_msg, sizeof(fail_msg), "%s:%d: ", file, line);

    va_start(ap, fmt);
    vsnprintf(fail_msg + n, sizeof(fail_msg) - (size_t)n, fmt, ap);
    va_end(ap);
    longjmp(case_jmp, 1);
}

/* A BUG is either expected (jump back to EXPECT_BUG) or fails the case. */
static __attribute__((noreturn)) void bug_hit(const char *what, const char *file, int line)
{
    if (!pthread_equal(pthread_self(), main_thread)) {
        fprintf(stderr, "BUG in worker thread: %s at %s:%d\n", what, file, line);
        abort();
    }
    test_last_bug = what;
    if (test_bug_jmp) {
        jmp_buf *j = test_bug_jmp;
        test_bug_jmp = NULL;
        longjmp(*j, 1);
    }
    test_fail(file, line, "unexpected BUG: %s", what);
}

void assert_failed(const char *expr, const char *file, int line)
{
    bug_hit(expr, file, line);
}

void panic(const char *fmt, ...)
{
    static char msg[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    bug_hit(msg, "panic", 0);
}

static bool run_case(const struct test_case *c)
{
    fail_msg[0] = '\0';
    test_bug_jmp = NULL;
    rng_state = rng_seed; /* same numbers whether run alone or in a batch */
    if (setjmp(case_jmp) == 0) {
        c->fn();
        printf("PASS %s\n", c->name);
        fflush(stdout);
        return true;
    }
    printf("FAIL %s: %s\n", c->name, fail_msg);
    fflush(stdout);
    return false;
}

static const struct test_case *find_case(const struct test_case *cases, size_t n,
                                         const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(cases[i].name, name) == 0)
            return &cases[i];
    return NULL;
}

int test_main(int argc, char **argv, const struct test_case *cases, size_t n)
{
    const char *seed = getenv("TEST_SEED");
    unsigned passed = 0, failed = 0;

    main_thread = pthread_self();
    rng_seed = seed ? strtoull(seed, NULL, 0) : 0x7465726e2d756e69ULL;
    if (rng_seed == 0)
        rng_seed = 1;
    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < n; i++)
            printf("%s\n", cases[i].name);
        return 0;
    }
    if (argc > 1) {
        for (int i = 1; i < argc; i++) {
            const struct test_case *c = find_case(cases, n, argv[i]);
            if (!c) {
                printf("FAIL %s: no such case\n", argv[i]);
                failed++;
            } else if (run_case(c)) {
                passed++;
            } else {
                failed++;
            }
        }
    } else {
        for (size_t i = 0; i < n; i++)
            run_case(&cases[i]) ? passed++ : failed++;
    }
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
