/* Freestanding memory and string routines (see tern/string.h for naming). */
#include <tern/string.h>
#include <tern/errno.h>

/* GCC would otherwise recognise the loops below as memset/memcpy and emit
 * calls to the very functions being defined. */
#pragma GCC optimize("no-tree-loop-distribute-patterns")

/* Word access that is allowed to alias any object. */
typedef uint64_t __attribute__((may_alias)) word_t;

void *TERN_LIBC(memcpy)(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    /* Word copies when both sides line up; bytes otherwise. */
    if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
        for (; n >= 8; n -= 8, d += 8, s += 8)
            *(word_t *)(void *)d = *(const word_t *)(const void *)s;
    }
    while (n--)
        *d++ = *s++;
    return dst;
}

void *TERN_LIBC(memmove)(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if (d == s || n == 0)
        return dst;
    if (d < s || d >= s + n)
        return TERN_LIBC(memcpy)(dst, src, n);
    /* Overlap with dst above src: copy backwards. */
    while (n--)
        d[n] = s[n];
    return dst;
}

void *TERN_LIBC(memset)(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    uint64_t pattern = 0x0101010101010101ULL * (unsigned char)c;

    while (n && ((uintptr_t)d & 7)) {
        *d++ = (unsigned char)c;
        n--;
    }
    for (; n >= 8; n -= 8, d += 8)
        *(word_t *)(void *)d = pattern;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

int TERN_LIBC(memcmp)(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;

    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

void *TERN_LIBC(memchr)(const void *s, int c, size_t n)
{
    const unsigned char *p = s;

    for (size_t i = 0; i < n; i++)
        if (p[i] == (unsigned char)c)
            return (void *)(p + i);
    return NULL;
}

size_t TERN_LIBC(strlen)(const char *s)
{
    const char *p = s;

    while (*p)
        p++;
    return (size_t)(p - s);
}

size_t TERN_LIBC(strnlen)(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n])
        n++;
    return n;
}

int TERN_LIBC(strcmp)(const char *a, const char *b)
{
    const unsigned char *x = (const unsigned char *)a;
    const unsigned char *y = (const unsigned char *)b;

    while (*x && *x == *y) {
        x++;
        y++;
    }
    return *x == *y ? 0 : (*x < *y ? -1 : 1);
}

int TERN_LIBC(strncmp)(const char *a, const char *b, size_t n)
{
    const unsigned char *x = (const unsigned char *)a;
    const unsigned char *y = (const unsigned char *)b;

    for (; n; n--, x++, y++) {
        if (*x != *y)
            return *x < *y ? -1 : 1;
        if (!*x)
            break;
    }
    return 0;
}

char *TERN_LIBC(strchr)(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}

char *TERN_LIBC(strrchr)(const char *s, int c)
{
    const char *last = NULL;

    for (;; s++) {
        if (*s == (char)c)
            last = s;
        if (!*s)
            return (char *)last;
    }
}

size_t TERN_LIBC(strlcpy)(char *dst, const char *src, size_t size)
{
    size_t len = TERN_LIBC(strlen)(src);

    if (size) {
        size_t n = len < size - 1 ? len : size - 1;
        TERN_LIBC(memcpy)(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Resolves base 0 and skips a 0x prefix; a bare "0x" keeps only the "0". */
static const char *skip_prefix(const char *s, unsigned *base)
{
    bool hex_prefix = s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
                      digit_value(s[2]) < 16;

    if (*base == 0) {
        if (hex_prefix)
            *base = 16;
        else if (s[0] == '0')
            *base = 8;
        else
            *base = 10;
    }
    if (*base == 16 && hex_prefix)
        s += 2;
    return s;
}

int parse_u64(const char *s, const char **end, unsigned base, uint64_t *out)
{
    const char *p;
    uint64_t v = 0;
    bool overflow = false;
    int d;

    if (end)
        *end = s;
    if (base == 1 || base > 36)
        return -EINVAL;
    while (is_blank(*s))
        s++;
    p = skip_prefix(s, &base);
    if (digit_value(*p) >= (int)base)
        return -EINVAL;
    for (; (d = digit_value(*p)) < (int)base; p++) {
        if (v > (UINT64_MAX - (unsigned)d) / base)
            overflow = true;
        v = v * base + (unsigned)d;
    }
    if (end)
        *end = p;
    if (overflow)
        return -ERANGE;
    *out = v;
    return 0;
}

unsigned long long parse_ull(const char *s, const char **end, unsigned base)
{
    uint64_t v = 0;
    int rc = parse_u64(s, end, base, &v);

    if (rc == -ERANGE)
        return ~0ULL;
    return rc ? 0 : v;
}

unsigned long simple_strtoul(const char *s, char **end, unsigned base)
{
    const char *e;
    unsigned long long v = parse_ull(s, &e, base);

    if (end)
        *end = (char *)e;
    return v > ~0UL ? ~0UL : (unsigned long)v;
}
