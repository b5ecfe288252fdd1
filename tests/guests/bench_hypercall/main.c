/*
 * bench_hypercall: round trip of the cheapest hypercall (xen_version(0)) through a bare
 * syscall and through the hypercall page, beside a plain function call in the same run.
 */
#include "bench.h"

const char test_title[] = "hypercall round trip";

static __attribute__((noinline)) long plain_call(long x)
{
    asm volatile("" ::: "memory");
    return x + 1;
}

void test_main(void)
{
    uint64_t n = bench_arg("n", 200000), t0, t1, t2, t3;
    long sink = 0;

    pv_map_shared_info();
    t0 = pv_now();
    for (uint64_t i = 0; i < n; i++)
        sink += hypercall1(__HYPERVISOR_xen_version, 0);
    t1 = pv_now();
    for (uint64_t i = 0; i < n; i++)
        sink += hypercall_page1(__HYPERVISOR_xen_version, 0);
    t2 = pv_now();
    for (uint64_t i = 0; i < n * 10; i++)
        sink += plain_call(sink);
    t3 = pv_now();
    ASSERT(sink != 0);
    bench_report("hypercall_syscall_ns", (t1 - t0) * 1000 / n, "ns");
    bench_report("hypercall_page_ns", (t2 - t1) * 1000 / n, "ns");
    bench_report("function_call_ns", (t3 - t2) * 1000 / (n * 10), "ns");
}
