/* Deferred work: per-CPU pending bits run outside interrupt context. */
#ifndef TERN_SOFTIRQ_H
#define TERN_SOFTIRQ_H

enum { TIMER_SOFTIRQ, SCHEDULE_SOFTIRQ, TASKLET_SOFTIRQ, NR_SOFTIRQS };

typedef void (*softirq_handler_t)(void);

void open_softirq(unsigned int nr, softirq_handler_t handler);
void raise_softirq(unsigned int nr);
void cpu_raise_softirq(unsigned int cpu, unsigned int nr);
void do_softirq(void);
bool softirq_pending(unsigned int cpu);
bool softirq_is_raised(unsigned int cpu, unsigned int nr);

#endif
