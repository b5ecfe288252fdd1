/*
 * spin: a CPU-bound guest for scheduler tests. It counts loop iterations until `ms=N`
 * milliseconds of system time have passed and reports the count, so that guests with
 * different weights or caps can be compared in one run.
 */
#include "pv.h"

const char test_title[] = "CPU-bound loop for fair-share and cap tests";

static uint64_t arg_ms(void)
{
    const char *p = start_info->cmd_line;
    uint64_t v = 0;

    for (; *p; p++) {
        if (p[0] == 'm' && p[1] == 's' && p[2] == '=') {
            for (p += 3; *p >= '0' && *p <= '9'; p++)
                v = v * 10 + (uint64_t)(*p - '0');
            return v;
        }
    }
    return 1000;
}

void test_main(void)
{
    uint64_t ms = arg_ms(), start, end, count = 0;

    pv_map_shared_info();
    start = pv_now();
    end = start + ms * 1000000ULL;
    while (pv_now() < end) {
        for (volatile unsigned int i = 0; i < 1000; i++)
            ;
        count++;
    }
    guest_printf("spin: %llu iterations in %llu ms\n", (unsigned long long)count,
                 (unsigned long long)((pv_now() - start) / 1000000ULL));
    ASSERT(count > 0);
}
