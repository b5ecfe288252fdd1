/*
 * The scheduler. One runqueue for all CPUs; the runnable vCPU with the smallest
 * weighted run time (vruntime: ns of CPU scaled by 256/weight) runs next, for a slice of
 * SCHED_SLICE_NS. A capped domain's vCPU that has used its share of the current period
 * waits for the next one. Runs as SCHEDULE_SOFTIRQ; switching never returns: the new
 * context starts on a fresh stack (reset_stack_and_jump).
 */
#include <tern/bug.h>
#include <tern/domain.h>
#include <tern/event.h>
#include <tern/lib.h>
#include <tern/percpu.h>
#include <tern/printk.h>
#include <tern/sched.h>
#include <tern/smp.h>
#include <tern/softirq.h>
#include <tern/spinlock.h>
#include <tern/time.h>
#include <tern/timer.h>
#include <asm/pv.h>
#include <asm/uaccess.h>

static DEFINE_SPINLOCK(sched_lock);
static LIST_HEAD(runq);
static struct vcpu idle_vcpus[NR_CPUS];
static struct timer slice_timer[NR_CPUS];
static struct vcpu *cpu_curr[NR_CPUS]; /* what each CPU runs, for remote looks */
static struct {
    struct domain *d;
    void (*fn)(struct domain *);
} reap[64];

bool is_idle_vcpu(const struct vcpu *v)
{
    return v >= idle_vcpus && v < idle_vcpus + NR_CPUS;
}

static uint64_t min_vruntime(void)
{
    struct vcpu *v;
    uint64_t m = ~0ull;

    list_for_each_entry(v, &runq, runq)
        m = min(m, v->vruntime);
    return m == ~0ull ? 0 : m;
}

/* A poll that times out just ends; one already ended by an event is left alone. */
static void poll_timeout(void *data)
{
    struct vcpu *v = data;

    if (__atomic_load_n(&v->poll_port, __ATOMIC_SEQ_CST) != POLL_NONE)
        sched_vcpu_wake(v);
}

void sched_init_vcpu(struct vcpu *v)
{
    init_timer(&v->singleshot, pv_vcpu_timer_fn, v, 0);
    init_timer(&v->poll_timer, poll_timeout, v, 0);
    v->poll_port = POLL_NONE;
}

/* Wakes one idle CPU that is not already about to look at the runqueue. */
static void kick_idle_cpu(void)
{
    for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
        if (cpu_online(cpu) && cpu_curr[cpu] && is_idle_vcpu(cpu_curr[cpu]) &&
            !softirq_is_raised(cpu, SCHEDULE_SOFTIRQ)) {
            cpu_raise_softirq(cpu, SCHEDULE_SOFTIRQ);
            return;
        }
    }
}

/* Caller holds sched_lock. */
static void enqueue(struct vcpu *v)
{
    if (list_empty(&v->runq)) {
        uint64_t m = min_vruntime();
        /* a waking vCPU gets no credit for time it spent asleep */
        if (v->vruntime < m)
            v->vruntime = m;
        list_add_tail(&v->runq, &runq);
    }
}

void sched_vcpu_wake(struct vcpu *v)
{
    unsigned long flags;
    bool kick = false;

    spin_lock_irqsave(&sched_lock, flags);
    if ((v->state == VCPU_BLOCKED || v->state == VCPU_OFFLINE) && !v->domain->is_shutting_down) {
        __atomic_store_n(&v->poll_port, POLL_NONE, __ATOMIC_SEQ_CST); /* any wake ends a poll */
        if (v->processor < 0) {
            v->state = VCPU_RUNNABLE;
            enqueue(v);
            kick = true;
        } else {
            v->state = VCPU_RUNNING; /* woken before it left its CPU: it may stay */
        }
    }
    spin_unlock_irqrestore(&sched_lock, flags);
    if (kick)
        kick_idle_cpu();
}

/*
 * Marks v blocked. The caller then checks its wake-up condition and calls
 * sched_vcpu_wake if it already holds: a waker that set the condition before we were
 * marked found v running and did nothing, so the check must come after (the fence
 * keeps the condition's load behind the state's store).
 */
void sched_vcpu_block(struct vcpu *v)
{
    unsigned long flags;

    spin_lock_irqsave(&sched_lock, flags);
    if (v->state == VCPU_RUNNING || v->state == VCPU_RUNNABLE) {
        v->state = VCPU_BLOCKED;
        list_del(&v->runq);
        list_init(&v->runq);
    }
    spin_unlock_irqrestore(&sched_lock, flags);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    raise_softirq(SCHEDULE_SOFTIRQ);
}

void sched_vcpu_down(struct vcpu *v)
{
    unsigned long flags;
    int cpu;

    spin_lock_irqsave(&sched_lock, flags);
    v->state = VCPU_OFFLINE;
    list_del(&v->runq);
    list_init(&v->runq);
    cpu = v->processor;
    spin_unlock_irqrestore(&sched_lock, flags);
    if (cpu >= 0)
        cpu_raise_softirq((unsigned int)cpu, SCHEDULE_SOFTIRQ);
    if (cpu == (int)smp_processor_id())
        raise_softirq(SCHEDULE_SOFTIRQ);
}

void sched_yield(void)
{
    current->yielded = true; /* let anyone runnable go first, whatever their vruntime */
    raise_softirq(SCHEDULE_SOFTIRQ);
}

void sched_reap_when_idle(struct domain *d, void (*fn)(struct domain *))
{
    unsigned long flags;

    spin_lock_irqsave(&sched_lock, flags);
    for (unsigned int i = 0; i < ARRAY_SIZE(reap); i++) {
        if (!reap[i].d || reap[i].d == d) {
            reap[i].d = d;
            reap[i].fn = fn;
            break;
        }
    }
    spin_unlock_irqrestore(&sched_lock, flags);
    raise_softirq(SCHEDULE_SOFTIRQ);
}

/* Caller holds sched_lock: the next domain whose vCPUs are all off every CPU. */
static struct domain *take_reapable(void (**fn)(struct domain *))
{
    for (unsigned int i = 0; i < ARRAY_SIZE(reap); i++) {
        struct domain *d = reap[i].d;
        struct vcpu *v;
        bool busy = false;
        if (!d)
            continue;
        for_each_vcpu(d, v)
            busy |= v->processor >= 0;
        busy |= __atomic_load_n(&d->refcnt, __ATOMIC_ACQUIRE) != 0;
        if (!busy) {
            *fn = reap[i].fn;
            reap[i].d = NULL;
            return d;
        }
    }
    return NULL;
}

static bool within_cap(struct vcpu *v, s_time_t now)
{
    struct domain *d = v->domain;

    if (!d->cap)
        return true;
    if (now - v->period_start >= SCHED_PERIOD_NS) {
        v->period_start = now;
        v->period_used = 0;
    }
    return v->period_used < (s_time_t)SCHED_PERIOD_NS / 100 * d->cap;
}

static bool is_paused(const struct vcpu *v)
{
    return __atomic_load_n(&v->domain->pause_count, __ATOMIC_ACQUIRE) != 0;
}

static struct vcpu *pick_next(s_time_t now)
{
    struct vcpu *v, *best = NULL;

    list_for_each_entry(v, &runq, runq)
        if (!is_paused(v) && within_cap(v, now) && (!best || v->vruntime < best->vruntime))
            best = v;
    return best;
}

void sched_domain_pause(struct domain *d)
{
    struct vcpu *v;

    __atomic_fetch_add(&d->pause_count, 1, __ATOMIC_SEQ_CST);
    for_each_vcpu(d, v) {
        int cpu = __atomic_load_n(&v->processor, __ATOMIC_ACQUIRE);
        if (cpu >= 0)
            cpu_raise_softirq((unsigned int)cpu, SCHEDULE_SOFTIRQ);
    }
    /* each CPU running one of them reschedules on its softirq and puts it down */
    for_each_vcpu(d, v)
        while (__atomic_load_n(&v->processor, __ATOMIC_ACQUIRE) >= 0)
            cpu_relax();
}

void sched_domain_unpaused(struct domain *d)
{
    struct vcpu *v;

    for_each_vcpu(d, v)
        if (v->state == VCPU_RUNNABLE)
            kick_idle_cpu();
}

void sched_recheck_reap(void)
{
    raise_softirq(SCHEDULE_SOFTIRQ);
}

static void account(struct vcpu *v, s_time_t now)
{
    s_time_t ran = now - v->run_start;

    if (ran <= 0 || is_idle_vcpu(v))
        return;
    v->runtime += ran;
    v->period_used += ran;
    v->vruntime += (uint64_t)ran * 256 / (v->domain->weight ? v->domain->weight : 1);
    v->run_start = now;
}

static void schedule(void)
{
    unsigned int cpu = smp_processor_id();
    struct vcpu *prev = current, *next;
    void (*reap_fn)(struct domain *) = NULL;
    struct domain *dead;
    s_time_t now = NOW();
    unsigned long flags;

    spin_lock_irqsave(&sched_lock, flags);
    account(prev, now);
    next = pick_next(now);
    /* the running vCPU keeps the CPU if nothing runnable is more deserving */
    if (!is_idle_vcpu(prev) && prev->state == VCPU_RUNNING && !is_paused(prev) && within_cap(prev, now) &&
        (!next || (prev->vruntime <= next->vruntime && !prev->yielded)))
        next = prev;
    prev->yielded = false;
    if (!next)
        next = &idle_vcpus[cpu];
    if (next != prev && !is_idle_vcpu(next)) {
        list_del(&next->runq);
        list_init(&next->runq);
        next->state = VCPU_RUNNING;
        next->processor = (int)cpu;
    }
    next->run_start = now;
    dead = take_reapable(&reap_fn);
    spin_unlock_irqrestore(&sched_lock, flags);

    if (dead) {
        reap_fn(dead); /* no CPU has its page tables loaded any more */
        raise_softirq(SCHEDULE_SOFTIRQ);
    }
    /* a slice for a guest; on idle, a recheck if capped vCPUs wait for their next period */
    if (!is_idle_vcpu(next) || !list_empty(&runq))
        set_timer(&slice_timer[cpu], now + SCHED_SLICE_NS);
    if (next == prev)
        return;

    /* Save prev before anyone else may pick it, then let it be picked. */
    pv_context_save(prev);
    bool requeued = false, prev_dying = false;
    spin_lock_irqsave(&sched_lock, flags);
    if (!is_idle_vcpu(prev)) {
        /* read now: once processor is -1 another CPU may reap prev's domain and free it */
        prev_dying = prev->domain->is_dying;
        prev->processor = -1;
        /* RUNNABLE here: woken after it blocked but before it left this CPU, when
         * the waker could not queue it (processor was still set); queue it now */
        if (prev->state == VCPU_RUNNING || prev->state == VCPU_RUNNABLE) {
            prev->state = VCPU_RUNNABLE;
            enqueue(prev);
            requeued = true;
        }
    }
    spin_unlock_irqrestore(&sched_lock, flags);
    if (requeued)
        kick_idle_cpu(); /* another CPU may have time for it */
    if (prev_dying)
        raise_softirq(SCHEDULE_SOFTIRQ); /* its domain may now be reaped */
    get_cpu_info()->curr_vcpu = next;
    __atomic_store_n(&cpu_curr[cpu], next, __ATOMIC_SEQ_CST);
    if (is_idle_vcpu(next)) {
        /* a vCPU queued since pick_next (prev itself, or one woken meanwhile) found this
         * CPU not yet idle and kicked no one: look again rather than halt past it */
        spin_lock_irqsave(&sched_lock, flags);
        if (pick_next(NOW()))
            raise_softirq(SCHEDULE_SOFTIRQ);
        spin_unlock_irqrestore(&sched_lock, flags);
        pv_switch_to_idle();
        reset_stack_and_jump(idle_loop);
    }
    pv_context_load(next);
    reset_stack_and_jump(return_to_guest);
}

static void slice_expired(void *unused)
{
    raise_softirq(SCHEDULE_SOFTIRQ);
}

/* Runs on the CPU itself: it starts on its idle vCPU. */
int sched_init_cpu(unsigned int cpu)
{
    struct vcpu *idle = &idle_vcpus[cpu];

    idle->processor = (int)cpu;
    idle->state = VCPU_RUNNING;
    list_init(&idle->runq);
    init_timer(&slice_timer[cpu], slice_expired, NULL, cpu);
    cpu_curr[cpu] = idle;
    get_cpu_info()->curr_vcpu = idle;
    return 0;
}

void sched_init(void)
{
    open_softirq(SCHEDULE_SOFTIRQ, schedule);
    sched_init_cpu(0);
}

/* Each CPU's guest as it was when the dump interrupted it (or at its last entry, if the
 * CPU was in the hypervisor), and the top of that guest's stack: where a hang spins. */
static void dump_guest_regs(void *unused)
{
    const struct cpu_user_regs *r = guest_cpu_user_regs();
    struct vcpu *v = current;
    uint64_t top[4] = { 0 };

    if (is_idle_vcpu(v))
        return;
    copy_from_guest(top, r->rsp, sizeof(top)); /* the guest's tables are loaded */
    printk(KERN_ALWAYS "cpu%u: d%u.%u rip %lx rsp %lx rflags %lx cs %lx vector %u; stack %lx %lx %lx %lx\n",
           smp_processor_id(), v->domain->domid, v->vcpu_id, (unsigned long)r->rip, (unsigned long)r->rsp,
           (unsigned long)r->rflags, (unsigned long)r->cs, r->entry_vector, (unsigned long)top[0],
           (unsigned long)top[1], (unsigned long)top[2], (unsigned long)top[3]);
}

void sched_dump(void)
{
    struct domain *d;
    struct vcpu *v;
    static const char *const states[] = { "offline", "runnable", "running", "blocked" };

    for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
        if (!cpu_online(cpu))
            continue;
        v = cpu_curr[cpu];
        printk(KERN_ALWAYS "cpu%u runs %s%u.%u softirqs %s halts %lu\n", cpu,
               is_idle_vcpu(v) ? "idle" : "d", is_idle_vcpu(v) ? 0 : v->domain->domid,
               is_idle_vcpu(v) ? 0 : v->vcpu_id, softirq_pending(cpu) ? "pending" : "none",
               per_cpu(idle_halts, cpu));
    }
    smp_call_function(dump_guest_regs, NULL);
    dump_guest_regs(NULL);
    list_for_each_entry(v, &runq, runq)
        printk(KERN_ALWAYS "runqueue: d%u.%u vruntime %lu\n", v->domain->domid, v->vcpu_id,
               (unsigned long)v->vruntime);
    printk(KERN_ALWAYS "domains: %u\n", domain_count());
    list_for_each_entry(d, &domain_list, link) {
        printk(KERN_ALWAYS "  d%u %-16s weight %u cap %u pages %lu pause %u%s\n", d->domid, d->name, d->weight,
               d->cap, (unsigned long)d->tot_pages, d->pause_count, d->is_dying ? " dying" : "");
        for_each_vcpu(d, v) {
            const struct vcpu_info *vi = v->vcpu_info;

            printk(KERN_ALWAYS "    v%u %-8s cpu %d time %lu us vruntime %lu rip %lx %s poll %d%s\n", v->vcpu_id,
                   states[v->state], v->processor, (unsigned long)(v->runtime / 1000), (unsigned long)v->vruntime,
                   (unsigned long)v->regs.rip, v->kernel_mode ? "kernel" : "user", v->poll_port,
                   v->state == VCPU_RUNNING ? " (at last entry)" : "");
            if (vi)
                printk(KERN_ALWAYS "       upcall pending %u mask %u sel %lx; timer %s %ld us from now on cpu %u\n",
                       vi->evtchn_upcall_pending, vi->evtchn_upcall_mask, (unsigned long)vi->evtchn_pending_sel,
                       v->singleshot.active ? "armed" : "idle",
                       (long)((v->singleshot.expires - NOW()) / 1000), v->singleshot.cpu);
        }
        evtchn_dump_pending(d);
    }
}
