/*
 * XEN_DOMCTL_*: what the control domain's toolstack does to other domains. Every op is
 * refused to any other caller; the op is copied in once, checked whole, then carried out
 * on a domain held by a reference (so a concurrent destroy cannot free it under us).
 */
#include <tern/domain.h>
#include <tern/errno.h>
#include <tern/event.h>
#include <tern/lib.h>
#include <tern/mm.h>
#include <tern/printk.h>
#include <tern/sched.h>
#include <tern/xmalloc.h>
#include <asm/current.h>
#include <asm/page.h>
#include <asm/pv.h>
#include <asm/pv_hypercall.h>
#include <asm/pv_shadow.h>
#include <asm/uaccess.h>
#include <public/sched.h>
#include <public/domctl.h>

#define PFINFO_BATCH 1024 /* getpageframeinfo3 entries per call */

static bool all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

void domain_fill_info(struct domain *d, struct xen_domctl_getdomaininfo *info)
{
    struct vcpu *v;
    bool all_blocked = true, running = false;
    unsigned int online = 0, max_id = 0;
    uint64_t cpu = 0;

    memset(info, 0, sizeof(*info));
    info->domain = d->domid;
    for_each_vcpu(d, v) {
        cpu += (uint64_t)v->runtime;
        max_id = v->vcpu_id;
        if (v->state == VCPU_OFFLINE)
            continue;
        online++;
        all_blocked &= v->state == VCPU_BLOCKED;
        running |= __atomic_load_n(&v->processor, __ATOMIC_ACQUIRE) >= 0;
    }
    if (d->is_dying)
        info->flags |= XEN_DOMINF_dying;
    if (d->is_shutting_down)
        info->flags |= XEN_DOMINF_shutdown |
                       ((d->shutdown_code & XEN_DOMINF_shutdownmask) << XEN_DOMINF_shutdownshift);
    if (__atomic_load_n(&d->pause_count, __ATOMIC_ACQUIRE))
        info->flags |= XEN_DOMINF_paused;
    if (online && all_blocked)
        info->flags |= XEN_DOMINF_blocked;
    if (running)
        info->flags |= XEN_DOMINF_running;
    info->tot_pages = d->tot_pages;
    info->max_pages = d->max_pages;
    info->shared_info_frame = PFN_DOWN(__pa(d->shared_info));
    info->cpu_time = cpu;
    info->nr_online_vcpus = online;
    info->max_vcpu_id = max_id;
    memcpy(info->handle, d->handle, sizeof(info->handle));
    info->gpaddr_bits = 52;
}

static long create_domain(struct xen_domctl *op)
{
    struct xen_domctl_createdomain *c = &op->u.createdomain;
    uint16_t id = op->domain;
    char name[DOMAIN_NAME_LEN];
    struct domain *d;

    if (c->flags & ~XEN_DOMCTL_CDF_xs_domain || c->iommu_opts || c->vmtrace_size || c->cpupool_id ||
        c->arch.emulation_flags || c->arch.misc_flags || (c->grant_opts & ~0xfu) ||
        (c->grant_opts & 0xf) > 1 || !c->max_vcpus || c->max_vcpus > MAX_VCPUS_PER_DOMAIN)
        return -EINVAL;
    if (!id || id >= DOMID_FIRST_RESERVED) {
        id = domain_next_free_id();
        if (id == DOMID_INVALID)
            return -ENOSPC;
    }
    snprintf(name, sizeof(name), "d%u", id);
    int rc = domain_create_controlled(id, name, c->max_vcpus, &d);
    if (rc)
        return rc;
    memcpy(d->handle, c->handle, sizeof(d->handle));
    op->domain = id;
    printk("domain %u: created by the control domain, %u vCPUs\n", id, c->max_vcpus);
    return 0;
}

/* A frame's type bits as getpageframeinfo3 reports them; pg held by a reference. */
static uint64_t frame_type_bits(struct page_info *pg)
{
    uint64_t t = page_get_type(pg), type;

    if (t < PGT_l1_page_table || t > PGT_l4_page_table)
        return XEN_DOMCTL_PFINFO_NOTAB;
    type = (t >> PGT_type_shift) << XEN_DOMCTL_PFINFO_LTAB_SHIFT;
    return (pg->type_info & PGT_pinned) ? type | XEN_DOMCTL_PFINFO_LPINTAB : type;
}

/* The frame mfn of d with a general reference, or NULL. */
static struct page_info *get_frame(struct domain *d, uint64_t mfn)
{
    struct page_info *pg = mfn_valid(mfn) ? mfn_to_page(mfn) : NULL;

    return pg && get_page(pg, d->domid) ? pg : NULL;
}

static long get_page_frame_info(struct domain *d, struct xen_domctl_getpageframeinfo3 *p)
{
    if (p->num > PFINFO_BATCH)
        return -E2BIG;
    for (uint64_t i = 0; i < p->num; i++) {
        uint64_t at = (uint64_t)p->array + i * sizeof(xen_pfn_t), mfn;
        struct page_info *pg;
        if (copy_from_guest(&mfn, at, sizeof(mfn)))
            return -EFAULT;
        mfn &= ~(uint64_t)XEN_DOMCTL_PFINFO_LTAB_MASK;
        if (!(pg = get_frame(d, mfn))) {
            mfn |= XEN_DOMCTL_PFINFO_XTAB;
        } else {
            mfn |= frame_type_bits(pg);
            put_page(pg);
        }
        if (copy_to_guest(at, &mfn, sizeof(mfn)))
            return -EFAULT;
    }
    return 0;
}

/* One frame of a copy_frames into or out of the caller's buffer at buf. */
static long copy_frame(struct domain *d, uint64_t at, uint64_t buf, bool write)
{
    uint64_t mfn;
    struct page_info *pg;
    long rc = 0;

    if (copy_from_guest(&mfn, at, sizeof(mfn)))
        return -EFAULT;
    mfn &= ~(uint64_t)XEN_DOMCTL_PFINFO_LTAB_MASK;
    if (!(pg = get_frame(d, mfn))) {
        mfn |= XEN_DOMCTL_PFINFO_XTAB;
        return write ? -EINVAL : copy_to_guest(at, &mfn, sizeof(mfn)) ? -EFAULT : 0;
    }
    uint8_t *va = __va((paddr_t)mfn << PAGE_SHIFT);
    if (!write) {
        mfn |= frame_type_bits(pg);
        if (copy_to_guest(buf, va, PAGE_SIZE) || copy_to_guest(at, &mfn, sizeof(mfn)))
            rc = -EFAULT;
    } else if (get_page_type(pg, PGT_writable_page)) {
        rc = -EBUSY; /* a page table or descriptor table: validated contents only */
    } else {
        rc = copy_from_guest(va, buf, PAGE_SIZE) ? -EFAULT : 0;
        pv_shadow_frame_written(mfn);
        put_page_type(pg);
    }
    put_page(pg);
    return rc;
}

static long copy_frames(struct domain *d, const struct xen_domctl_copy_frames *p)
{
    bool write = p->flags & XEN_DOMCTL_COPY_FRAMES_WRITE;
    long rc = 0;

    if (p->num > PFINFO_BATCH)
        return -E2BIG;
    if (p->flags & ~XEN_DOMCTL_COPY_FRAMES_WRITE)
        return -EINVAL;
    for (uint64_t i = 0; i < p->num && !rc; i++)
        rc = copy_frame(d, (uint64_t)p->array + i * sizeof(xen_pfn_t), p->buffer + i * PAGE_SIZE, write);
    return rc;
}

/* The vCPU a get/set context names, off every CPU (its registers are in one place only
 * then), and a buffer for the context: 0, or -ESRCH, -EBUSY, -EINVAL, -ENOMEM. */
static long context_op_start(struct domain *d, const struct xen_domctl_vcpucontext *vc, struct vcpu **v,
                             struct vcpu_guest_context **c)
{
    if (vc->vcpu >= d->max_vcpus || !(*v = d->vcpus[vc->vcpu]))
        return -ESRCH;
    if (!__atomic_load_n(&d->pause_count, __ATOMIC_ACQUIRE) || (*v)->processor >= 0)
        return -EBUSY;
    if (!vc->ctxt)
        return -EINVAL;
    *c = xmalloc(struct vcpu_guest_context);
    return *c ? 0 : -ENOMEM;
}

static long set_vcpu_context(struct domain *d, const struct xen_domctl_vcpucontext *vc)
{
    struct vcpu_guest_context *c;
    struct vcpu *v;
    long rc = context_op_start(d, vc, &v, &c);

    if (rc)
        return rc;
    rc = copy_from_guest(c, (uint64_t)vc->ctxt, sizeof(*c));
    if (!rc)
        rc = pv_vcpu_set_context(v, c);
    /* the domain-wide assists travel with vCPU 0's context (a restore) */
    if (!rc && v->vcpu_id == 0 && c->vm_assist)
        __atomic_store_n(&d->vm_assist, c->vm_assist & PV_VM_ASSISTS, __ATOMIC_SEQ_CST);
    if (!rc && (c->flags & VGCF_online))
        sched_vcpu_wake(v); /* runnable, and runs once the domain is unpaused */
    xfree(c);
    return rc;
}

static long get_vcpu_context(struct domain *d, const struct xen_domctl_vcpucontext *vc)
{
    struct vcpu_guest_context *c;
    struct vcpu *v;
    long rc = context_op_start(d, vc, &v, &c);

    if (rc)
        return rc;
    pv_vcpu_get_context(v, c);
    /* a suspended vCPU is down only because of the suspend */
    if (d->is_shutting_down && d->shutdown_code == SHUTDOWN_suspend &&
        (d->suspend_online & (1u << v->vcpu_id)))
        c->flags |= VGCF_online;
    rc = copy_to_guest((uint64_t)vc->ctxt, c, sizeof(*c)) ? -EFAULT : 0;
    xfree(c);
    return rc;
}

/* The extended context of a vCPU not running, in or out. */
static long ext_vcpu_context(struct domain *d, struct xen_domctl_ext_vcpucontext *e, bool set)
{
    struct vcpu *v;

    if (e->vcpu >= d->max_vcpus || !(v = d->vcpus[e->vcpu]))
        return -ESRCH;
    if (!__atomic_load_n(&d->pause_count, __ATOMIC_ACQUIRE) || v->processor >= 0)
        return -EBUSY;
    if (set)
        return pv_vcpu_set_ext_context(v, e);
    pv_vcpu_get_ext_context(v, e);
    return 0;
}

static long get_vcpu_info(struct domain *d, struct xen_domctl_getvcpuinfo *vi)
{
    struct vcpu *v;
    int cpu;

    if (vi->vcpu >= d->max_vcpus || !(v = d->vcpus[vi->vcpu]))
        return -ESRCH;
    cpu = __atomic_load_n(&v->processor, __ATOMIC_ACQUIRE);
    vi->online = v->state != VCPU_OFFLINE;
    vi->blocked = v->state == VCPU_BLOCKED;
    vi->running = cpu >= 0;
    vi->cpu_time = (uint64_t)v->runtime;
    vi->cpu = cpu >= 0 ? (uint32_t)cpu : 0;
    vi->_pad = 0;
    vi->_pad2 = 0;
    return 0;
}

/* Ops on an existing domain d (held); *copy_back when op goes back to the caller. */
static long domain_op(struct xen_domctl *op, struct domain *d, bool *copy_back)
{
    struct domain *self = current->domain;

    switch (op->cmd) {
    case XEN_DOMCTL_destroydomain:
        if (d == self)
            return -EINVAL;
        domain_destroy_by_control(d);
        return 0;
    case XEN_DOMCTL_pausedomain:
        if (d == self)
            return -EINVAL;
        domain_pause(d);
        return 0;
    case XEN_DOMCTL_unpausedomain:
        return d == self ? -EINVAL : domain_unpause(d);
    case XEN_DOMCTL_getdomaininfo:
        domain_fill_info(d, &op->u.getdomaininfo);
        *copy_back = true;
        return 0;
    case XEN_DOMCTL_max_mem: {
        uint64_t kb = op->u.max_mem.max_memkb;
        if (kb > (uint64_t)frame_table_nr << (PAGE_SHIFT - 10) || (kb >> (PAGE_SHIFT - 10)) < d->tot_pages)
            return -EINVAL;
        __atomic_store_n(&d->max_pages, kb >> (PAGE_SHIFT - 10), __ATOMIC_RELEASE);
        return 0;
    }
    case XEN_DOMCTL_max_vcpus:
        return op->u.max_vcpus.max == d->max_vcpus ? 0 : -EINVAL;
    case XEN_DOMCTL_setvcpucontext:
        return d == self ? -EINVAL : set_vcpu_context(d, &op->u.vcpucontext);
    case XEN_DOMCTL_getvcpucontext:
        return get_vcpu_context(d, &op->u.vcpucontext);
    case XEN_DOMCTL_set_ext_vcpucontext:
        return d == self ? -EINVAL : ext_vcpu_context(d, &op->u.ext_vcpucontext, true);
    case XEN_DOMCTL_get_ext_vcpucontext:
        *copy_back = true;
        return ext_vcpu_context(d, &op->u.ext_vcpucontext, false);
    case XEN_DOMCTL_resumedomain:
        return d == self ? -EINVAL : domain_resume(d);
    case XEN_DOMCTL_getvcpuinfo:
        *copy_back = true;
        return get_vcpu_info(d, &op->u.getvcpuinfo);
    case XEN_DOMCTL_getpageframeinfo3:
        return get_page_frame_info(d, &op->u.getpageframeinfo3);
    case XEN_DOMCTL_copy_frames:
        return d == self ? -EINVAL : copy_frames(d, &op->u.copy_frames);
    case XEN_DOMCTL_get_address_size:
        op->u.address_size.size = 64;
        *copy_back = true;
        return 0;
    case XEN_DOMCTL_shadow_op:
        *copy_back = true;
        return pv_shadow_op(d, &op->u.shadow_op);
    case XEN_DOMCTL_set_address_size:
        return op->u.address_size.size == 64 ? 0 : -EINVAL;
    default:
        return -ENOSYS;
    }
}

long do_domctl(uint64_t arg)
{
    struct xen_domctl op;
    struct domain *d;
    bool copy_back = false;
    long rc;

    if (!current->domain->is_privileged)
        return -EPERM;
    if (copy_from_guest(&op, arg, sizeof(op)))
        return -EFAULT;
    if (op.interface_version != XEN_DOMCTL_INTERFACE_VERSION)
        return -EACCES;
    if (!all_zero(op._pad, sizeof(op._pad)))
        return -EINVAL;
    if (op.cmd == XEN_DOMCTL_createdomain) {
        rc = create_domain(&op);
        if (!rc && copy_to_guest(arg, &op, sizeof(op)))
            rc = -EFAULT; /* the domain exists; the caller can find it by listing */
        return rc;
    }
    d = domain_get(op.domain);
    if (!d)
        return -ESRCH;
    rc = domain_op(&op, d, &copy_back);
    domain_put(d);
    if (!rc && copy_back && copy_to_guest(arg, &op, sizeof(op)))
        rc = -EFAULT;
    return rc;
}
