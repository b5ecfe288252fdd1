/* The CMOS real-time clock, read once at boot to give guests a wall clock. */
#include <tern/printk.h>
#include <tern/time.h>
#include <asm/processor.h>

#define CMOS_INDEX 0x70
#define CMOS_DATA  0x71

static uint8_t cmos(uint8_t reg)
{
    outb(CMOS_INDEX, reg);
    return inb(CMOS_DATA);
}

static unsigned int bcd(uint8_t v, bool binary)
{
    return binary ? v : (v >> 4) * 10 + (v & 15);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static uint64_t days_from_civil(unsigned int y, unsigned int m, unsigned int d)
{
    y -= m <= 2;
    uint64_t era = y / 400, yoe = y - era * 400;
    uint64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    uint64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static uint64_t boot_epoch_s;
static s_time_t boot_epoch_at;

/* Reads the RTC twice, waiting out an update in progress, so the fields agree. */
void rtc_init(void)
{
    uint8_t s, mi, h, d, mo, y, s2, regb;
    unsigned int tries = 0;

    do {
        while ((cmos(0x0a) & 0x80) && tries++ < 1000000)
            cpu_relax();
        s = cmos(0x00), mi = cmos(0x02), h = cmos(0x04), d = cmos(0x07), mo = cmos(0x08), y = cmos(0x09);
        s2 = cmos(0x00);
    } while (s != s2 && tries++ < 1000000);
    regb = cmos(0x0b);
    bool binary = regb & 0x04, h24 = regb & 0x02;
    unsigned int hour = bcd(h & 0x7f, binary);
    if (!h24 && (h & 0x80))
        hour = (hour % 12) + 12;
    unsigned int year = 2000 + bcd(y, binary);
    boot_epoch_s = days_from_civil(year, bcd(mo, binary), bcd(d, binary)) * 86400 + hour * 3600 +
                   bcd(mi, binary) * 60 + bcd(s, binary);
    boot_epoch_at = NOW();
    pr_info("time: RTC says %04u-%02u-%02u %02u:%02u:%02u UTC\n", year, bcd(mo, binary), bcd(d, binary),
            hour, bcd(mi, binary), bcd(s, binary));
}

/* Wall-clock time (ns since 1970) at system time 0, as guests' shared_info wants it. */
uint64_t wallclock_at_boot_ns(void)
{
    return boot_epoch_s * 1000000000ull - (uint64_t)boot_epoch_at;
}
