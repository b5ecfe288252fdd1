/*
 * Time: the TSC drives system time. It is calibrated against a platform counter (HPET,
 * else the ACPI PM timer, else PIT channel 2), and the local APIC timer against the
 * TSC. Each sample reads the counter between two TSC reads and keeps the tightest
 * pair, so a vCPU preempted by the host (common under TCG) does not skew the result.
 * A second platform counter, when there is one, is kept as an independent reference.
 */
#include <tern/acpi.h>
#include <tern/bug.h>
#include <tern/mm.h>
#include <tern/printk.h>
#include <tern/time.h>
#include <asm/apic.h>
#include <asm/processor.h>

#define PIT_HZ        1193182
#define PMTMR_HZ      3579545
#define CAL_MS        50
#define HPET_CAP      0x000
#define HPET_CONFIG   0x010
#define HPET_COUNTER  0x0f0

enum clock_src { CLK_NONE, CLK_HPET, CLK_PMTMR, CLK_PIT };
static const char *const clock_names[] = { "none", "HPET", "ACPI PM timer", "PIT" };

static uint64_t tsc_hz, apic_hz, tsc_at_boot;
/* fixed-point factors, so no 128-bit division is needed: x = (ticks * mul) >> 32 */
static uint64_t ns_mul, hpet_ns_mul, apic_ticks_per_ns_mul;
static volatile uint64_t *hpet;
static enum clock_src cal_src, ref_src;

/*
 * System time is pvclock's own formula over one fixed origin, so every guest vCPU can be
 * given the same (tsc_at_boot, 0, mul, shift) and computes exactly our NOW(): one
 * monotonic clock across all vCPUs.
 */
static uint32_t pv_mul;
static int8_t pv_shift;

static uint64_t tsc_to_ns(uint64_t delta)
{
    delta = pv_shift >= 0 ? delta << pv_shift : delta >> -pv_shift;
    return (uint64_t)(((unsigned __int128)delta * pv_mul) >> 32);
}

static void compute_pvclock_scale(void)
{
    uint64_t scale = ns_mul; /* ns per tick in 32.32 */
    int shift = 0;

    while (scale >= (1ull << 32)) {
        scale >>= 1;
        shift++;
    }
    while (scale < (1ull << 31)) {
        scale <<= 1;
        shift--;
    }
    pv_mul = (uint32_t)scale;
    pv_shift = (int8_t)shift;
}

void time_pvclock_params(uint64_t *tsc0, uint32_t *mul, int8_t *shift)
{
    *tsc0 = tsc_at_boot;
    *mul = pv_mul;
    *shift = pv_shift;
}

s_time_t NOW(void)
{
    return (s_time_t)tsc_to_ns(rdtsc() - tsc_at_boot);
}

uint64_t tsc_khz(void)
{
    return tsc_hz / 1000;
}

uint64_t apic_timer_khz(void)
{
    return apic_hz / 1000;
}

static uint64_t counter_read(enum clock_src src)
{
    if (src == CLK_HPET)
        return hpet[HPET_COUNTER / 8];
    return inl(acpi_info.pm_timer_port);
}

static uint64_t counter_mask(enum clock_src src)
{
    if (src == CLK_HPET)
        return ~0ull;
    return acpi_info.pm_timer_32bit ? 0xffffffffull : 0xffffffull;
}

static uint64_t counter_hz(enum clock_src src)
{
    return src == CLK_HPET ? 1000000000000000ull / (hpet[HPET_CAP / 8] >> 32) : PMTMR_HZ;
}

/* Reads the counter between two TSC reads; keeps the tightest of a few tries. */
static void sample(enum clock_src src, uint64_t *tsc, uint64_t *count)
{
    uint64_t best = ~0ull;

    for (int i = 0; i < 8; i++) {
        uint64_t t0 = rdtsc(), c = counter_read(src), t1 = rdtsc();
        if (t1 - t0 < best) {
            best = t1 - t0;
            *tsc = t0 + (t1 - t0) / 2;
            *count = c;
        }
    }
}

static uint64_t calibrate_against_counter(enum clock_src src)
{
    uint64_t hz = counter_hz(src), mask = counter_mask(src), want = hz * CAL_MS / 1000;
    uint64_t t0, c0, t1, c1;

    sample(src, &t0, &c0);
    do {
        cpu_relax();
        c1 = counter_read(src);
    } while (((c1 - c0) & mask) < want);
    sample(src, &t1, &c1);
    /* 50 ms of TSC times a counter rate of at most a few GHz fits in 64 bits */
    return (t1 - t0) * hz / ((c1 - c0) & mask);
}

/* PIT fallback: time CAL_MS on channel 2; the best (shortest) of a few runs. */
static uint64_t calibrate_against_pit(void)
{
    uint16_t count = PIT_HZ * CAL_MS / 1000;
    uint64_t best = ~0ull;

    for (int i = 0; i < 3; i++) {
        outb(0x61, (inb(0x61) & ~0x02) | 0x01); /* gate on, speaker off */
        outb(0x43, 0xb0);                        /* channel 2, lobyte/hibyte, mode 0 */
        outb(0x42, count & 0xff);
        outb(0x42, count >> 8);
        uint64_t t0 = rdtsc();
        for (unsigned long spins = 0; !(inb(0x61) & 0x20); spins++)
            BUG_ON(spins > 1000000000ul); /* the PIT never reached terminal count */
        best = min(best, rdtsc() - t0);
    }
    return best * 1000 / CAL_MS;
}

/* The APIC timer counts down at a fixed rate: measure it over a TSC interval. */
static uint64_t calibrate_apic_timer(void)
{
    uint64_t span = tsc_hz / 50, best_hz = 0, best_err = ~0ull;

    for (int i = 0; i < 3; i++) {
        apic_timer_prepare_calibration();
        uint64_t t0 = rdtsc();
        uint32_t a0 = apic_timer_current();
        uint64_t t0b = rdtsc();
        while (rdtsc() - t0 < span)
            cpu_relax();
        uint64_t t1 = rdtsc();
        uint32_t a1 = apic_timer_current();
        uint64_t t1b = rdtsc();
        uint64_t err = (t0b - t0) + (t1b - t1);
        if (err < best_err) {
            best_err = err;
            best_hz = (uint64_t)(a0 - a1) * tsc_hz / (t1 - t0);
        }
    }
    apic_timer_oneshot(0);
    return best_hz;
}

void time_init_hpet(void)
{
    uint64_t period_fs;

    if (!acpi_info.hpet_base || !(hpet = ioremap(acpi_info.hpet_base, 1024)))
        return;
    period_fs = hpet[HPET_CAP / 8] >> 32;
    if (!period_fs || period_fs > 100000000) {
        hpet = NULL; /* the period must be at most 100 ns */
        return;
    }
    hpet_ns_mul = (period_fs << 32) / 1000000;
    hpet[HPET_CONFIG / 8] |= 1; /* counter running */
}

void time_calibrate(void)
{
    if (hpet)
        cal_src = CLK_HPET;
    else if (acpi_info.pm_timer_port)
        cal_src = CLK_PMTMR;
    else
        cal_src = CLK_PIT;
    tsc_hz = cal_src == CLK_PIT ? calibrate_against_pit() : calibrate_against_counter(cal_src);
    ns_mul = (1000000000ull << 32) / tsc_hz;
    compute_pvclock_scale();
    tsc_at_boot = rdtsc();
    apic_hz = calibrate_apic_timer();
    apic_ticks_per_ns_mul = (apic_hz << 32) / 1000000000ull;
    /* an independent reference: a platform counter we did not calibrate against */
    if (cal_src != CLK_PMTMR && acpi_info.pm_timer_port)
        ref_src = CLK_PMTMR;
    else if (cal_src != CLK_HPET && hpet)
        ref_src = CLK_HPET;
    else
        ref_src = cal_src == CLK_PIT ? CLK_NONE : cal_src;
    pr_info("time: TSC %lu.%03lu MHz against the %s; APIC timer %lu.%03lu MHz\n",
            (unsigned long)(tsc_hz / 1000000), (unsigned long)(tsc_hz / 1000 % 1000),
            clock_names[cal_src], (unsigned long)(apic_hz / 1000000),
            (unsigned long)(apic_hz / 1000 % 1000));
}

const char *reference_clock_name(void)
{
    return clock_names[ref_src];
}

/* Extends the wrapping PM timer; callers sample it at least every few seconds. */
static s_time_t pm_timer_ns(void)
{
    static uint32_t last;
    static uint64_t ticks;
    uint32_t mask = (uint32_t)counter_mask(CLK_PMTMR);
    uint32_t now = inl(acpi_info.pm_timer_port) & mask;

    ticks += (now - last) & mask;
    last = now;
    return (s_time_t)(ticks * 1000000000ull / PMTMR_HZ);
}

s_time_t reference_clock_ns(void)
{
    if (ref_src == CLK_HPET)
        return (s_time_t)(((unsigned __int128)hpet[HPET_COUNTER / 8] * hpet_ns_mul) >> 32);
    if (ref_src == CLK_PMTMR)
        return pm_timer_ns();
    return -1;
}

void arch_timer_program(s_time_t deadline)
{
    s_time_t delta;
    uint64_t ticks;

    if (!deadline) {
        apic_timer_oneshot(0);
        return;
    }
    delta = deadline - NOW();
    if (delta < MICROSECS(1))
        delta = MICROSECS(1);
    ticks = (uint64_t)(((unsigned __int128)delta * apic_ticks_per_ns_mul) >> 32);
    apic_timer_oneshot(ticks > 0xffffffffu ? 0xffffffffu : (ticks ? (uint32_t)ticks : 1));
}

void udelay(unsigned long us)
{
    s_time_t end = NOW() + MICROSECS(us);
    while (NOW() < end)
        cpu_relax();
}
