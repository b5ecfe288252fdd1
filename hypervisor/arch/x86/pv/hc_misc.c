/* Small hypercalls: console_io, xen_version, vm_assist, sched_op, timers, segment bases. */
#include <tern/domain.h>
#include <tern/errno.h>
#include <tern/event.h>
#include <tern/lib.h>
#include <tern/printk.h>
#include <tern/sched.h>
#include <tern/serial.h>
#include <tern/time.h>
#include <tern/timer.h>
#include <asm/current.h>
#include <asm/processor.h>
#include <asm/pv.h>
#include <asm/pv_hypercall.h>
#include <asm/uaccess.h>
#include <public/sched.h>
#include <public/event_channel.h>
#include <public/version.h>
#include <public/features.h>

#define CONSOLE_WRITE_MAX (64 * 1024) /* longer writes are cut: console output is for humans */

long do_console_io(unsigned long cmd, unsigned long count, uint64_t buf)
{
    struct domain *d = current->domain;
    char chunk[128];

    switch (cmd) {
    case CONSOLEIO_write:
        if (count > CONSOLE_WRITE_MAX)
            count = CONSOLE_WRITE_MAX;
        for (unsigned long done = 0; done < count;) {
            size_t n = min_t(size_t, sizeof(chunk), count - done);
            if (copy_from_guest(chunk, buf + done, n))
                return -EFAULT;
            domain_console_write(d, chunk, n);
            done += n;
        }
        return 0;
    case CONSOLEIO_read:
        if (!d->is_privileged)
            return -EPERM;
        {
            size_t n = console_read_input(chunk, min_t(size_t, count, sizeof(chunk)));
            if (n && copy_to_guest(buf, chunk, n))
                return -EFAULT; /* the input is lost: the guest gave a bad buffer */
            return (long)n;
        }
    default:
        return -ENOSYS;
    }
}

static long copy_string_out(uint64_t arg, const char *s, size_t size)
{
    char buf[1024];

    memset(buf, 0, size); /* zero-padded: no stale hypervisor bytes reach the guest */
    strlcpy(buf, s, size);
    return copy_to_guest(arg, buf, size);
}

long do_xen_version(unsigned long cmd, uint64_t arg)
{
    struct domain *d = current->domain;

    switch (cmd) {
    case XENVER_version:
        return (4 << 16) | 17; /* the Xen ABI level we follow */
    case XENVER_extraversion:
        return copy_string_out(arg, "-tern" TERN_VERSION, sizeof(xen_extraversion_t));
    case XENVER_compile_info: {
        struct xen_compile_info ci;
        memset(&ci, 0, sizeof(ci));
        strlcpy(ci.compiler, "gcc", sizeof(ci.compiler));
        strlcpy(ci.compile_by, "tern", sizeof(ci.compile_by));
        strlcpy(ci.compile_domain, "tern", sizeof(ci.compile_domain));
        strlcpy(ci.compile_date, __DATE__, sizeof(ci.compile_date));
        return copy_to_guest(arg, &ci, sizeof(ci));
    }
    case XENVER_capabilities:
        return copy_string_out(arg, "xen-3.0-x86_64", sizeof(xen_capabilities_info_t));
    case XENVER_changeset:
        return copy_string_out(arg, "tern " TERN_VERSION, sizeof(xen_changeset_info_t));
    case XENVER_platform_parameters: {
        struct xen_platform_parameters p = { .virt_start = HV_VIRT_START };
        return copy_to_guest(arg, &p, sizeof(p));
    }
    case XENVER_get_features: {
        struct xen_feature_info fi;
        if (copy_from_guest(&fi, arg, sizeof(fi)))
            return -EFAULT;
        if (fi.submap_idx != 0)
            return -EINVAL; /* one submap is all there is */
        fi.submap = (1u << XENFEAT_writable_page_tables) |
                    (1u << XENFEAT_mmu_pt_update_preserve_ad) |
                    (1u << XENFEAT_gnttab_map_avail_bits);
        if (d->is_privileged)
            fi.submap |= 1u << XENFEAT_dom0;
        return copy_to_guest(arg, &fi, sizeof(fi));
    }
    case XENVER_pagesize:
        return PAGE_SIZE;
    case XENVER_guest_handle: {
        uint8_t handle[16] = { 0 };
        handle[0] = (uint8_t)d->domid;
        handle[1] = (uint8_t)(d->domid >> 8);
        return copy_to_guest(arg, handle, sizeof(handle));
    }
    case XENVER_commandline:
        if (!d->is_privileged)
            return -EPERM;
        return copy_string_out(arg, "", sizeof(xen_commandline_t));
    default:
        return -ENOSYS;
    }
}

long do_vm_assist(unsigned long cmd, unsigned long type)
{
    struct domain *d = current->domain;
    if (type >= 64 || !(PV_VM_ASSISTS & (1ul << type)))
        return -EINVAL;
    switch (cmd) {
    case VMASST_CMD_enable:
        __atomic_fetch_or(&d->vm_assist, 1ul << type, __ATOMIC_SEQ_CST);
        return 0;
    case VMASST_CMD_disable:
        __atomic_fetch_and(&d->vm_assist, ~(1ul << type), __ATOMIC_SEQ_CST);
        return 0;
    default:
        return -ENOSYS;
    }
}

/*
 * Blocks until one of the ports is pending (masked or not), an unmasked event needs
 * delivery, or the timeout passes. Linux waits for contended spinlocks this way on a
 * masked port, so set_pending wakes pollers whatever the mask.
 */
static long sched_poll(struct vcpu *v, uint64_t arg)
{
    struct sched_poll p;
    evtchn_port_t ports[128];

    if (copy_from_guest(&p, arg, sizeof(p)))
        return -EFAULT;
    if (p.nr_ports > ARRAY_SIZE(ports))
        return -EINVAL;
    if (p.nr_ports && copy_from_guest(ports, (uint64_t)p.ports, p.nr_ports * sizeof(ports[0])))
        return -EFAULT;
    for (unsigned int i = 0; i < p.nr_ports; i++)
        if (ports[i] >= evtchn_port_limit(v->domain))
            return -EINVAL;

    __atomic_store_n(&v->poll_port, p.nr_ports == 1 ? (int)ports[0] : POLL_ANY, __ATOMIC_SEQ_CST);
    sched_vcpu_block(v);
    bool ready = !v->vcpu_info->evtchn_upcall_mask && v->vcpu_info->evtchn_upcall_pending;
    for (unsigned int i = 0; i < p.nr_ports && !ready; i++)
        ready = evtchn_is_pending(v->domain, ports[i]);
    if (ready) {
        sched_vcpu_wake(v);
        return 0;
    }
    if (p.timeout)
        set_timer_on(&v->poll_timer, smp_processor_id(), (s_time_t)p.timeout);
    else
        stop_timer(&v->poll_timer); /* an older poll's timeout must not end this one */
    return 0;
}

long do_sched_op(unsigned long cmd, uint64_t arg)
{
    struct vcpu *v = current;

    switch (cmd) {
    case SCHEDOP_yield:
        sched_yield();
        return 0;
    case SCHEDOP_block:
        /* blocks with events enabled; an already pending event returns at once */
        v->vcpu_info->evtchn_upcall_mask = 0;
        sched_vcpu_block(v);
        if (v->vcpu_info->evtchn_upcall_pending)
            sched_vcpu_wake(v);
        return 0;
    case SCHEDOP_poll:
        return sched_poll(v, arg);
    case SCHEDOP_shutdown: {
        struct sched_shutdown s;
        if (copy_from_guest(&s, arg, sizeof(s)))
            return -EFAULT;
        if (s.reason > SHUTDOWN_MAX)
            return -EINVAL;
        domain_shutdown(v->domain, s.reason);
        return 0;
    }
    default:
        return -ENOSYS;
    }
}

long do_set_timer_op(uint64_t timeout)
{
    struct vcpu *v = current;

    if (!timeout) {
        stop_timer(&v->singleshot);
        return 0;
    }
    set_timer_on(&v->singleshot, smp_processor_id(), (s_time_t)timeout);
    return 0;
}

/*
 * The user %gs selector: loaded between two swapgs so the load lands in the user base,
 * as a native kernel would do it. A selector the CPU refuses faults here and is fixed up.
 */
static long load_user_gs_selector(struct vcpu *v, uint16_t sel)
{
    unsigned int ok = 1;

    if (!v->kernel_mode)
        return -EINVAL;
    asm volatile("swapgs\n"
                 "1: mov %k[s], %%gs\n"
                 "   jmp 3f\n"
                 "2: xor %k[o], %k[o]\n"
                 "3: swapgs\n"
                 ".pushsection .ex_table, \"a\"\n.balign 8\n.quad 1b, 2b\n.popsection"
                 : [o] "+r"(ok)
                 : [s] "r"((unsigned int)sel)
                 : "memory");
    if (!ok)
        return -EINVAL;
    v->gs_base_user = rdmsr(MSR_SHADOW_GS_BASE);
    v->sel[3] = sel;
    return 0;
}

long do_set_segment_base(unsigned long which, uint64_t base)
{
    struct vcpu *v = current;

    /* the bases are loaded into MSRs: a non-canonical one would fault in the hypervisor */
    if (which != SEGBASE_GS_USER_SEL && (int64_t)(base << 16) >> 16 != (int64_t)base)
        return -EINVAL;
    switch (which) {
    case SEGBASE_FS:
        v->fs_base = base;
        wrmsr(MSR_FS_BASE, base);
        return 0;
    case SEGBASE_GS_USER:
        v->gs_base_user = base;
        wrmsr(MSR_SHADOW_GS_BASE, base); /* guest kernel mode: the user base is the shadow */
        return 0;
    case SEGBASE_GS_KERNEL:
        v->gs_base_kernel = base;
        wrmsr(MSR_GS_BASE, base);
        return 0;
    case SEGBASE_GS_USER_SEL:
        return load_user_gs_selector(v, (uint16_t)base);
    default:
        return -EINVAL;
    }
}

/* The selector is ignored (64-bit bounces always use FLAT_KERNEL_SS), as on Xen. */
long do_stack_switch(unsigned long ss, unsigned long sp)
{
    current->kernel_sp = sp;
    return 0;
}
