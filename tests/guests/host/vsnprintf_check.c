/* Host check of the guests' guest_vsnprintf: each case must match the C library's snprintf. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int guest_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

static int failures, cases;

/* Formats with both implementations into buffers of `size` and compares text and length. */
static void check(size_t size, const char *fmt, ...)
{
    char want[256], got[256];
    va_list a, b;
    int nw, ng;

    memset(want, 'W', sizeof(want));
    memset(got, 'W', sizeof(got));
    va_start(a, fmt);
    va_copy(b, a);
    nw = vsnprintf(want, size, fmt, a);
    ng = guest_vsnprintf(got, size, fmt, b);
    va_end(b);
    va_end(a);
    cases++;
    if (nw != ng || memcmp(want, got, sizeof(want))) {
        failures++;
        printf("MISMATCH size %zu fmt \"%s\": libc %d \"%.*s\", guest %d \"%.*s\"\n", size, fmt,
               nw, size ? (int)strnlen(want, size) : 0, want, ng,
               size ? (int)strnlen(got, size) : 0, got);
    }
}

int main(void)
{
    static const size_t sizes[] = { 256, 1, 0, 5 };

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t s = sizes[i];

        check(s, "plain text");
        check(s, "%d %i %u", 0, -1, 4000000000u);
        check(s, "%d|%d", -2147483647 - 1, 2147483647);
        check(s, "%ld %lld %lu", (long)INT64_MIN, (long long)INT64_MAX, (unsigned long)UINT64_MAX);
        check(s, "%x %X %#x %#X %#x", 0xdeadbeefu, 0xabcu, 0x1fu, 0x1fu, 0u);
        check(s, "%lx %#llx %016lx", 0xffff830000000000ul, 0x123ull, 0x42ul);
        check(s, "%o %#o %#o %#.0o", 8u, 8u, 0u, 0u);
        check(s, "[%5d] [%-5d] [%05d] [%+d] [% d] [%+05d]", 42, 42, 42, 42, 42, -42);
        check(s, "[%.3d] [%8.3d] [%-8.3d] [%08.3d] [%.0d]", 7, 7, -7, 7, 0);
        check(s, "[%*d] [%-*d] [%*d] [%.*d]", 6, 1, 6, 2, -6, 3, 4, 5);
        check(s, "[%s] [%10s] [%-10s] [%.3s] [%*.*s]", "abc", "abc", "abc", "abcdef", 6, 2, "xyz");
        check(s, "[%c] [%3c] [%-3c] [%%]", 'x', 'y', 'z');
        check(s, "%p %p", (void *)0x1000, (void *)0xffffffff80002000ul);
        check(s, "%hhd %hhu %hd %hu", 300, 300, 70000, 70000);
        check(s, "%zu %zx %jd %td", (size_t)12345, (size_t)0xfff, (intmax_t)-9, (ptrdiff_t)-3);
        check(s, "[%s]", (char *)0);
        check(s, "%p", (void *)0);
        check(s, "100%% and %d%%", 5);
    }
    printf("vsnprintf: %d cases, %d mismatches\n", cases, failures);
    return failures ? 1 : 0;
}
