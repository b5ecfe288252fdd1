/* System time: nanoseconds since boot, from the TSC calibrated against the PIT. */
#ifndef TERN_TIME_H
#define TERN_TIME_H

#include <tern/types.h>

#define MILLISECS(ms) ((s_time_t)(ms) * 1000000)
#define MICROSECS(us) ((s_time_t)(us) * 1000)
#define SECONDS(s)    ((s_time_t)(s) * 1000000000)

s_time_t NOW(void);
void time_calibrate(void);
void time_init_hpet(void);
uint64_t tsc_khz(void);
uint64_t apic_timer_khz(void);
/* Arms this CPU's one-shot timer interrupt for an absolute time (0 = off). */
void arch_timer_program(s_time_t deadline);
/* An independent reference clock (HPET, else ACPI PM timer), in ns; -1 when none. */
s_time_t reference_clock_ns(void);
const char *reference_clock_name(void);
void udelay(unsigned long us);
void rtc_init(void);
/* The pvclock parameters every vCPU gets: NOW() = scale(rdtsc() - tsc0). */
void time_pvclock_params(uint64_t *tsc0, uint32_t *mul, int8_t *shift);
uint64_t wallclock_at_boot_ns(void);

#endif
