/* Unit tests for hypervisor/common/cpio.c: archives read back by a parser written from the
 * newc format, sizes without writing, and the paths refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tern/cpio.h>

#include "harness.h"

struct buf {
    unsigned char *p;
    size_t len, cap;
    unsigned int calls;
};

static void collect(void *ctx, const void *p, size_t len)
{
    struct buf *b = ctx;
    CHECK(b->len + len <= b->cap);
    memcpy(b->p + b->len, p, len);
    b->len += len;
    b->calls++;
}

static unsigned long field(const unsigned char *hdr, int i)
{
    char s[9];
    memcpy(s, hdr + 6 + 8 * i, 8);
    s[8] = 0;
    for (int k = 0; k < 8; k++)
        CHECK((s[k] >= '0' && s[k] <= '9') || (s[k] >= 'a' && s[k] <= 'f'));
    return strtoul(s, NULL, 16);
}

struct parsed {
    char name[300];
    unsigned long mode, size, nlink;
    const unsigned char *data;
};

/* Reads entries until the trailer; returns how many, the trailer not counted. */
static int parse(const unsigned char *p, size_t len, struct parsed *out, int max)
{
    size_t off = 0;
    int n = 0;

    for (;;) {
        CHECK(off % 4 == 0 && off + 110 <= len);
        CHECK(!memcmp(p + off, "070701", 6));
        unsigned long namesize = field(p + off, 11);
        CHECK(field(p + off, 12) == 0); /* check field unused in newc */
        CHECK(namesize >= 2 && off + 110 + namesize <= len);
        const char *name = (const char *)p + off + 110;
        CHECK(name[namesize - 1] == 0 && strlen(name) == namesize - 1);
        size_t data = (off + 110 + namesize + 3) & ~(size_t)3;
        unsigned long size = field(p + off, 6);
        CHECK(data + size <= len);
        if (!strcmp(name, "TRAILER!!!")) {
            CHECK(((data + size + 3) & ~(size_t)3) == len);
            return n;
        }
        CHECK(n < max);
        snprintf(out[n].name, sizeof(out[n].name), "%s", name);
        out[n].mode = field(p + off, 1);
        out[n].nlink = field(p + off, 4);
        out[n].size = size;
        out[n].data = p + data;
        for (size_t k = data + size; k < ((data + size + 3) & ~(size_t)3); k++)
            CHECK(p[k] == 0);
        n++;
        off = (data + size + 3) & ~(size_t)3;
    }
}

static void test_files_and_parents(void)
{
    static unsigned char space[1 << 16];
    unsigned char big[5001];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (unsigned char)(i * 7);
    const struct cpio_file files[] = {
        { "/usr/lib/tern/guest/vmlinux", big, sizeof(big) },
        { "etc/x", "abc", 3 },
        { "empty", "", 0 },
    };
    struct buf b = { .p = space, .cap = sizeof(space) };
    size_t len = cpio_write(files, 3, collect, &b);
    struct parsed e[16];

    CHECK(len > 0 && len == b.len && len % 4 == 0);
    CHECK_EQ(cpio_write(files, 3, NULL, NULL), len);
    int n = parse(space, len, e, 16);
    CHECK_EQ(n, 4 + 1 + 1 + 1 + 1);
    const char *want[] = { "usr", "usr/lib", "usr/lib/tern", "usr/lib/tern/guest",
                           "usr/lib/tern/guest/vmlinux", "etc", "etc/x", "empty" };
    for (int i = 0; i < n; i++) {
        CHECK(!strcmp(e[i].name, want[i]));
        bool dir = i < 4 || i == 5;
        CHECK_EQ(e[i].mode, dir ? 0040755 : 0100644);
        CHECK_EQ(e[i].nlink, dir ? 2 : 1);
    }
    CHECK_EQ(e[4].size, sizeof(big));
    CHECK(!memcmp(e[4].data, big, sizeof(big)));
    CHECK_EQ(e[6].size, 3);
    CHECK(!memcmp(e[6].data, "abc", 3));
    CHECK_EQ(e[7].size, 0);
}

static void test_no_files(void)
{
    unsigned char space[256];
    struct buf b = { .p = space, .cap = sizeof(space) };
    size_t len = cpio_write(NULL, 0, collect, &b);
    struct parsed e[1];

    CHECK(len == b.len && len > 0);
    CHECK_EQ(parse(space, len, e, 1), 0);
}

static void test_bad_paths(void)
{
    char longp[CPIO_PATH_MAX + 2];
    memset(longp, 'a', sizeof(longp) - 1);
    longp[sizeof(longp) - 1] = 0;
    const char *bad[] = { "", "/", "a//b", "a/", "../x", "a/../b", "./a", "a/.", longp };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct cpio_file f = { bad[i], "x", 1 };
        CHECK(!cpio_path_ok(bad[i]));
        CHECK_EQ(cpio_write(&f, 1, NULL, NULL), 0);
    }
    longp[CPIO_PATH_MAX] = 0;
    const char *good[] = { "a", "/a/b", "a/.b/c..", "...", longp };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        CHECK(cpio_path_ok(good[i]));
}

static const struct test_case cases[] = {
    TEST(test_files_and_parents),
    TEST(test_no_files),
    TEST(test_bad_paths),
};

TEST_MAIN(cases)
