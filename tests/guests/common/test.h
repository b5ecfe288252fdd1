/* The API a test guest is written against: results, assertions, console output. */
#ifndef GUEST_TEST_H
#define GUEST_TEST_H

#include "lib.h"
#include "hypercall.h"

/* Provided by each test (tests/guests/<name>/main.c). */
extern const char test_title[];
void test_main(void);

/* Provided by the runtime. */
extern const char test_name[];              /* the guest's directory name */
extern const struct start_info *start_info; /* as passed in %rsi */
extern uint64_t boot_entry_rsp;             /* %rsp at the entry point */
extern char _image_start[], _end[];         /* bounds of the loaded image */
extern char guest_virt_base[];              /* VA of PFN 0 (the link script's) */
/* Through an empty asm: the compiler would take the address of an object for never 0. */
static inline uint64_t guest_virt_base_va(void)
{
    uint64_t v = (uint64_t)(uintptr_t)guest_virt_base;
    __asm__("" : "+r"(v));
    return v;
}
#define GUEST_VIRT_BASE guest_virt_base_va()

/* "key=N" from the command line (start_info), as a number; def when absent. */
unsigned long cmdline_num(const char *key, unsigned long def);

/* Console output through console_io(CONSOLEIO_write); returns the hypercall result. */
long guest_puts(const char *s);
void guest_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Results. test_fail records a failure and carries on (the first message is
 * reported); the others end the test at once. Returning from test_main ends
 * it with SUCCESS, or FAILURE if any test_fail happened. The last line is
 * "TEST-RESULT <name>: SUCCESS|SKIP|ERROR|FAILURE <msg>", then the domain
 * shuts down: poweroff for SUCCESS, crash for anything else.
 */
void test_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void test_success(void) __attribute__((noreturn));
void test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void test_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void test_failure_exit(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
unsigned int test_failures(void);

#define ASSERT(cond)                                                           \
    do {                                                                       \
        if (!(cond))                                                           \
            test_fail("%s:%d: %s", __FILE__, __LINE__, #cond);                 \
    } while (0)

/* Compares as 64-bit integers; prints both values in hex and decimal. */
#define ASSERT_EQ(actual, expected)                                            \
    do {                                                                       \
        int64_t a_ = (int64_t)(actual), e_ = (int64_t)(expected);              \
        if (a_ != e_)                                                          \
            test_fail("%s:%d: %s is %#llx (%lld), expected %#llx (%lld)",      \
                      __FILE__, __LINE__, #actual, (unsigned long long)a_,     \
                      (long long)a_, (unsigned long long)e_, (long long)e_);   \
    } while (0)

/* console_io(CONSOLEIO_write) succeeded: Xen returns 0, some hypervisors the count. */
#define ASSERT_CONSOLE_WRITE_OK(rc, len)                                       \
    do {                                                                       \
        long r_ = (rc);                                                        \
        if (r_ != 0 && r_ != (long)(len))                                      \
            test_fail("%s:%d: console write returned %ld, expected 0 or %ld",  \
                      __FILE__, __LINE__, r_, (long)(len));                    \
    } while (0)

#define ASSERT_NE(actual, unexpected)                                          \
    do {                                                                       \
        int64_t a_ = (int64_t)(actual), u_ = (int64_t)(unexpected);            \
        if (a_ == u_)                                                          \
            test_fail("%s:%d: %s is %#llx, must differ", __FILE__, __LINE__,   \
                      #actual, (unsigned long long)a_);                        \
    } while (0)

#endif
