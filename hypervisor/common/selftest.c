/*
 * Self-tests run after boot when asked for on the command line:
 *   selftest=smp,nmi,timer  timer_check_ms=N  fault_test=pf|gp|ud|de|df  exit_after_selftest
 * Each prints one "selftest <name>: PASS|FAIL ..." line that tests read.
 */
#include <tern/init.h>
#include <tern/lib.h>
#include <tern/mm.h>
#include <tern/printk.h>
#include <tern/selftest.h>
#include <tern/shutdown.h>
#include <tern/smp.h>
#include <tern/time.h>
#include <tern/timer.h>
#include <tern/sched.h>
#include <asm/apic.h>
#include <asm/processor.h>

#define TIMER_CHECK_PERIOD MILLISECS(10)

static char opt_selftest[64];
static char opt_fault[8];
static unsigned int opt_timer_ms = 1000;
static bool opt_exit_after;
BOOT_PARAM_STR("selftest", opt_selftest);
BOOT_PARAM_STR("fault_test", opt_fault);
BOOT_PARAM_UINT("timer_check_ms", opt_timer_ms);
BOOT_PARAM_BOOL("exit_after_selftest", opt_exit_after);

static bool failed;
/* not a constant, so the compiler does not reason about the deliberate bad access */
static volatile unsigned long fault_addr = 0x10;

static bool wanted(const char *name)
{
    size_t n = strlen(name);
    for (const char *p = opt_selftest; *p;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        if (len == n && !strncmp(p, name, n))
            return true;
        p += len + (c ? 1 : 0);
    }
    return false;
}

/*
 * Crossed calls: every CPU at once, with interrupts off as in guest page-fault
 * emulation, sends cross-CPU calls. Each call must run on every other CPU.
 */
#define CROSS_CALLS 200
static struct timer cross_timer[NR_CPUS];
static unsigned long cross_runs, cross_done;

static void cross_count(void *unused)
{
    __atomic_fetch_add(&cross_runs, 1, __ATOMIC_RELAXED);
}

static void cross_storm(void *unused)
{
    local_irq_disable();
    for (unsigned int i = 0; i < CROSS_CALLS; i++)
        smp_call_function(cross_count, NULL);
    local_irq_enable();
    __atomic_fetch_add(&cross_done, 1, __ATOMIC_SEQ_CST);
}

static void selftest_cross_calls(void)
{
    unsigned long cpus = nr_cpus_online, want = cpus * CROSS_CALLS * (cpus - 1);
    s_time_t start = NOW(), deadline = start + SECONDS(60);

    for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
        if (cpu_online(cpu) && cpu != smp_processor_id()) {
            init_timer(&cross_timer[cpu], cross_storm, NULL, cpu);
            set_timer(&cross_timer[cpu], start);
        }
    }
    cross_storm(NULL);
    while (__atomic_load_n(&cross_done, __ATOMIC_SEQ_CST) < cpus && NOW() < deadline)
        cpu_relax();
    printk(KERN_ALWAYS "selftest smp-crossed: %s %lu of %lu calls ran with every CPU calling at once\n",
           cross_runs == want ? "PASS" : "FAIL", cross_runs, want);
    failed |= cross_runs != want;
}

/* SMP: every online CPU runs a function and reports its own id. */
static unsigned long smp_seen;

static void smp_mark(void *unused)
{
    __atomic_fetch_or(&smp_seen, 1ul << smp_processor_id(), __ATOMIC_SEQ_CST);
}

static void selftest_smp(void)
{
    unsigned long want = 0;
    unsigned int n = 0;

    for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
        if (cpu_online(cpu))
            want |= 1ul << cpu;
    smp_seen = 0;
    smp_mark(NULL);
    smp_call_function(smp_mark, NULL);
    for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
        n += !!(smp_seen & (1ul << cpu));
    printk(KERN_ALWAYS "selftest smp: %s %u of %u CPUs answered an IPI\n", smp_seen == want ? "PASS" : "FAIL",
           n, nr_cpus_online);
    failed |= smp_seen != want;
    selftest_cross_calls();
}

/* NMI: one to each CPU through the APIC; each must be handled on its IST stack. */
extern unsigned long nmi_count, nmi_on_ist;

static void selftest_nmi(void)
{
    unsigned long before = nmi_count, ist_before = nmi_on_ist;
    s_time_t deadline = NOW() + SECONDS(2);

    for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
        if (cpu_online(cpu))
            apic_send_ipi(cpu_apic_id[cpu], APIC_DM_NMI);
    while (__atomic_load_n(&nmi_count, __ATOMIC_ACQUIRE) - before < nr_cpus_online && NOW() < deadline)
        cpu_relax();
    unsigned long got = nmi_count - before, ist = nmi_on_ist - ist_before;
    bool ok = got == nr_cpus_online && ist == got;
    printk(KERN_ALWAYS "selftest nmi: %s %lu of %u NMIs handled, %lu on the IST stack\n",
           ok ? "PASS" : "FAIL", got, nr_cpus_online, ist);
    failed |= !ok;
}

/* Timer: a chain of one-shot timers against the independent reference clock. */
static struct timer check_timer;
static unsigned int ticks_left, ticks_total;
static s_time_t sys_start, ref_start, late_max;

static void finish(void);

static void timer_tick(void *unused)
{
    s_time_t now = NOW(), late = now - check_timer.expires;

    if (late > late_max)
        late_max = late;
    if (--ticks_left) {
        set_timer(&check_timer, check_timer.expires + TIMER_CHECK_PERIOD);
        return;
    }
    s_time_t sys = now - sys_start, ref = reference_clock_ns() - ref_start;
    s_time_t want = (s_time_t)ticks_total * TIMER_CHECK_PERIOD;
    /* drift in parts per million between our time and the reference */
    long ppm = ref > 0 ? (long)((sys - ref) * 1000000 / ref) : 0;
    bool ok = ref > 0 && ppm > -20000 && ppm < 20000 && sys >= want;
    printk(KERN_ALWAYS "timer-check: end\n");
    printk(KERN_ALWAYS "selftest timer: %s %u ticks, system %lu us, %s %lu us, drift %ld ppm, max late %lu us\n",
           ok ? "PASS" : "FAIL", ticks_total, (unsigned long)(sys / 1000), reference_clock_name(),
           (unsigned long)(ref / 1000), ppm, (unsigned long)(late_max / 1000));
    failed |= !ok;
    finish();
}

static void selftest_timer_start(void)
{
    ticks_total = ticks_left = max(1u, opt_timer_ms / 10);
    init_timer(&check_timer, timer_tick, NULL, smp_processor_id());
    printk(KERN_ALWAYS "timer-check: start (%u ms, reference %s)\n", opt_timer_ms, reference_clock_name());
    sys_start = NOW();
    ref_start = reference_clock_ns();
    set_timer(&check_timer, sys_start + TIMER_CHECK_PERIOD);
}

static void fault_test(void)
{
    printk(KERN_ALWAYS "fault_test: causing a deliberate '%s' fault\n", opt_fault);
    if (!strcmp(opt_fault, "pf"))
    {
        volatile unsigned long *low = (volatile unsigned long *)fault_addr;
        *low = 1; /* the low half is unmapped */
    }
    else if (!strcmp(opt_fault, "gp"))
        asm volatile("movq (%0), %%rax" ::"r"(0x8000000000000000ul) : "rax"); /* non-canonical */
    else if (!strcmp(opt_fault, "ud"))
        asm volatile("ud2");
    else if (!strcmp(opt_fault, "de"))
        asm volatile("xor %%edx, %%edx; divl %0" ::"r"(0u) : "rax", "rdx");
    else if (!strcmp(opt_fault, "df"))
        /* a fault with no usable stack escalates to #DF, handled on its IST stack */
        asm volatile("mov %0, %%rsp; pushq $0" ::"r"(0x10ul) : "memory");
    printk(KERN_ALWAYS "fault_test: unknown fault '%s'\n", opt_fault);
}

static void finish(void)
{
    printk(KERN_ALWAYS "selftests: %s\n", failed ? "FAILED" : "all passed");
    if (opt_exit_after)
        machine_exit(failed ? EXIT_FAILURE_STATUS : EXIT_SUCCESS_STATUS);
}

void selftests_start(void)
{
    if (opt_fault[0])
        fault_test();
    if (wanted("smp"))
        selftest_smp();
    if (wanted("nmi"))
        selftest_nmi();
    if (wanted("timer"))
        selftest_timer_start(); /* finishes from its last tick */
    else if (opt_selftest[0] || opt_exit_after)
        finish();
}

/* Debug keys on the serial console. */
void console_input(int c)
{
    switch (c) {
    case 'h':
        printk(KERN_ALWAYS "debug keys: h help, m memory, c CPUs, d domains and vCPUs\n");
        break;
    case 'm':
        printk(KERN_ALWAYS "memory: %lu of %lu pages free\n", (unsigned long)frames_free_pages(),
               (unsigned long)frames_total_pages());
        break;
    case 'd':
        sched_dump();
        break;
    case 'c':
        printk(KERN_ALWAYS "CPUs online: %u, uptime %lu ms\n", nr_cpus_online, (unsigned long)(NOW() / 1000000));
        break;
    }
}
