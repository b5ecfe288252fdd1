/*
 * Time: the TSC (and the local APIC timer) calibrated against PIT channel 2. The HPET or
 * the ACPI PM timer is kept as an independent reference to check the calibration.
 */
#include <tern/acpi.h>
#include <tern/bug.h>
#include <tern/mm.h>
#include <tern/printk.h>
#include <tern/time.h>
#include <asm/apic.h>
#include <asm/processor.h>

#define PIT_HZ        1193182
#define CAL_MS        50
#define HPET_CAP      0x000
#define HPET_CONFIG   0x010
#define HPET_COUNTER  0x0f0

static uint64_t tsc_hz, apic_hz, tsc_at_boot;
static uint64_t ns_mul; /* ns = (tsc * ns_mul) >> 32 */
static volatile uint64_t *hpet;
static uint64_t hpet_period_fs;
/* fixed-point factors, so no 128-bit division is needed: x = (ticks * mul) >> 32 */
static uint64_t hpet_ns_mul, apic_ticks_per_ns_mul;

static uint64_t tsc_to_ns(uint64_t delta)
{
    return (uint64_t)(((unsigned __int128)delta * ns_mul) >> 32);
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

/* Counts CAL_MS on PIT channel 2 (gated by port 0x61) and returns TSC and APIC ticks. */
static void pit_measure(uint64_t *tsc_ticks, uint64_t *apic_ticks)
{
    uint16_t count = PIT_HZ * CAL_MS / 1000;
    uint64_t t0;
    uint32_t a0;

    outb(0x61, (inb(0x61) & ~0x02) | 0x01); /* gate on, speaker off */
    outb(0x43, 0xb0);                        /* channel 2, lobyte/hibyte, mode 0 */
    outb(0x42, count & 0xff);
    outb(0x42, count >> 8);
    apic_timer_prepare_calibration();
    t0 = rdtsc();
    a0 = apic_timer_current();
    for (unsigned long spins = 0; !(inb(0x61) & 0x20); spins++)
        BUG_ON(spins > 1000000000ul); /* the PIT never reached terminal count */
    *tsc_ticks = rdtsc() - t0;
    *apic_ticks = a0 - apic_timer_current();
}

void time_calibrate(void)
{
    uint64_t tsc_ticks, apic_ticks;

    pit_measure(&tsc_ticks, &apic_ticks);
    tsc_hz = tsc_ticks * 1000 / CAL_MS;
    apic_hz = apic_ticks * 1000 / CAL_MS;
    ns_mul = (1000000000ull << 32) / tsc_hz;
    apic_ticks_per_ns_mul = (apic_hz << 32) / 1000000000ull;
    tsc_at_boot = rdtsc();
    pr_info("time: TSC %lu.%03lu MHz, APIC timer %lu.%03lu MHz (PIT-calibrated)\n",
            (unsigned long)(tsc_hz / 1000000), (unsigned long)(tsc_hz / 1000 % 1000),
            (unsigned long)(apic_hz / 1000000), (unsigned long)(apic_hz / 1000 % 1000));
}

void time_init_hpet(void)
{
    if (!acpi_info.hpet_base)
        return;
    hpet = ioremap(acpi_info.hpet_base, 1024);
    if (!hpet)
        return;
    hpet_period_fs = hpet[HPET_CAP / 8] >> 32;
    if (!hpet_period_fs || hpet_period_fs > 100000000) {
        hpet = NULL; /* period must be <= 100 ns by spec */
        return;
    }
    hpet_ns_mul = (hpet_period_fs << 32) / 1000000;
    hpet[HPET_CONFIG / 8] |= 1; /* counter running */
}

const char *reference_clock_name(void)
{
    if (hpet)
        return "HPET";
    return acpi_info.pm_timer_port ? "ACPI PM timer" : "none";
}

/* The PM timer wraps (24 or 32 bits), so it is sampled often enough to extend it. */
static s_time_t pm_timer_ns(void)
{
    static uint32_t last;
    static uint64_t ticks;
    uint32_t mask = acpi_info.pm_timer_32bit ? 0xffffffffu : 0xffffffu;
    uint32_t now = inl(acpi_info.pm_timer_port) & mask;

    ticks += (now - last) & mask;
    last = now;
    return (s_time_t)(ticks * 1000000000ull / 3579545);
}

s_time_t reference_clock_ns(void)
{
    if (hpet)
        return (s_time_t)(((unsigned __int128)hpet[HPET_COUNTER / 8] * hpet_ns_mul) >> 32);
    if (acpi_info.pm_timer_port)
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
