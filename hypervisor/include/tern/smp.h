/* CPUs: bring-up, IPIs and cross-CPU function calls. */
#ifndef TERN_SMP_H
#define TERN_SMP_H

#include <tern/percpu.h>
#include <tern/types.h>
#include <asm/current.h>

extern unsigned int nr_cpus_online;
extern uint32_t cpu_apic_id[NR_CPUS];

void smp_boot_cpus(void);
/* Runs fn(data) on every other online CPU and waits for all of them. */
void smp_call_function(void (*fn)(void *), void *data);
void smp_send_event_check(unsigned int cpu);
void smp_init_ipis(void);
bool cpu_online(unsigned int cpu);
void __attribute__((noreturn)) idle_loop(void);
DECLARE_PER_CPU(unsigned long, idle_halts); /* for the debug keys */

#endif
