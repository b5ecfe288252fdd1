/* Unit tests for hypervisor/lib/vsnprintf.c: a table of formats checked
 * against the host libc (full output, return value and every truncation). */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include <tern/lib.h>

#include "harness.h"

static char ours[512], libc[512];

/* Compares with libc for the full buffer and for small buffer sizes. */
#define SAME(fmt, ...)                                                         \
    do {                                                                       \
        int _n1 = tern_snprintf(ours, sizeof(ours), fmt, __VA_ARGS__);         \
        int _n2 = snprintf(libc, sizeof(libc), fmt, __VA_ARGS__);              \
        if (_n1 != _n2 || strcmp(ours, libc) != 0)                             \
            test_fail(__FILE__, __LINE__, "fmt \"%s\": got %d \"%s\", libc %d \"%s\"", \
                      fmt, _n1, ours, _n2, libc);                              \
        for (size_t _sz = 0; _sz <= (size_t)_n2 + 1 && _sz < 64; _sz++) {      \
            memset(ours, '#', sizeof(ours));                                   \
            memset(libc, '#', sizeof(libc));                                   \
            _n1 = tern_snprintf(ours, _sz, fmt, __VA_ARGS__);                  \
            _n2 = snprintf(libc, _sz, fmt, __VA_ARGS__);                       \
            if (_n1 != _n2 || memcmp(ours, libc, 80) != 0)                     \
                test_fail(__FILE__, __LINE__, "fmt \"%s\" size %zu differs",   \
                          fmt, _sz);                                           \
        }                                                                      \
    } while (0)

static void test_signed(void)
{
    SAME("%d", 0);
    SAME("%d", -1);
    SAME("%d", INT_MAX);
    SAME("%d", INT_MIN);
    SAME("%i", 123);
    SAME("%5d|", 42);
    SAME("%-5d|", 42);
    SAME("%05d", -42);
    SAME("%+d", 5);
    SAME("%+d", -5);
    SAME("% d", 5);
    SAME("% 5d", 5);
    SAME("%+05d", 5);
    SAME("%.3d", 7);
    SAME("%.3d", -7);
    SAME("%.0d|", 0);
    SAME("%5.0d|", 0);
    /* '0' is ignored when a precision is given (the compiler says so too). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
    SAME("%08.3d", 5);
#pragma GCC diagnostic pop
    SAME("%.30d", 1);
    SAME("%-+8.4d|", 12);
}

static void test_unsigned(void)
{
    SAME("%u", 0u);
    SAME("%u", UINT_MAX);
    SAME("%x", 0xdeadbeefu);
    SAME("%X", 0xdeadbeefu);
    SAME("%#x", 0u);
    SAME("%#x", 255u);
    SAME("%#X", 255u);
    SAME("%#010x", 255u);
    SAME("%#10x|", 255u);
    SAME("%-#10x|", 255u);
    SAME("%#.6x", 255u);
    SAME("%.0x|", 0u);
    SAME("%#.0x|", 0u);
    SAME("%o", 0777u);
    SAME("%#o", 0u);
    SAME("%#o", 8u);
    SAME("%#.0o", 0u);
    SAME("%#.3o", 8u);
    SAME("%#5o|", 8u);
    SAME("%08x", 0xabcu);
}

static void test_length_modifiers(void)
{
    SAME("%hhd", 300);
    SAME("%hhd", -129);
    SAME("%hhu", -1);
    SAME("%hhx", 0x1ff);
    SAME("%hd", 70000);
    SAME("%hu", -1);
    SAME("%hx", 0x12345);
    SAME("%ld", LONG_MIN);
    SAME("%lu", ULONG_MAX);
    SAME("%lx", 0x123456789abcdefUL);
    SAME("%lld", LLONG_MIN);
    SAME("%lld", LLONG_MAX);
    SAME("%llx", ULLONG_MAX);
    SAME("%llo", ULLONG_MAX);
    SAME("%zu", (size_t)-1);
    SAME("%zx", (size_t)4096);
    SAME("%zd", (ssize_t)-5);
    SAME("%td", (ptrdiff_t)-7);
    SAME("%tx", (ptrdiff_t)0x7f);
    SAME("%jd", INTMAX_MIN);
    SAME("%ju", UINTMAX_MAX);
    SAME("%jx", (uintmax_t)0xfeed);
}

static void test_strings_chars(void)
{
    static const char abc[3] = { 'a', 'b', 'c' }; /* not terminated */

    SAME("%s", "hello");
    SAME("%s|", "");
    SAME("%10s|", "hi");
    SAME("%-10s|", "hi");
    SAME("%.2s", "hello");
    SAME("%.0s|", "hello");
    SAME("%.10s", "hello");
    SAME("%5.1s|", "hello");
    SAME("%.3s", abc);
    SAME("%c", 'A');
    SAME("%3c|", 'B');
    SAME("%-3c|", 'C');
    SAME("%c%c%c", 'x', 'y', 'z');
    SAME("%40s", "x");
}

static void test_star_and_percent(void)
{
    SAME("%*s|", 6, "ab");
    SAME("%-*s|", 6, "ab");
    SAME("%*s|", -6, "ab");
    SAME("%.*s", 3, "abcdef");
    SAME("%.*s", -1, "abc");
    SAME("%*d", 5, 3);
    SAME("%-*d|", 5, 3);
    SAME("%.*d", 4, 3);
    SAME("%.*d", -4, 3);
    SAME("%*.*d", 8, 4, -3);
    SAME("%*.*x|", -8, 3, 0xau);
    SAME("%s%%", "100");
    SAME("a%%b%d", 1);
    SAME("%s=%d (%#x) %c%%", "key", -12, 255u, 'z');
    SAME("%s", "no conversions here");
}

/* Things libc does differently or leaves undefined: checked on their own. */
static void test_own_conventions(void)
{
    char buf[64];

    CHECK_EQ(tern_snprintf(buf, sizeof(buf), "%p", (void *)0x1234), 18);
    CHECK_STR(buf, "0x0000000000001234");
    tern_snprintf(buf, sizeof(buf), "%p", (void *)NULL);
    CHECK_STR(buf, "0x0000000000000000");
    tern_snprintf(buf, sizeof(buf), "%p", (void *)0xffff830000000000UL);
    CHECK_STR(buf, "0xffff830000000000");
    tern_snprintf(buf, sizeof(buf), "[%20p]", (void *)0xab);
    CHECK_STR(buf, "[  0x00000000000000ab]");
    tern_snprintf(buf, sizeof(buf), "[%-20p]", (void *)0xab);
    CHECK_STR(buf, "[0x00000000000000ab  ]");
    const char *volatile null_str = NULL;
    tern_snprintf(buf, sizeof(buf), "%s", null_str);
    CHECK_STR(buf, "(null)");
    CHECK_EQ(tern_snprintf(NULL, 0, "%d", 12345), 5);
}

static int call_v(int (*fn)(char *, size_t, const char *, va_list), char *buf,
                  size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = fn(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

static void test_odd_formats_and_scn(void)
{
    char buf[32];

    /* Unknown and cut-off conversions are shown as written. */
    CHECK_EQ(call_v(tern_vsnprintf, buf, sizeof(buf), "a%yb", 0), 4);
    CHECK_STR(buf, "a%yb");
    CHECK_EQ(call_v(tern_vsnprintf, buf, sizeof(buf), "abc%", 0), 4);
    CHECK_STR(buf, "abc%");
    CHECK_EQ(call_v(tern_vsnprintf, buf, sizeof(buf), "abc%-5l", 0), 7);
    CHECK_STR(buf, "abc%-5l");
    CHECK_EQ(call_v(vscnprintf, buf, 4, "%s", "abcdef"), 3);
    CHECK_STR(buf, "abc");
    CHECK_EQ(call_v(vscnprintf, buf, 0, "%s", "abcdef"), 0);
    CHECK_EQ(scnprintf(buf, sizeof(buf), "%d-%d", 1, 2), 3);
    CHECK_STR(buf, "1-2");
}

/* Random specs over the integer conversions, against libc. */
static void test_random_integer_specs(void)
{
    static const char *const flags[] = { "", "-", "0", "#", "+", " ", "-#", "0#", "+0", "- " };
    static const char *const lens[] = { "", "hh", "h", "l", "ll", "z", "j", "t" };
    static const char conv[] = "diuxXo";
    char fmt[64];

    for (int i = 0; i < 20000; i++) {
        const char *len = lens[test_rand_below(8)];
        char c = conv[test_rand_below(6)];
        int width = (int)test_rand_below(25) - 1;
        int prec = (int)test_rand_below(25) - 2;
        uint64_t v = test_rand() >> test_rand_below(64);
        int n = snprintf(fmt, sizeof(fmt), "[%%%s", flags[test_rand_below(10)]);

        if (width >= 0)
            n += snprintf(fmt + n, sizeof(fmt) - (size_t)n, "%d", width);
        if (prec >= -1)
            n += snprintf(fmt + n, sizeof(fmt) - (size_t)n, ".%d", prec < 0 ? 0 : prec);
        snprintf(fmt + n, sizeof(fmt) - (size_t)n, "%s%c]", len, c);
        /* Formats built at run time: the types match by construction. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        if (len[0] == '\0' || len[0] == 'h')
            SAME(fmt, (int)v);
        else
            SAME(fmt, (long long)v);
#pragma GCC diagnostic pop
    }
}

static const struct test_case cases[] = {
    TEST(test_signed),
    TEST(test_unsigned),
    TEST(test_length_modifiers),
    TEST(test_strings_chars),
    TEST(test_star_and_percent),
    TEST(test_own_conventions),
    TEST(test_odd_formats_and_scn),
    TEST(test_random_integer_specs),
};

TEST_MAIN(cases)
