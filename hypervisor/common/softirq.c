/* Softirqs: interrupt handlers raise them; the idle loop (later, exit-to-guest) runs them. */
#include <tern/bug.h>
#include <tern/percpu.h>
#include <tern/smp.h>
#include <tern/softirq.h>
#include <asm/processor.h>

static softirq_handler_t handlers[NR_SOFTIRQS];
static unsigned long pending[NR_CPUS];

void open_softirq(unsigned int nr, softirq_handler_t handler)
{
    BUG_ON(nr >= NR_SOFTIRQS);
    handlers[nr] = handler;
}

void raise_softirq(unsigned int nr)
{
    __atomic_fetch_or(&pending[smp_processor_id()], 1ul << nr, __ATOMIC_SEQ_CST);
}

void cpu_raise_softirq(unsigned int cpu, unsigned int nr)
{
    unsigned long old = __atomic_fetch_or(&pending[cpu], 1ul << nr, __ATOMIC_SEQ_CST);

    if (cpu != smp_processor_id() && !(old & (1ul << nr)))
        smp_send_event_check(cpu);
}

bool softirq_is_raised(unsigned int cpu, unsigned int nr)
{
    return __atomic_load_n(&pending[cpu], __ATOMIC_ACQUIRE) & (1ul << nr);
}

bool softirq_pending(unsigned int cpu)
{
    return __atomic_load_n(&pending[cpu], __ATOMIC_ACQUIRE) != 0;
}

/* One softirq at a time: a handler (the scheduler) may never return. */
void do_softirq(void)
{
    unsigned int cpu = smp_processor_id();
    unsigned long bits;

    while ((bits = __atomic_load_n(&pending[cpu], __ATOMIC_ACQUIRE))) {
        unsigned int nr = (unsigned int)__builtin_ctzl(bits);
        __atomic_fetch_and(&pending[cpu], ~(1ul << nr), __ATOMIC_ACQ_REL);
        if (handlers[nr])
            handlers[nr]();
    }
}
