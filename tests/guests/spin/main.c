/*
 * spin: a CPU-bound guest for scheduler tests. It counts loop iterations until `ms=N`
 * milliseconds of system time have passed and reports the count, so that guests with
 * different weights or caps can be compared in one run. With `from=T` it first sleeps until
 * T ms of system time (shared by all domains) and counts until T + N ms, so that many guests
 * count over one window.
 */
#include "pv.h"
#include "test.h"

const char test_title[] = "CPU-bound loop for fair-share and cap tests";

static volatile unsigned int ticks;
static unsigned int timer_port;

static void on_port(unsigned int port)
{
    if (port == timer_port)
        ticks++;
}

/* Blocks on VIRQ_TIMER until system time t; false if t had already passed. */
static bool sleep_until(uint64_t t)
{
    struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };

    if (pv_now() >= t)
        return false;
    traps_install();
    event_port_hook = on_port;
    ASSERT_RC(hypervisor_event_channel_op(EVTCHNOP_bind_virq, &bv), 0);
    timer_port = bv.port;
    events_enable();
    while (pv_now() < t) {
        ASSERT_RC(hypercall1(__HYPERVISOR_set_timer_op, t), 0);
        ASSERT_RC(hypervisor_sched_op(SCHEDOP_block, NULL), 0);
        events_disable();
        events_enable(); /* deliver what woke us */
    }
    return true;
}

void test_main(void)
{
    uint64_t ms = cmdline_num("ms", 1000), from = cmdline_num("from", 0), start, end, count = 0;

    pv_map_shared_info();
    if (from && !sleep_until(from * 1000000ULL))
        guest_printf("spin: started after from=%llu ms\n", (unsigned long long)from);
    start = pv_now();
    /* a shared window ends at one time for all: one that started late must not run on alone */
    end = (from ? from * 1000000ULL : start) + ms * 1000000ULL;
    while (pv_now() < end) {
        for (volatile unsigned int i = 0; i < 1000; i++)
            ;
        count++;
    }
    guest_printf("spin: %llu iterations in %llu ms\n", (unsigned long long)count,
                 (unsigned long long)((pv_now() - start) / 1000000ULL));
    ASSERT(count > 0);
}
