/* clockcheck: CLOCK_MONOTONIC and CLOCK_REALTIME must advance together, and never backwards. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "work.h"

#define CLOCKCHECK_SPIN_READS 200000
/* Allowed disagreement of the two clocks: 20 ms plus 0.5% of the interval. */
#define CLOCKCHECK_SLACK_NS(req) (20000000ull + (req) / 200)
/* A sleep may overrun (a busy or emulated host), but not by more than this. */
#define CLOCKCHECK_OVERRUN_NS (5000000000ull)

/* Reads the monotonic clock back to back; counts readings lower than the one before. */
static uint64_t clockcheck_backsteps(void)
{
    uint64_t prev = work_now_ns(), back = 0;

    for (int i = 0; i < CLOCKCHECK_SPIN_READS; i++) {
        uint64_t now = work_now_ns();

        if (now < prev)
            back++;
        prev = now;
    }
    return back;
}

static int clockcheck_sleep(uint64_t ns)
{
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ull),
                          .tv_nsec = (long)(ns % 1000000000ull)};

    while (nanosleep(&ts, &ts) != 0) {
        if (errno != EINTR)
            return -errno;
    }
    return 0;
}

int clockcheck_main(int argc, char **argv)
{
    uint64_t req = 1000000000ull, m0, r0, m1, r1, dm, dr, diff, back;
    int ok;

    if (argc > 2 || (argc == 2 && work_parse_seconds(argv[1], &req) != 0)) {
        fprintf(stderr, "usage: clockcheck [SECONDS]\n");
        return 2;
    }
    back = clockcheck_backsteps();
    m0 = work_clock_ns(CLOCK_MONOTONIC);
    r0 = work_clock_ns(CLOCK_REALTIME);
    if (clockcheck_sleep(req) != 0) {
        printf("CLOCKCHECK FAIL nanosleep failed\n");
        return 1;
    }
    m1 = work_clock_ns(CLOCK_MONOTONIC);
    r1 = work_clock_ns(CLOCK_REALTIME);
    dm = m1 - m0;
    dr = r1 > r0 ? r1 - r0 : 0;
    diff = dm > dr ? dm - dr : dr - dm;
    back += clockcheck_backsteps();
    ok = m1 > m0 && r1 > r0 && dm >= req && dm <= req + CLOCKCHECK_OVERRUN_NS &&
         diff <= CLOCKCHECK_SLACK_NS(req) && back == 0;
    printf("CLOCKCHECK %s requested_ns=%" PRIu64 " monotonic_ns=%" PRIu64 " realtime_ns=%" PRIu64
           " diff_ns=%" PRIu64 " backsteps=%" PRIu64 " realtime_s=%" PRIu64 "\n",
           ok ? "PASS" : "FAIL", req, dm, dr, diff, back, r1 / (uint64_t)1000000000);
    return ok ? 0 : 1;
}
