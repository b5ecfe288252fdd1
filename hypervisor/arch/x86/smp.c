/* IPIs: cross-CPU function calls and wake-ups; the idle loop. */
#include <tern/mm.h>
#include <tern/bug.h>
#include <tern/irq.h>
#include <tern/percpu.h>
#include <tern/printk.h>
#include <tern/smp.h>
#include <tern/softirq.h>
#include <tern/spinlock.h>
#include <tern/time.h>
#include <asm/apic.h>
#include <asm/processor.h>

unsigned long __per_cpu_offset[NR_CPUS];
DEFINE_PER_CPU(unsigned long, idle_halts);

static DEFINE_SPINLOCK(call_lock);
static struct {
    void (*fn)(void *);
    void *data;
    unsigned int pending;
} call;
static bool call_wanted[NR_CPUS]; /* set for each target; cleared by whoever runs it */

/* Runs the current call on this CPU if it is still owed; from the IPI or a waiter. */
static void run_owed_call(void)
{
    if (__atomic_exchange_n(&call_wanted[smp_processor_id()], false, __ATOMIC_ACQ_REL)) {
        call.fn(call.data);
        __atomic_fetch_sub(&call.pending, 1, __ATOMIC_RELEASE);
    }
}

void smp_answer_call(void)
{
    run_owed_call();
}

static void call_function_interrupt(struct cpu_user_regs *regs)
{
    run_owed_call();
}

static void event_check_interrupt(struct cpu_user_regs *regs)
{
    /* Waking from hlt is the point; the idle loop runs the softirqs. */
}

/*
 * Runs fn on every other online CPU and waits for all of them. Callers may have
 * interrupts off (guest page-fault emulation flushes TLBs this way), so a CPU waiting
 * for call_lock answers the call in flight itself: two CPUs calling at once cannot
 * wait on each other.
 */
void smp_call_function(void (*fn)(void *), void *data)
{
    unsigned int me = smp_processor_id();
    s_time_t deadline;

    while (!spin_trylock(&call_lock)) {
        run_owed_call();
        cpu_relax();
    }
    call.fn = fn;
    call.data = data;
    call.pending = nr_cpus_online - 1;
    for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
        if (cpu != me && cpu_online(cpu))
            __atomic_store_n(&call_wanted[cpu], true, __ATOMIC_SEQ_CST);
    for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
        if (cpu != me && cpu_online(cpu))
            apic_send_ipi(cpu_apic_id[cpu], CALL_FUNCTION_VECTOR);
    deadline = NOW() + SECONDS(10); /* a CPU that never answers is a hypervisor bug */
    while (__atomic_load_n(&call.pending, __ATOMIC_ACQUIRE)) {
        if (NOW() > deadline)
            panic("smp_call_function: %u CPUs did not answer", call.pending);
        cpu_relax();
    }
    spin_unlock(&call_lock);
}

void smp_send_event_check(unsigned int cpu)
{
    if (cpu_online(cpu))
        apic_send_ipi(cpu_apic_id[cpu], EVENT_CHECK_VECTOR);
}

void smp_init_ipis(void)
{
    set_irq_handler(CALL_FUNCTION_VECTOR, call_function_interrupt);
    set_irq_handler(EVENT_CHECK_VECTOR, event_check_interrupt);
}

void __attribute__((noreturn)) idle_loop(void)
{
    unsigned int cpu = smp_processor_id();

    for (;;) {
        local_irq_disable();
        if (softirq_pending(cpu)) {
            local_irq_enable();
            do_softirq();
            continue;
        }
        if (heap_scrub_pending()) {
            /* a frame scrubbed: look again; none here: halt, and go on at the next wake-up */
            local_irq_enable();
            if (heap_scrub_some())
                continue;
            local_irq_disable();
            if (softirq_pending(cpu)) {
                local_irq_enable();
                continue;
            }
        }
        this_cpu(idle_halts)++;
        safe_halt();
    }
}
