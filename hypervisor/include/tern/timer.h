/* Per-CPU one-shot software timers, run from TIMER_SOFTIRQ. */
#ifndef TERN_TIMER_H
#define TERN_TIMER_H

#include <tern/timerq.h>

/* Binds t to a CPU; its function runs there. */
void init_timer(struct timer *t, void (*fn)(void *), void *data, unsigned int cpu);
int set_timer(struct timer *t, s_time_t expires);
void stop_timer(struct timer *t);
/* Stops t and waits until its function is not running on any CPU: before t is freed. */
void kill_timer(struct timer *t);
/* Arms t on cpu, taking it off the queue of the CPU it was last armed on. */
int set_timer_on(struct timer *t, unsigned int cpu, s_time_t expires);
/* Makes room in every CPU's heap for n more vCPU timers (n < 0 gives it back). */
int timers_reserve(int n);
int timers_init_cpu(unsigned int cpu);
void timers_init(void);

#endif
