/* Helpers shared by the workloads: clocks, argument parsing, /proc/meminfo, fork+exec. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "work.h"

uint64_t work_clock_ns(int clock_id)
{
    struct timespec ts;

    if (clock_gettime(clock_id, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t work_now_ns(void)
{
    return work_clock_ns(CLOCK_MONOTONIC);
}

int work_parse_count(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < min || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

int work_parse_seconds(const char *s, uint64_t *out_ns)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || *end != '\0' || !(v > 0.0) || v > 3600.0)
        return -EINVAL;
    *out_ns = (uint64_t)(v * 1e9);
    return 0;
}

int work_meminfo(const char *key, uint64_t *out_bytes)
{
    char line[256];
    size_t klen = strlen(key);
    FILE *f = fopen("/proc/meminfo", "r");
    int rc = -ENOENT;

    if (!f)
        return -errno;
    while (fgets(line, sizeof(line), f)) {
        unsigned long long kb;

        if (strncmp(line, key, klen) != 0 || line[klen] != ':')
            continue;
        if (sscanf(line + klen + 1, "%llu", &kb) == 1 && kb <= UINT64_MAX / 1024) {
            *out_bytes = (uint64_t)kb * 1024;
            rc = 0;
        } else {
            rc = -EINVAL;
        }
        break;
    }
    fclose(f);
    return rc;
}

static int work_parse_percent(const char *s, size_t len, uint64_t *out_bytes)
{
    char num[32];
    long pct;
    uint64_t avail;
    int rc;

    if (len == 0 || len >= sizeof(num))
        return -EINVAL;
    memcpy(num, s, len);
    num[len] = '\0';
    if (work_parse_count(num, 1, 100, &pct) != 0)
        return -EINVAL;
    rc = work_meminfo("MemAvailable", &avail);
    if (rc)
        return rc;
    *out_bytes = avail / 100 * (uint64_t)pct;
    return 0;
}

int work_parse_size(const char *s, uint64_t *out_bytes)
{
    size_t len = strlen(s);
    unsigned long long v;
    uint64_t mult = 1;
    char *end;

    if (len == 0)
        return -EINVAL;
    if (s[len - 1] == '%')
        return work_parse_percent(s, len - 1, out_bytes);
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-')
        return -EINVAL;
    switch (*end) {
    case '\0':
        break;
    case 'K':
    case 'k':
        mult = 1ull << 10;
        break;
    case 'M':
    case 'm':
        mult = 1ull << 20;
        break;
    case 'G':
    case 'g':
        mult = 1ull << 30;
        break;
    default:
        return -EINVAL;
    }
    if (*end != '\0' && end[1] != '\0')
        return -EINVAL;
    if (v == 0 || v > UINT64_MAX / mult)
        return -EINVAL;
    *out_bytes = v * mult;
    return 0;
}

int work_spawn_wait(char *const argv[])
{
    int status;
    pid_t pid = fork();

    if (pid < 0)
        return -errno;
    if (pid == 0) {
        execv(argv[0], argv);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -errno;
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

void work_bench_line(const char *name, double value, const char *unit)
{
    printf("BENCH %s %.3f %s\n", name, value, unit);
    fflush(stdout);
}
