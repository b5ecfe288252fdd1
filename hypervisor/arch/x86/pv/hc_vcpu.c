/* vcpu_op, callback_op / set_callbacks and physdev_op. */
#include <tern/domain.h>
#include <tern/errno.h>
#include <tern/lib.h>
#include <tern/mm.h>
#include <tern/sched.h>
#include <tern/time.h>
#include <tern/timer.h>
#include <tern/xmalloc.h>
#include <asm/current.h>
#include <asm/page.h>
#include <asm/pv.h>
#include <asm/pv_desc.h>
#include <asm/pv_hypercall.h>
#include <asm/pv_mm.h>
#include <asm/uaccess.h>
#include <asm/pv_shadow.h>
#include <public/callback.h>
#include <public/physdev.h>
#include <asm/pv_irq.h>
#include <public/vcpu.h>
#include <public/arch-x86/xen.h>
#include <public/domctl.h>

static bool canonical(uint64_t va)
{
    return (int64_t)(va << 16) >> 16 == (int64_t)va;
}

static long register_callback(struct vcpu *v, const struct callback_register *cb)
{
    if (cb->flags & ~CALLBACKF_mask_events || !canonical(cb->address) ||
        !guest_range_ok(cb->address, 1))
        return -EINVAL;
    switch (cb->type) {
    case CALLBACKTYPE_event:
        v->event_callback = cb->address;
        return 0;
    case CALLBACKTYPE_failsafe:
        v->failsafe_callback = cb->address;
        return 0;
    case CALLBACKTYPE_syscall:
        v->syscall_callback = cb->address;
        v->syscall_mask_events = cb->flags & CALLBACKF_mask_events;
        return 0;
    case CALLBACKTYPE_syscall32:
        v->syscall32_callback = cb->address;
        v->syscall32_mask_events = cb->flags & CALLBACKF_mask_events;
        return 0;
    case CALLBACKTYPE_sysenter:
        v->sysenter_callback = cb->address;
        v->sysenter_mask_events = cb->flags & CALLBACKF_mask_events;
        return 0;
    case CALLBACKTYPE_nmi:
        return 0; /* accepted; no NMIs are forwarded to guests */
    default:
        return -EINVAL;
    }
}

long do_callback_op(unsigned long cmd, uint64_t arg)
{
    struct callback_register cb;
    struct callback_unregister un;

    switch (cmd) {
    case CALLBACKOP_register:
        if (copy_from_guest(&cb, arg, sizeof(cb)))
            return -EFAULT;
        return register_callback(current, &cb);
    case CALLBACKOP_unregister:
        if (copy_from_guest(&un, arg, sizeof(un)))
            return -EFAULT;
        if (un.type == CALLBACKTYPE_syscall) {
            current->syscall_callback = 0;
            return 0;
        }
        return -EINVAL;
    default:
        return -ENOSYS;
    }
}

long do_set_callbacks(uint64_t event, uint64_t failsafe, uint64_t syscall)
{
    struct callback_register cb[3] = {
        { .type = CALLBACKTYPE_event, .address = event },
        { .type = CALLBACKTYPE_failsafe, .address = failsafe },
        { .type = CALLBACKTYPE_syscall, .flags = CALLBACKF_mask_events, .address = syscall },
    };

    for (unsigned int i = 0; i < 3; i++) {
        long rc = register_callback(current, &cb[i]);
        if (rc)
            return rc;
    }
    return 0;
}

long do_physdev_op(unsigned long cmd, uint64_t arg)
{
    switch (cmd) {
    case PHYSDEVOP_set_iopl: {
        struct physdev_set_iopl op;
        if (copy_from_guest(&op, arg, sizeof(op)))
            return -EFAULT;
        if (op.iopl > 3)
            return -EINVAL;
        current->iopl = op.iopl;
        return 0;
    }
    case PHYSDEVOP_irq_status_query: /* domUs: no PIRQ of theirs needs an EOI */
    case PHYSDEVOP_eoi:
    case PHYSDEVOP_map_pirq:
    case PHYSDEVOP_unmap_pirq:
    case PHYSDEVOP_setup_gsi:
    case PHYSDEVOP_alloc_irq_vector:
        return pirq_physdev_op((unsigned int)cmd, arg);
    default:
        return -ENOSYS;
    }
}

/*
 * Takes a whole context (VCPUOP_initialise, XEN_DOMCTL_setvcpucontext) for a vCPU that is
 * not running: kernel L4 as its base pointer, descriptor tables, registers, traps and
 * callbacks. Nothing changes unless the addresses, tables and base pointer are acceptable.
 */
long pv_vcpu_set_context(struct vcpu *v, const struct vcpu_guest_context *c)
{
    struct domain *d = v->domain;
    mfn_t old;
    long rc;

    if (!canonical(c->user_regs.rip) || !canonical(c->event_callback_eip) ||
        !canonical(c->failsafe_callback_eip) || !canonical(c->syscall_callback_eip) ||
        !canonical(c->fs_base) || !canonical(c->gs_base_kernel) || !canonical(c->gs_base_user) ||
        c->gdt_ents > FIRST_RESERVED_GDT_ENTRY || c->ldt_ents > PV_LDT_MAX_ENTS)
        return -EINVAL;
    rc = pv_new_baseptr(d->domid, xen_cr3_to_pfn(c->ctrlreg[3]), &v->guest_table, &old);
    if (rc)
        return rc;
    pv_put_baseptr(old);
    /* Linux starts each secondary vCPU on its per-CPU GDT: its first selector loads need it */
    rc = pv_set_gdt(v, c->gdt_frames, (unsigned int)c->gdt_ents); /* frames are MFNs */
    if (!rc)
        rc = pv_set_ldt(v, c->ldt_base, (unsigned int)c->ldt_ents);
    if (rc)
        return rc;
    memset(&v->regs, 0, sizeof(v->regs));
    v->regs.rax = c->user_regs.rax;
    v->regs.rbx = c->user_regs.rbx;
    v->regs.rcx = c->user_regs.rcx;
    v->regs.rdx = c->user_regs.rdx;
    v->regs.rsi = c->user_regs.rsi;
    v->regs.rdi = c->user_regs.rdi;
    v->regs.rbp = c->user_regs.rbp;
    v->regs.rsp = c->user_regs.rsp;
    v->regs.r8 = c->user_regs.r8;
    v->regs.r9 = c->user_regs.r9;
    v->regs.r10 = c->user_regs.r10;
    v->regs.r11 = c->user_regs.r11;
    v->regs.r12 = c->user_regs.r12;
    v->regs.r13 = c->user_regs.r13;
    v->regs.r14 = c->user_regs.r14;
    v->regs.r15 = c->user_regs.r15;
    v->regs.rip = c->user_regs.rip;
    v->regs.rflags = c->user_regs.rflags | 0x202;
    /* IOPL in the context is the vCPU's virtual IOPL (Linux starts APs with IOPL 1) */
    v->iopl = (c->user_regs.rflags >> 12) & 3;
    v->regs.cs = FLAT_KERNEL_CS;
    v->regs.ss = FLAT_KERNEL_SS;
    for (unsigned int i = 0; i < 256; i++)
        if (c->trap_ctxt[i].address && canonical(c->trap_ctxt[i].address))
            v->traps[c->trap_ctxt[i].vector] = c->trap_ctxt[i];
    v->kernel_sp = c->kernel_sp;
    v->event_callback = c->event_callback_eip;
    v->failsafe_callback = c->failsafe_callback_eip;
    v->syscall_callback = c->syscall_callback_eip;
    v->fs_base = c->fs_base;
    /* a restored kernel that used FSGSBASE goes on using it */
    v->guest_cr4 = (v->guest_cr4 & ~X86_CR4_FSGSBASE) | (c->ctrlreg[4] & X86_CR4_FSGSBASE);
    v->gs_base_kernel = c->gs_base_kernel;
    v->gs_base_user = c->gs_base_user;
    v->kernel_mode = true;
    v->initialised = true;
    /* a saved context (restore, resume): its FPU state and user page tables too */
    if (c->flags & VGCF_i387_valid)
        pv_fpu_set_legacy(v, c->fpu_ctxt.x);
    if (c->ctrlreg[1]) {
        rc = pv_new_baseptr(d->domid, xen_cr3_to_pfn(c->ctrlreg[1]), &v->guest_table_user, &old);
        if (rc)
            return rc;
        pv_put_baseptr(old);
    }
    return 0;
}

/* XEN_DOMCTL_get_ext_vcpucontext: the compat syscall and sysenter callbacks. */
void pv_vcpu_get_ext_context(struct vcpu *v, struct xen_domctl_ext_vcpucontext *e)
{
    uint32_t id = e->vcpu;

    memset(e, 0, sizeof(*e));
    e->vcpu = id;
    e->size = sizeof(*e);
    e->syscall32_callback_eip = v->syscall32_callback;
    e->sysenter_callback_eip = v->sysenter_callback;
    e->syscall32_callback_cs = e->sysenter_callback_cs = FLAT_KERNEL_CS;
    e->syscall32_disables_events = v->syscall32_mask_events;
    e->sysenter_disables_events = v->sysenter_mask_events;
}

/* XEN_DOMCTL_set_ext_vcpucontext: the same back, checked as a callback registration is. */
long pv_vcpu_set_ext_context(struct vcpu *v, const struct xen_domctl_ext_vcpucontext *e)
{
    if (e->size < __builtin_offsetof(struct xen_domctl_ext_vcpucontext, mcg))
        return -EINVAL;
    if (!canonical(e->syscall32_callback_eip) || !guest_range_ok(e->syscall32_callback_eip, 1) ||
        !canonical(e->sysenter_callback_eip) || !guest_range_ok(e->sysenter_callback_eip, 1))
        return -EINVAL;
    v->syscall32_callback = e->syscall32_callback_eip;
    v->sysenter_callback = e->sysenter_callback_eip;
    v->syscall32_mask_events = e->syscall32_disables_events;
    v->sysenter_mask_events = e->sysenter_disables_events;
    return 0;
}

/* XEN_DOMCTL_getvcpucontext: what pv_vcpu_set_context takes back, for a vCPU not running.
 * Frames are machine frames; the caller translates them for a save. */
void pv_vcpu_get_context(struct vcpu *v, struct vcpu_guest_context *c)
{
    const struct cpu_user_regs *r = &v->regs;

    memset(c, 0, sizeof(*c));
    c->flags = VGCF_i387_valid | (v->kernel_mode ? VGCF_in_kernel : 0) |
               (v->state != VCPU_OFFLINE ? VGCF_online : 0);
    if (v->fpu_area)
        memcpy(c->fpu_ctxt.x, v->fpu_area, sizeof(c->fpu_ctxt.x));
    c->user_regs.rax = r->rax;
    c->user_regs.rbx = r->rbx;
    c->user_regs.rcx = r->rcx;
    c->user_regs.rdx = r->rdx;
    c->user_regs.rsi = r->rsi;
    c->user_regs.rdi = r->rdi;
    c->user_regs.rbp = r->rbp;
    c->user_regs.rsp = r->rsp;
    c->user_regs.r8 = r->r8;
    c->user_regs.r9 = r->r9;
    c->user_regs.r10 = r->r10;
    c->user_regs.r11 = r->r11;
    c->user_regs.r12 = r->r12;
    c->user_regs.r13 = r->r13;
    c->user_regs.r14 = r->r14;
    c->user_regs.r15 = r->r15;
    c->user_regs.rip = r->rip;
    c->user_regs.rflags = (r->rflags & ~0x3000ul) | ((uint64_t)v->iopl << 12);
    c->user_regs.cs = r->cs;
    c->user_regs.ss = r->ss;
    for (unsigned int i = 0, n = 0; i < 256; i++)
        if (v->traps[i].address)
            c->trap_ctxt[n++] = v->traps[i];
    c->ldt_base = v->ldt_base;
    c->ldt_ents = v->ldt_ents;
    for (unsigned int i = 0; i < (v->gdt_ents + 511) / 512 && i < 14; i++)
        c->gdt_frames[i] = v->gdt_frames[i];
    c->gdt_ents = v->gdt_ents;
    c->kernel_ss = FLAT_KERNEL_SS;
    c->kernel_sp = v->kernel_sp;
    c->ctrlreg[3] = v->guest_table == PV_MFN_NONE ? 0 : xen_pfn_to_cr3(v->guest_table);
    c->ctrlreg[1] = v->guest_table_user == PV_MFN_NONE ? 0 : xen_pfn_to_cr3(v->guest_table_user);
    c->ctrlreg[4] = v->guest_cr4;
    for (unsigned int i = 0; i < 8; i++)
        c->debugreg[i] = v->debugreg[i];
    c->event_callback_eip = v->event_callback;
    c->failsafe_callback_eip = v->failsafe_callback;
    c->syscall_callback_eip = v->syscall_callback;
    c->vm_assist = v->domain->vm_assist;
    c->fs_base = v->fs_base;
    c->gs_base_kernel = v->gs_base_kernel;
    c->gs_base_user = v->gs_base_user;
}

/* VCPUOP_initialise: a full context for a vCPU that has none yet. */
static long vcpu_initialise(struct vcpu *v, uint64_t arg)
{
    struct vcpu_guest_context *c;
    long rc;

    if (v->initialised)
        return -EEXIST;
    c = xmalloc(struct vcpu_guest_context);
    if (!c)
        return -ENOMEM;
    rc = copy_from_guest(c, arg, sizeof(*c));
    if (!rc)
        rc = pv_vcpu_set_context(v, c);
    xfree(c);
    return rc;
}

static long register_vcpu_info(struct vcpu *v, uint64_t arg)
{
    struct vcpu_register_vcpu_info r;
    struct page_info *pg;
    struct vcpu_info *vi;

    if (copy_from_guest(&r, arg, sizeof(r)))
        return -EFAULT;
    if (r.offset > PAGE_SIZE - sizeof(struct vcpu_info) || r.rsvd)
        return -EINVAL;
    if (v->vcpu_info_page)
        return -EINVAL; /* once per vCPU, as on Xen */
    pg = mfn_valid(r.mfn) ? mfn_to_page(r.mfn) : NULL;
    if (!pg || get_page_and_type(pg, v->domain->domid, PGT_writable_page))
        return -EINVAL;
    vi = (struct vcpu_info *)((char *)__va((paddr_t)r.mfn << PAGE_SHIFT) + r.offset);
    *vi = *v->vcpu_info;
    /* force one scan of everything, as the old copy may have had bits in flight */
    vi->evtchn_upcall_pending = 1;
    vi->evtchn_pending_sel = ~0ull;
    v->vcpu_info = vi;
    v->vcpu_info_page = pg;
    pv_update_time(v);
    pv_shadow_frame_written(r.mfn); /* and at every CLEAN while it stays registered */
    return 0;
}

long do_vcpu_op(unsigned long cmd, unsigned long vcpuid, uint64_t arg)
{
    struct domain *d = current->domain;
    struct vcpu *v;

    if (vcpuid >= d->max_vcpus || !(v = d->vcpus[vcpuid]))
        return -ENOENT;
    switch (cmd) {
    case VCPUOP_initialise:
        return vcpu_initialise(v, arg);
    case VCPUOP_up:
        if (!v->initialised)
            return -EINVAL;
        sched_vcpu_wake(v);
        return 0;
    case VCPUOP_down:
        sched_vcpu_down(v);
        return 0;
    case VCPUOP_is_up:
        return v->state != VCPU_OFFLINE;
    case VCPUOP_get_runstate_info: {
        struct vcpu_runstate_info r;
        pv_runstate(v, &r);
        return copy_to_guest(arg, &r, sizeof(r)) ? -EFAULT : 0;
    }
    case VCPUOP_register_runstate_memory_area: {
        struct vcpu_register_runstate_memory_area r;
        if (copy_from_guest(&r, arg, sizeof(r)))
            return -EFAULT;
        if (r.addr.p && !guest_range_ok(r.addr.p, sizeof(struct vcpu_runstate_info)))
            return -EINVAL;
        v->runstate_va = r.addr.p;
        if (v == current)
            pv_update_runstate(v);
        return 0;
    }
    case VCPUOP_set_singleshot_timer: {
        struct vcpu_set_singleshot_timer t;
        if (v != current)
            return -EINVAL;
        if (copy_from_guest(&t, arg, sizeof(t)))
            return -EFAULT;
        if ((t.flags & VCPU_SSHOTTMR_future) && (s_time_t)t.timeout_abs_ns < NOW())
            return -ETIME;
        set_timer_on(&v->singleshot, smp_processor_id(), (s_time_t)t.timeout_abs_ns);
        return 0;
    }
    case VCPUOP_stop_singleshot_timer:
        if (v != current)
            return -EINVAL;
        stop_timer(&v->singleshot);
        return 0;
    case VCPUOP_stop_periodic_timer:
        return 0; /* there is no periodic timer */
    case VCPUOP_register_vcpu_time_memory_area: {
        struct vcpu_register_time_memory_area r;
        if (copy_from_guest(&r, arg, sizeof(r)))
            return -EFAULT;
        if (r.addr.p && !guest_range_ok(r.addr.p, sizeof(struct vcpu_time_info)))
            return -EINVAL;
        v->time_area_va = r.addr.p;
        if (v == current)
            pv_update_time(v);
        return 0;
    }
    case VCPUOP_register_vcpu_info:
        return register_vcpu_info(v, arg);
    default:
        return -ENOSYS;
    }
}
