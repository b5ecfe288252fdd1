/* Helpers for benchmark guests. */
#include "bench.h"

uint64_t bench_arg(const char *name, uint64_t def)
{
    size_t n = strlen(name);

    for (const char *p = start_info->cmd_line; *p; p++) {
        if ((p == start_info->cmd_line || p[-1] == ' ') && !strncmp(p, name, n) && p[n] == '=') {
            uint64_t v = 0;
            for (p += n + 1; *p >= '0' && *p <= '9'; p++)
                v = v * 10 + (uint64_t)(*p - '0');
            return v;
        }
    }
    return def;
}

void bench_report(const char *name, uint64_t value_milli, const char *unit)
{
    guest_printf("BENCH %s %llu.%03llu %s\n", name, (unsigned long long)(value_milli / 1000),
                 (unsigned long long)(value_milli % 1000), unit);
}
