/*
 * bench_ctxsw: run with two (or more) copies on one CPU; each yields in a loop for
 * `ms` milliseconds, so every yield switches to the other domain. Reports yields per
 * second; a single copy alone gives the yield cost without a switch.
 */
#include "bench.h"

const char test_title[] = "context switch between domains";

void test_main(void)
{
    uint64_t ms = bench_arg("ms", 1000), start, end, yields = 0;

    pv_map_shared_info();
    start = pv_now();
    end = start + ms * 1000000ULL;
    while (pv_now() < end) {
        hypervisor_sched_op(SCHEDOP_yield, NULL);
        yields++;
    }
    bench_report("yields_per_s", yields * 1000000000ULL / (pv_now() - start) * 1000, "1/s");
}
