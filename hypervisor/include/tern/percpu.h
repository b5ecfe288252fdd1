/* Per-CPU variables: a template section copied once per CPU. */
#ifndef TERN_PERCPU_H
#define TERN_PERCPU_H

#include <asm/current.h>

#define DEFINE_PER_CPU(type, name) __attribute__((section(".percpu.data"))) __typeof__(type) per_cpu__##name
#define DECLARE_PER_CPU(type, name) extern __typeof__(type) per_cpu__##name

extern unsigned long __per_cpu_offset[NR_CPUS];

#define per_cpu(name, cpu) \
    (*(__typeof__(per_cpu__##name) *)((char *)&per_cpu__##name + __per_cpu_offset[cpu]))
#define this_cpu(name) \
    (*(__typeof__(per_cpu__##name) *)((char *)&per_cpu__##name + get_cpu_info()->per_cpu_offset))

int percpu_alloc(unsigned int cpu);

#endif
