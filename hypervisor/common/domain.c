/*
 * Domain life cycle: create, give memory, shut down or crash, and destroy once none of
 * its vCPUs is on a CPU. A misbehaving guest ends here, never in a hypervisor panic.
 */
#include <tern/bootinfo.h>
#include <tern/bug.h>
#include <tern/domain.h>
#include <tern/errno.h>
#include <tern/event.h>
#include <tern/grant_table.h>
#include <tern/init.h>
#include <tern/shutdown.h>
#include <tern/lib.h>
#include <tern/mm.h>
#include <tern/printk.h>
#include <tern/sched.h>
#include <tern/xmalloc.h>
#include <tern/time.h>
#include <tern/timer.h>
#include <asm/page.h>
#include <asm/pv.h>
#include <asm/processor.h>
#include <tern/cpufeature.h>
#include <asm/pv_mm.h>
#include <asm/pv_shadow.h>
#include <public/sched.h>

LIST_HEAD(domain_list);
DEFINE_SPINLOCK(domain_list_lock);
static unsigned int nr_domains;
static bool opt_exit_when_done;
BOOT_PARAM_BOOL("exit_when_done", opt_exit_when_done);

static const char *const shutdown_names[] = { "poweroff", "reboot", "suspend", "crash", "watchdog",
                                              "soft_reset" };

/* Caller holds domain_list_lock: the live domain domid, or NULL. */
static struct domain *find_live(uint16_t domid)
{
    struct domain *d;

    list_for_each_entry(d, &domain_list, link)
        if (d->domid == domid && !d->is_dying)
            return d;
    return NULL;
}

struct domain *domain_by_id(uint16_t domid)
{
    struct domain *found;
    unsigned long flags;

    spin_lock_irqsave(&domain_list_lock, flags);
    found = find_live(domid);
    spin_unlock_irqrestore(&domain_list_lock, flags);
    return found;
}

struct domain *domain_get(uint16_t domid)
{
    struct domain *found;
    unsigned long flags;

    spin_lock_irqsave(&domain_list_lock, flags);
    found = find_live(domid);
    if (found)
        __atomic_fetch_add(&found->refcnt, 1, __ATOMIC_SEQ_CST);
    spin_unlock_irqrestore(&domain_list_lock, flags);
    return found;
}

void domain_put(struct domain *d)
{
    if (!__atomic_sub_fetch(&d->refcnt, 1, __ATOMIC_SEQ_CST) && d->is_dying)
        sched_recheck_reap();
}

void domain_pause(struct domain *d)
{
    sched_domain_pause(d);
}

int domain_unpause(struct domain *d)
{
    unsigned int n = __atomic_load_n(&d->pause_count, __ATOMIC_ACQUIRE);

    do {
        if (!n)
            return -EINVAL;
    } while (!__atomic_compare_exchange_n(&d->pause_count, &n, n - 1, false, __ATOMIC_SEQ_CST,
                                          __ATOMIC_SEQ_CST));
    if (n == 1)
        sched_domain_unpaused(d);
    return 0;
}

void domain_destroy_by_control(struct domain *d)
{
    struct vcpu *v;

    if (!__atomic_exchange_n(&d->is_shutting_down, true, __ATOMIC_SEQ_CST)) {
        console_ring_drain(d);
        domain_console_flush(d);
    }
    printk(KERN_ALWAYS "domain %u (%s): destroyed by the control domain\n", d->domid, d->name);
    for_each_vcpu(d, v)
        sched_vcpu_down(v);
    domain_kill(d);
}

unsigned int domain_count(void)
{
    return __atomic_load_n(&nr_domains, __ATOMIC_RELAXED);
}

uint16_t domain_next_free_id(void)
{
    static uint16_t next = 1;
    for (unsigned int tries = 0; tries < (unsigned int)DOMID_FIRST_RESERVED; tries++) {
        uint16_t id = next;
        next = (unsigned int)next + 1 >= DOMID_FIRST_RESERVED ? 1 : (uint16_t)(next + 1);
        if (!domain_by_id(id))
            return id;
    }
    return DOMID_INVALID;
}

#define VCPU_TIMERS 2 /* singleshot and poll_timer */

static struct vcpu *vcpu_create(struct domain *d, unsigned int id)
{
    struct vcpu *v;

    if (timers_reserve(VCPU_TIMERS))
        return NULL;
    if (!(v = xzalloc(struct vcpu))) {
        timers_reserve(-VCPU_TIMERS);
        return NULL;
    }
    v->vcpu_id = id;
    v->domain = d;
    v->state = VCPU_OFFLINE;
    v->processor = -1;
    v->kernel_mode = true;
    v->guest_table = v->guest_table_user = PV_MFN_NONE;
    v->debugreg[6] = PV_DR6_DEFAULT;
    v->debugreg[7] = PV_DR7_DEFAULT;
    v->guest_cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT |
                   (boot_cpu.xsave ? X86_CR4_OSXSAVE : 0);
    list_init(&v->runq);
    sched_init_vcpu(v);
    if (pv_fpu_vcpu_init(v)) {
        xfree(v);
        timers_reserve(-VCPU_TIMERS);
        return NULL;
    }
    return v;
}

struct domain *domain_create(uint16_t domid, const char *name, unsigned int nr_vcpus,
                             uint64_t max_pages, bool privileged)
{
    struct domain *d;
    unsigned long flags;

    if (!nr_vcpus || nr_vcpus > MAX_VCPUS_PER_DOMAIN || domid >= DOMID_FIRST_RESERVED)
        return NULL;
    d = xzalloc(struct domain);
    if (!d)
        return NULL;
    d->domid = domid;
    strlcpy(d->name, name, sizeof(d->name));
    d->is_privileged = privileged;
    d->lock = (spinlock_t)SPIN_LOCK_UNLOCKED;
    d->max_pages = max_pages;
    d->weight = 256;
    d->created = NOW();
    list_init(&d->page_list);
    d->max_vcpus = nr_vcpus;
    d->shared_info = alloc_xenheap_pages(0);
    /* the control domain has a few ports per guest: as on Xen, it gets all 2-level offers */
    if (!d->shared_info || evtchn_init_domain(d, privileged ? CONTROL_MAX_EVTCHNS : DEFAULT_MAX_EVTCHNS) || gnttab_domain_init(d))
        goto fail;
    for (unsigned int i = 0; i < nr_vcpus; i++) {
        if (!(d->vcpus[i] = vcpu_create(d, i)))
            goto fail;
        d->vcpus[i]->vcpu_info = &d->shared_info->vcpu_info[i];
        d->vcpus[i]->vcpu_info->evtchn_upcall_mask = 1;
    }
    {
        /* the wall clock at system time 0; guests add their system time */
        uint64_t wc = wallclock_at_boot_ns();
        d->shared_info->wc_version = 1;
        d->shared_info->wc_sec = (uint32_t)(wc / 1000000000ull);
        d->shared_info->wc_sec_hi = (uint32_t)((wc / 1000000000ull) >> 32);
        d->shared_info->wc_nsec = (uint32_t)(wc % 1000000000ull);
        d->shared_info->wc_version = 2;
    }
    /* The guest maps shared_info itself: it belongs to the domain, like its RAM. */
    if (frame_assign(mfn_to_page(PFN_DOWN(__pa(d->shared_info))), domid))
        goto fail;
    spin_lock_irqsave(&domain_list_lock, flags);
    list_add_tail(&d->link, &domain_list);
    nr_domains++;
    spin_unlock_irqrestore(&domain_list_lock, flags);
    return d;

fail:
    for (unsigned int i = 0; i < nr_vcpus; i++)
        if (d->vcpus[i]) {
            xfree(d->vcpus[i]->fpu_area);
            xfree(d->vcpus[i]);
            timers_reserve(-VCPU_TIMERS);
        }
    gnttab_domain_destroy(d);
    if (d->shared_info)
        free_xenheap_pages(d->shared_info, 0);
    xfree(d->evtchn);
    xfree(d);
    return NULL;
}

int domain_create_controlled(uint16_t domid, const char *name, unsigned int nr_vcpus,
                             struct domain **out)
{
    static DEFINE_SPINLOCK(create_lock); /* one id, one domain */
    struct domain *d;

    spin_lock(&create_lock);
    if (domain_by_id(domid)) {
        spin_unlock(&create_lock);
        return -EEXIST;
    }
    d = domain_create(domid, name, nr_vcpus, 0, false);
    if (d) {
        d->is_controlled = true;
        d->pause_count = 1; /* its vCPUs are down: nothing can have run it yet */
    }
    spin_unlock(&create_lock);
    if (!d)
        return -ENOMEM;
    *out = d;
    return 0;
}

int domain_alloc_memory(struct domain *d, uint64_t nr_pages)
{
    if (nr_pages > d->max_pages - d->tot_pages)
        return -ENOMEM;
    d->p2m = xzalloc_array(mfn_t, nr_pages);
    if (!d->p2m)
        return -ENOMEM;
    d->p2m_size = nr_pages;
    for (uint64_t pfn = 0; pfn < nr_pages; pfn++) {
        struct page_info *pg = alloc_domheap_pages(0);
        if (!pg)
            return -ENOMEM; /* the caller destroys the domain, which frees what we got */
        frame_scrub(pg); /* nothing of a previous owner may show through */
        BUG_ON(frame_assign(pg, d->domid));
        list_add_tail(&pg->list, &d->page_list);
        d->p2m[pfn] = page_to_mfn(pg);
        m2p_set(d->p2m[pfn], pfn);
        d->tot_pages++;
    }
    return 0;
}

void domain_shutdown(struct domain *d, unsigned int reason)
{
    struct vcpu *v;

    if (__atomic_exchange_n(&d->is_shutting_down, true, __ATOMIC_SEQ_CST))
        return;
    d->shutdown_code = reason;
    d->suspend_online = 0;
    for_each_vcpu(d, v)
        if (v->state != VCPU_OFFLINE)
            d->suspend_online |= 1u << v->vcpu_id;
    console_ring_drain(d);
    domain_console_flush(d);
    s_time_t cpu = 0;
    for_each_vcpu(d, v)
        cpu += v->runtime;
    printk(KERN_ALWAYS "domain %u (%s): shut down (%s) after %lu ms, %lu ms on CPUs\n", d->domid,
           d->name, reason < ARRAY_SIZE(shutdown_names) ? shutdown_names[reason] : "unknown",
           (unsigned long)((NOW() - d->created) / 1000000), (unsigned long)(cpu / 1000000));
    for_each_vcpu(d, v)
        sched_vcpu_down(v);
    send_global_virq_id(0, VIRQ_DOM_EXC); /* the control domain's toolstack watches */
    if (d->is_controlled)
        return; /* kept, with its shutdown code, until the control domain destroys it */
    domain_kill(d);
}

int domain_resume(struct domain *d)
{
    struct vcpu *v;

    if (!d->is_controlled || d->is_dying || !__atomic_load_n(&d->is_shutting_down, __ATOMIC_ACQUIRE) ||
        d->shutdown_code != SHUTDOWN_suspend)
        return -EINVAL;
    __atomic_store_n(&d->is_shutting_down, false, __ATOMIC_SEQ_CST);
    printk(KERN_ALWAYS "domain %u (%s): resumed\n", d->domid, d->name);
    for_each_vcpu(d, v)
        if (d->suspend_online & (1u << v->vcpu_id))
            sched_vcpu_wake(v);
    return 0;
}

void domain_crash(struct domain *d, const char *fmt, ...)
{
    char buf[200];
    va_list ap;

    va_start(ap, fmt);
    vscnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    printk(KERN_ERR "domain %u (%s) crashed: %s\n", d->domid, d->name, buf);
    domain_shutdown(d, SHUTDOWN_crash);
}

/* Set while the boot modules are still being built: no domains yet is not the end. */
static bool domains_booting;

static void domain_exit_if_done(void)
{
    static bool exiting;

    if (!opt_exit_when_done || domain_count() || __atomic_load_n(&domains_booting, __ATOMIC_SEQ_CST))
        return;
    if (__atomic_exchange_n(&exiting, true, __ATOMIC_SEQ_CST))
        return; /* the boot CPU and a reaper may both see the end */
    printk(KERN_ALWAYS "all domains have ended; %lu pages free\n", (unsigned long)frames_free_pages());
    machine_exit(EXIT_SUCCESS_STATUS);
}

void domain_boot_begin(void)
{
    __atomic_store_n(&domains_booting, true, __ATOMIC_SEQ_CST);
}

void domain_boot_end(bool started_any)
{
    __atomic_store_n(&domains_booting, false, __ATOMIC_SEQ_CST);
    if (started_any) {
        domain_exit_if_done(); /* they may all have ended while later ones were built */
    } else if (opt_exit_when_done && boot_info.nr_modules) {
        /* every module was refused: nothing will ever end, so waiting would never end */
        printk(KERN_ALWAYS "exit_when_done: no boot module became a domain\n");
        machine_exit(EXIT_FAILURE_STATUS);
    }
}

/* As in Xen, the host goes the way of domain 0: off, rebooted, or off with a failure
 * status when it crashed. */
static void host_follow_control_domain(unsigned int code)
{
    if (code == SHUTDOWN_reboot) {
        printk(KERN_ALWAYS "domain 0 rebooted: rebooting the host\n");
        machine_reboot();
    }
    printk(KERN_ALWAYS "domain 0 ended: powering the host off\n");
    machine_exit(code == SHUTDOWN_crash ? EXIT_FAILURE_STATUS : EXIT_SUCCESS_STATUS);
}

/* Runs once no vCPU of d is on a CPU (the scheduler calls it then). */
static void domain_destroy(struct domain *d)
{
    struct page_info *pg, *tmp;
    struct vcpu *v;
    unsigned long flags;
    uint64_t freed = 0;

    pv_shadow_domain_destroy(d); /* first: the tables below give their frames back */
    for_each_vcpu(d, v) {
        kill_timer(&v->singleshot);
        kill_timer(&v->poll_timer);
        timers_reserve(-VCPU_TIMERS);
        pv_vcpu_destroy(v);
    }
    evtchn_destroy_domain(d);
    pv_domain_relinquish(d);
    gnttab_domain_destroy(d); /* after the page tables: no grant PTE is left */
    uint64_t held = 0;
    list_for_each_entry_safe(pg, tmp, &d->page_list, list) {
        list_del(&pg->list);
        list_init(&pg->list);
        frame_release(pg);
        freed++;
        if (page_get_count(pg))
            held++; /* mapped elsewhere (a control domain's foreign mapping): freed on unmap */
    }
    if (held)
        printk("domain %u: %lu frames still mapped by others, freed when they unmap them\n", d->domid,
               (unsigned long)held);
    frame_release(mfn_to_page(PFN_DOWN(__pa(d->shared_info))));
    heap_scrub_defer();
    spin_lock_irqsave(&domain_list_lock, flags);
    list_del(&d->link);
    nr_domains--;
    spin_unlock_irqrestore(&domain_list_lock, flags);
    evtchn_quiesce();
    printk("domain %u (%s): destroyed, %lu pages released\n", d->domid, d->name,
           (unsigned long)freed);
    bool control = d->is_privileged && d->domid == 0;
    unsigned int code = d->shutdown_code;
    for_each_vcpu(d, v)
        xfree(v);
    xfree(d->p2m);
    xfree(d);
    if (control)
        host_follow_control_domain(code);
    send_global_virq_id(0, VIRQ_DOM_EXC); /* gone: xenstored lets go of its ring */
    domain_exit_if_done();
}

void domain_kill(struct domain *d)
{
    __atomic_store_n(&d->is_dying, true, __ATOMIC_SEQ_CST);
    sched_reap_when_idle(d, domain_destroy);
}

void domain_console_flush(struct domain *d)
{
    if (d->cons_len) {
        printk(KERN_GUEST "(d%u) %.*s\n", d->domid, (int)d->cons_len, d->cons_buf);
        d->cons_len = 0;
    }
}

void domain_console_write(struct domain *d, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\n' || d->cons_len == sizeof(d->cons_buf)) {
            domain_console_flush(d);
            if (c == '\n')
                continue;
        }
        if (c == '\r')
            continue;
        /* a guest's control characters must not drive the host's terminal */
        d->cons_buf[d->cons_len++] = (c >= 0x20 && c < 0x7f) || c == '\t' ? c : '?';
    }
}
