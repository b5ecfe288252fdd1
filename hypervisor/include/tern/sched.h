/* The vCPU scheduler: weighted fair sharing with optional caps. */
#ifndef TERN_SCHED_H
#define TERN_SCHED_H

#include <tern/types.h>

struct vcpu;
struct domain;

#define SCHED_SLICE_NS   10000000   /* 10 ms */
#define SCHED_PERIOD_NS  100000000  /* cap accounting period: 100 ms */

void sched_init(void);
int sched_init_cpu(unsigned int cpu);
void sched_init_vcpu(struct vcpu *v);
void sched_vcpu_wake(struct vcpu *v);
void sched_vcpu_block(struct vcpu *v);
void sched_vcpu_down(struct vcpu *v);
void sched_yield(void);
/* Calls fn(d) once no vCPU of d is on a CPU any more. */
void sched_reap_when_idle(struct domain *d, void (*fn)(struct domain *));
bool is_idle_vcpu(const struct vcpu *v);
/* Pausing: vCPUs of a domain with pause_count > 0 are never picked; a pause returns once
 * none is on a CPU; after the last unpause its runnable vCPUs get CPUs again. */
void sched_domain_pause(struct domain *d);
void sched_domain_unpaused(struct domain *d);
/* A domain reference was dropped: the reaper may have been waiting for it. */
void sched_recheck_reap(void);
void sched_dump(void);
void __attribute__((noreturn)) reset_stack_and_jump(void (*fn)(void));

#endif
