/* Shared helpers of the tern command line: errors, JSON output, progress bar, sizes. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "state.h"

void cli_err(const char *fmt, ...)
{
    va_list ap;

    fputs("tern: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void json_init(struct cli_json *j, FILE *f)
{
    memset(j, 0, sizeof(*j));
    j->f = f;
}

static void json_quote(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    fputc('"', f);
    for (; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* Comma and key before a value. */
static void json_key(struct cli_json *j, const char *key)
{
    if (j->depth > 0 && j->count[j->depth]++)
        fputc(',', j->f);
    if (key) {
        json_quote(j->f, key);
        fputc(':', j->f);
    }
}

static void json_open(struct cli_json *j, const char *key, char c)
{
    json_key(j, key);
    fputc(c, j->f);
    if (j->depth < 15)
        j->depth++;
    j->count[j->depth] = 0;
}

void json_obj(struct cli_json *j, const char *key) { json_open(j, key, '{'); }
void json_arr(struct cli_json *j, const char *key) { json_open(j, key, '['); }

void json_end(struct cli_json *j, char close)
{
    fputc(close, j->f);
    if (j->depth > 0)
        j->depth--;
    if (!j->depth)
        fputc('\n', j->f);
}

void json_str(struct cli_json *j, const char *key, const char *val)
{
    json_key(j, key);
    json_quote(j->f, val ? val : "");
}

void json_u64(struct cli_json *j, const char *key, uint64_t val)
{
    json_key(j, key);
    fprintf(j->f, "%llu", (unsigned long long)val);
}

void json_num(struct cli_json *j, const char *key, double val)
{
    json_key(j, key);
    fprintf(j->f, "%.4f", val);
}

void json_bool(struct cli_json *j, const char *key, int val)
{
    json_key(j, key);
    fputs(val ? "true" : "false", j->f);
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void progress_init(struct cli_progress *p, const char *what, int enabled)
{
    memset(p, 0, sizeof(*p));
    p->what = what;
    p->on = enabled && isatty(STDERR_FILENO);
}

void progress_cb(void *arg, uint64_t done, uint64_t total)
{
    struct cli_progress *p = arg;
    uint64_t t;
    char a[32];
    int i, fill;

    if (!p || !p->on)
        return;
    t = now_ns();
    if (p->drawn && t - p->last_ns < 100000000ull)
        return; /* ten frames a second is plenty */
    p->last_ns = t;
    p->drawn = 1;
    if (!total) {
        fprintf(stderr, "\r%s: %s ", p->what, cli_size(done, a, sizeof(a)));
        return;
    }
    fill = done >= total ? 30 : (int)(done * 30 / total);
    fprintf(stderr, "\r%s: [", p->what);
    for (i = 0; i < 30; i++)
        fputc(i < fill ? '#' : '.', stderr);
    fprintf(stderr, "] %3d%%", done >= total ? 100 : (int)(done * 100 / total));
}

void progress_done(struct cli_progress *p)
{
    if (p->on && p->drawn)
        fputs("\r\033[K", stderr);
    p->drawn = 0;
}

const char *cli_size(uint64_t bytes, char *buf, size_t len)
{
    static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    double v = (double)bytes;
    int u = 0;

    while (v >= 1024.0 && u < 4) {
        v /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%llu B", (unsigned long long)bytes);
    else
        snprintf(buf, len, "%.1f %s", v, unit[u]);
    return buf;
}

int cli_domain_id(const char *s, uint16_t *out)
{
    const char *n = s;
    char *end;
    unsigned long v;

    if (!strcmp(s, "Domain-0")) {
        *out = 0;
        return 0;
    }
    if (!state_find(s, out))
        return 0;
    if (n[0] == 'd')
        n++;
    errno = 0;
    v = strtoul(n, &end, 10);
    if (errno || end == n || *end || v >= 0x7ff0)
        return -1;
    *out = (uint16_t)v;
    return 0;
}
