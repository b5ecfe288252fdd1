/* Software timers: a min-heap per CPU; the local APIC timer is armed for the earliest. */
#include <tern/bug.h>
#include <tern/errno.h>
#include <tern/irq.h>
#include <tern/smp.h>
#include <tern/softirq.h>
#include <tern/spinlock.h>
#include <tern/time.h>
#include <tern/timer.h>
#include <tern/xmalloc.h>
#include <asm/processor.h>

/*
 * A vCPU's timers go to whichever CPU armed them last, so any one CPU's heap may have to
 * hold all of them: each heap has room for the hypervisor's own timers plus every vCPU
 * timer there is, and grows when vCPUs are made (timers_reserve), never in set_timer.
 */
#define OWN_TIMERS 64

static DEFINE_SPINLOCK(reserve_lock);
static unsigned int vcpu_timers; /* under reserve_lock */

static struct {
    spinlock_t lock;
    struct timerq q;
    struct timer *running; /* whose function runs now, for kill_timer */
} cpu_timers[NR_CPUS];

void init_timer(struct timer *t, void (*fn)(void *), void *data, unsigned int cpu)
{
    timer_init(t, fn, data);
    t->cpu = cpu;
}

/* Caller holds the CPU's lock. Re-arms the hardware for the head of the queue. */
static void reprogram(unsigned int cpu)
{
    struct timer *first = timerq_first(&cpu_timers[cpu].q);
    /* 0 tells the hardware "no timer": a guest's deadline of 0 (long past) must still fire */
    s_time_t at = !first ? 0 : first->expires > 0 ? first->expires : 1;

    if (cpu == smp_processor_id())
        arch_timer_program(at);
    else
        cpu_raise_softirq(cpu, TIMER_SOFTIRQ); /* it re-arms itself */
}

int set_timer(struct timer *t, s_time_t expires)
{
    unsigned int cpu = t->cpu;
    unsigned long flags;
    int rc;

    spin_lock_irqsave(&cpu_timers[cpu].lock, flags);
    t->expires = expires;
    rc = timerq_add(&cpu_timers[cpu].q, t);
    if (!rc && timerq_first(&cpu_timers[cpu].q) == t)
        reprogram(cpu);
    spin_unlock_irqrestore(&cpu_timers[cpu].lock, flags);
    return rc;
}

void stop_timer(struct timer *t)
{
    unsigned long flags;

    spin_lock_irqsave(&cpu_timers[t->cpu].lock, flags);
    if (t->active)
        timerq_del(&cpu_timers[t->cpu].q, t);
    spin_unlock_irqrestore(&cpu_timers[t->cpu].lock, flags);
}

void kill_timer(struct timer *t)
{
    unsigned int cpu = t->cpu;

    stop_timer(t);
    while (__atomic_load_n(&cpu_timers[cpu].running, __ATOMIC_ACQUIRE) == t)
        cpu_relax();
}

int set_timer_on(struct timer *t, unsigned int cpu, s_time_t expires)
{
    /*
     * A vCPU's timer follows the CPU that last armed it. Left on the old CPU's queue,
     * set_timer would refuse it (-EBUSY) and the old expiry would stand.
     */
    if (t->cpu != cpu) {
        stop_timer(t);
        t->cpu = cpu;
    }
    return set_timer(t, expires);
}

static void timer_softirq(void)
{
    unsigned int cpu = smp_processor_id();
    unsigned long flags;
    struct timer *t;

    spin_lock_irqsave(&cpu_timers[cpu].lock, flags);
    while ((t = timerq_pop_expired(&cpu_timers[cpu].q, NOW()))) {
        /* the lock is dropped so a handler may re-arm its own timer */
        __atomic_store_n(&cpu_timers[cpu].running, t, __ATOMIC_RELEASE);
        spin_unlock_irqrestore(&cpu_timers[cpu].lock, flags);
        t->fn(t->data);
        spin_lock_irqsave(&cpu_timers[cpu].lock, flags);
        __atomic_store_n(&cpu_timers[cpu].running, NULL, __ATOMIC_RELEASE);
    }
    reprogram(cpu);
    spin_unlock_irqrestore(&cpu_timers[cpu].lock, flags);
}

static void timer_interrupt(struct cpu_user_regs *regs)
{
    raise_softirq(TIMER_SOFTIRQ);
}

/* Caller holds reserve_lock. Gives each set-up CPU's heap room for want timers. */
static int grow_heaps(unsigned int want)
{
    for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
        struct timerq *q = &cpu_timers[cpu].q;
        unsigned int cap = want * 2; /* room to spare: growing copies the heap */
        struct timer **storage, **old;
        unsigned long flags;

        if (!q->heap || q->capacity >= want)
            continue;
        if (!(storage = xzalloc_array(struct timer *, cap)))
            return -ENOMEM;
        spin_lock_irqsave(&cpu_timers[cpu].lock, flags);
        old = timerq_move(q, storage, cap);
        spin_unlock_irqrestore(&cpu_timers[cpu].lock, flags);
        xfree(old);
    }
    return 0;
}

int timers_reserve(int n)
{
    int rc = 0;

    spin_lock(&reserve_lock);
    if (n > 0)
        rc = grow_heaps(OWN_TIMERS + vcpu_timers + (unsigned int)n);
    if (!rc)
        vcpu_timers += (unsigned int)n;
    spin_unlock(&reserve_lock);
    return rc;
}

int timers_init_cpu(unsigned int cpu)
{
    unsigned int cap;
    struct timer **storage;

    spin_lock(&reserve_lock);
    cap = (OWN_TIMERS + vcpu_timers) * 2;
    storage = xzalloc_array(struct timer *, cap);
    if (storage) {
        cpu_timers[cpu].lock = (spinlock_t)SPIN_LOCK_UNLOCKED;
        timerq_init(&cpu_timers[cpu].q, storage, cap, cpu);
    }
    spin_unlock(&reserve_lock);
    return storage ? 0 : -ENOMEM;
}

void timers_init(void)
{
    open_softirq(TIMER_SOFTIRQ, timer_softirq);
    set_irq_handler(TIMER_VECTOR, timer_interrupt);
    BUG_ON(timers_init_cpu(0));
}
