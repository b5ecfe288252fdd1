/* Test-guest runtime: entry from head.S, console output, result reporting and shutdown. */
#include "test.h"

const struct start_info *start_info;

static unsigned int nr_failures;
static char first_failure[200];

long guest_puts(const char *s)
{
    return hypervisor_console_write(s, strlen(s));
}

static void guest_vprintf(const char *fmt, va_list ap)
{
    char buf[512];
    int n = guest_vsnprintf(buf, sizeof(buf), fmt, ap);

    if (n >= (int)sizeof(buf))
        n = sizeof(buf) - 1;
    hypervisor_console_write(buf, (uint64_t)n);
}

void guest_printf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    guest_vprintf(fmt, ap);
    va_end(ap);
}

/* Print the result line and leave; a guest that cannot shut down faults instead. */
static void __attribute__((noreturn)) test_exit(const char *result, const char *msg)
{
    long rc;

    guest_printf("TEST-RESULT %s: %s%s%s\n", test_name, result, msg[0] ? " " : "", msg);
    rc = hypervisor_sched_shutdown(strcmp(result, "SUCCESS") ? SHUTDOWN_crash
                                                             : SHUTDOWN_poweroff);
    guest_printf("%s: SCHEDOP_shutdown returned %ld\n", test_name, rc);
    for (;;)
        __asm__ volatile("ud2");
}

static void __attribute__((noreturn)) test_vexit(const char *result, const char *fmt, va_list ap)
{
    char msg[200];

    guest_vsnprintf(msg, sizeof(msg), fmt, ap);
    test_exit(result, msg);
}

void test_fail(const char *fmt, ...)
{
    char msg[200];
    va_list ap;

    va_start(ap, fmt);
    guest_vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    guest_printf("%s: FAIL: %s\n", test_name, msg);
    if (!nr_failures++)
        memcpy(first_failure, msg, sizeof(first_failure));
}

unsigned int test_failures(void)
{
    return nr_failures;
}

void test_success(void)
{
    if (nr_failures)
        test_exit("FAILURE", first_failure);
    test_exit("SUCCESS", "");
}

void test_skip(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    test_vexit("SKIP", fmt, ap);
}

void test_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    test_vexit("ERROR", fmt, ap);
}

void test_failure_exit(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    test_vexit("FAILURE", fmt, ap);
}

/* Called from head.S with the start_info pointer the hypervisor passed in %rsi. */
void __attribute__((noreturn)) guest_start(const struct start_info *si);
void guest_start(const struct start_info *si)
{
    start_info = si;
    guest_printf("--- Tern test guest %s: %s\n", test_name, test_title);
    if (!si)
        test_error("no start_info (%%rsi was 0)");
    test_main();
    test_success();
}

unsigned long cmdline_num(const char *key, unsigned long def)
{
    const char *s = start_info->cmd_line;
    size_t n = strlen(key);

    for (; *s; s++) {
        if ((s == start_info->cmd_line || s[-1] == ' ') && !strncmp(s, key, n) && s[n] == '=') {
            unsigned long v = 0;
            for (s += n + 1; *s >= '0' && *s <= '9'; s++)
                v = v * 10 + (unsigned long)(*s - '0');
            return v;
        }
    }
    return def;
}
