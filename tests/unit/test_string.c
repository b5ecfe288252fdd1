/* Unit tests for hypervisor/lib/string.c, compared with libc where it has one. */
#include <stdlib.h>
#include <string.h>

#include <tern/string.h>
#include <tern/errno.h>

#include "harness.h"

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

/* Every length 0..160 at every alignment, against a byte-wise model. */
static void test_memcpy_alignments(void)
{
    unsigned char src[176], dst[176], ref[176];

    for (unsigned i = 0; i < sizeof(src); i++)
        src[i] = (unsigned char)(i * 7 + 3);
    for (unsigned so = 0; so < 8; so++)
        for (unsigned d = 0; d < 8; d++)
            for (unsigned n = 0; n <= 160; n++) {
                memset(dst, 0xAA, sizeof(dst));
                memset(ref, 0xAA, sizeof(ref));
                for (unsigned i = 0; i < n; i++)
                    ref[d + i] = src[so + i];
                CHECK(tern_memcpy(dst + d, src + so, n) == dst + d);
                CHECK(memcmp(dst, ref, sizeof(dst)) == 0);
            }
}

static void test_memmove_overlap(void)
{
    unsigned char buf[80], ref[80];

    for (int shift = -9; shift <= 9; shift++)
        for (unsigned n = 0; n <= 40; n++) {
            for (unsigned i = 0; i < sizeof(buf); i++)
                buf[i] = ref[i] = (unsigned char)i;
            memmove(ref + 20 + shift, ref + 20, n);
            CHECK(tern_memmove(buf + 20 + shift, buf + 20, n) == buf + 20 + shift);
            CHECK(memcmp(buf, ref, sizeof(buf)) == 0);
        }
}

static void test_memset(void)
{
    unsigned char buf[80];

    for (unsigned off = 0; off < 8; off++)
        for (unsigned n = 0; n <= 64; n++) {
            memset(buf, 0x11, sizeof(buf));
            CHECK(tern_memset(buf + off, 0x1C5, n) == buf + off);
            for (unsigned i = 0; i < sizeof(buf); i++)
                CHECK_EQ(buf[i], (i >= off && i < off + n) ? 0xC5 : 0x11);
        }
}

static void test_memcmp_memchr(void)
{
    static const struct { const char *a, *b; size_t n; } t[] = {
        { "abc", "abc", 3 }, { "abc", "abd", 3 }, { "abd", "abc", 3 },
        { "abc", "abd", 2 }, { "", "", 0 }, { "\x80", "\x7f", 1 },
        { "a\0b", "a\0c", 3 },
    };

    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        CHECK_EQ(sign(tern_memcmp(t[i].a, t[i].b, t[i].n)),
                 sign(memcmp(t[i].a, t[i].b, t[i].n)));
    const char s[] = "hello\0world";
    CHECK(tern_memchr(s, 'w', sizeof(s)) == s + 6);
    CHECK(tern_memchr(s, 'w', 6) == NULL);
    CHECK(tern_memchr(s, 0x100 + 'h', 1) == s);
}

static void test_str_functions(void)
{
    static const char *const words[] = {
        "", "a", "ab", "abc", "abd", "b", "hello world", "\xff", "hellO",
    };
    const size_t nw = sizeof(words) / sizeof(words[0]);

    for (size_t i = 0; i < nw; i++) {
        CHECK_EQ(tern_strlen(words[i]), strlen(words[i]));
        for (size_t m = 0; m < 6; m++)
            CHECK_EQ(tern_strnlen(words[i], m), strnlen(words[i], m));
        for (size_t j = 0; j < nw; j++) {
            CHECK_EQ(sign(tern_strcmp(words[i], words[j])),
                     sign(strcmp(words[i], words[j])));
            for (size_t n = 0; n < 6; n++)
                CHECK_EQ(sign(tern_strncmp(words[i], words[j], n)),
                         sign(strncmp(words[i], words[j], n)));
        }
        for (int c = 0; c < 256; c += 17) {
            CHECK(tern_strchr(words[i], c) == strchr(words[i], c));
            CHECK(tern_strrchr(words[i], c) == strrchr(words[i], c));
        }
        CHECK(tern_strchr(words[i], 'l') == strchr(words[i], 'l'));
        CHECK(tern_strrchr(words[i], 'l') == strrchr(words[i], 'l'));
    }
}

static void test_strlcpy(void)
{
    char buf[8];

    memset(buf, 'x', sizeof(buf));
    CHECK_EQ(tern_strlcpy(buf, "hello", sizeof(buf)), 5);
    CHECK_STR(buf, "hello");
    CHECK_EQ(tern_strlcpy(buf, "hello world", sizeof(buf)), 11);
    CHECK_STR(buf, "hello w");
    CHECK_EQ(tern_strlcpy(buf, "", sizeof(buf)), 0);
    CHECK_STR(buf, "");
    buf[0] = 'q';
    CHECK_EQ(tern_strlcpy(buf, "abc", 0), 3);
    CHECK_EQ(buf[0], 'q');
    CHECK_EQ(tern_strlcpy(buf, "abc", 1), 3);
    CHECK_EQ(buf[0], '\0');
}

struct parse_case {
    const char *in;
    unsigned base;
    int rc;
    uint64_t val;
    int used; /* characters consumed */
};

static const struct parse_case parse_cases[] = {
    { "0", 0, 0, 0, 1 },
    { "123", 0, 0, 123, 3 },
    { "  42xyz", 0, 0, 42, 4 },
    { "0x1F", 0, 0, 31, 4 },
    { "0X1f", 0, 0, 31, 4 },
    { "0x", 0, 0, 0, 1 },
    { "0xg", 16, 0, 0, 1 },
    { "017", 0, 0, 15, 3 },
    { "019", 0, 0, 1, 2 },
    { "08", 0, 0, 0, 1 },
    { "017", 10, 0, 17, 3 },
    { "ff", 16, 0, 255, 2 },
    { "0xff", 16, 0, 255, 4 },
    { "zz", 36, 0, 35 * 36 + 35, 2 },
    { "101", 2, 0, 5, 3 },
    { "18446744073709551615", 0, 0, UINT64_MAX, 20 },
    { "18446744073709551616", 0, -ERANGE, 0, 20 },
    { "0xffffffffffffffff", 0, 0, UINT64_MAX, 18 },
    { "0x10000000000000000", 0, -ERANGE, 0, 19 },
    { "99999999999999999999999", 10, -ERANGE, 0, 23 },
    { "", 0, -EINVAL, 0, 0 },
    { "   ", 0, -EINVAL, 0, 0 },
    { "-1", 0, -EINVAL, 0, 0 },
    { "+1", 0, -EINVAL, 0, 0 },
    { "x1", 0, -EINVAL, 0, 0 },
    { "12", 1, -EINVAL, 0, 0 },
    { "12", 37, -EINVAL, 0, 0 },
};

static void test_parse_u64_table(void)
{
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        const struct parse_case *c = &parse_cases[i];
        const char *end = NULL;
        uint64_t v = 0xdead;
        int rc = parse_u64(c->in, &end, c->base, &v);

        if (rc != c->rc || end - c->in != c->used || (rc == 0 && v != c->val) ||
            (rc != 0 && v != 0xdead))
            test_fail(__FILE__, __LINE__, "case \"%s\" base %u: rc %d used %d val %llu",
                      c->in, c->base, rc, (int)(end - c->in), (unsigned long long)v);
    }
}

/* parse_ull/simple_strtoul agree with strtoull on valid unsigned input. */
static void test_parse_ull_vs_libc(void)
{
    static const char *const in[] = { "0", "7", "0x7fffffff", "0777", "123456789012",
                                      "18446744073709551615", "99999999999999999999",
                                      "0x", "12abc", "  9" };
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
        for (unsigned base = 0; base <= 16; base += 8) {
            const char *e1;
            char *e2, *e3;
            unsigned long long a = parse_ull(in[i], &e1, base);
            unsigned long long b = strtoull(in[i], &e2, (int)base);
            unsigned long c = simple_strtoul(in[i], &e3, base);

            if (a != b || e1 != e2 || c != b || e3 != e2)
                test_fail(__FILE__, __LINE__, "\"%s\" base %u: %llu/%lu vs %llu",
                          in[i], base, a, c, b);
        }
    CHECK(parse_ull("5", NULL, 10) == 5);
}

static const struct test_case cases[] = {
    TEST(test_memcpy_alignments),
    TEST(test_memmove_overlap),
    TEST(test_memset),
    TEST(test_memcmp_memchr),
    TEST(test_str_functions),
    TEST(test_strlcpy),
    TEST(test_parse_u64_table),
    TEST(test_parse_ull_vs_libc),
};

TEST_MAIN(cases)
