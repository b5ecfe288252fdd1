/* XEN_SYSCTL_*: the host as the control domain's toolstack sees it. */
#include <tern/bootinfo.h>
#include <tern/domain.h>
#include <tern/errno.h>
#include <tern/lib.h>
#include <tern/mm.h>
#include <tern/smp.h>
#include <tern/time.h>
#include <asm/current.h>
#include <asm/page.h>
#include <asm/pv_hypercall.h>
#include <asm/uaccess.h>
#include <public/sysctl.h>

static void physinfo(struct xen_sysctl_physinfo *p)
{
    unsigned int max_id = 0;

    memset(p, 0, sizeof(*p));
    for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
        if (cpu_online(cpu))
            max_id = cpu;
    p->threads_per_core = 1;
    p->cores_per_socket = nr_cpus_online;
    p->nr_cpus = nr_cpus_online;
    p->max_cpu_id = max_id;
    p->nr_nodes = 1;
    p->cpu_khz = (uint32_t)tsc_khz();
    p->capabilities = XEN_SYSCTL_PHYSCAP_pv | XEN_SYSCTL_PHYSCAP_gnttab_v1;
    p->total_pages = bootinfo_usable_bytes() >> PAGE_SHIFT;
    p->free_pages = frames_free_pages();
    p->max_mfn = frame_table_nr - 1;
}

/* The live domain with the smallest id >= from, held; NULL when there is none. */
static struct domain *next_domain_from(uint32_t from)
{
    struct domain *d, *best = NULL;
    unsigned long flags;

    spin_lock_irqsave(&domain_list_lock, flags);
    list_for_each_entry(d, &domain_list, link)
        if (d->domid >= from && !d->is_dying && (!best || d->domid < best->domid))
            best = d;
    if (best)
        __atomic_fetch_add(&best->refcnt, 1, __ATOMIC_SEQ_CST);
    spin_unlock_irqrestore(&domain_list_lock, flags);
    return best;
}

static long domain_info_list(struct xen_sysctl_getdomaininfolist *l)
{
    uint32_t n = 0, from = l->first_domain;
    struct domain *d;

    while (n < l->max_domains && (d = next_domain_from(from)) != NULL) {
        struct xen_domctl_getdomaininfo info;
        domain_fill_info(d, &info);
        from = d->domid + 1u;
        domain_put(d);
        if (copy_to_guest((uint64_t)l->buffer + n * sizeof(info), &info, sizeof(info)))
            return -EFAULT;
        n++;
    }
    l->num_domains = n;
    return 0;
}

long do_sysctl(uint64_t arg)
{
    struct xen_sysctl op;
    long rc;

    if (!current->domain->is_privileged)
        return -EPERM;
    if (copy_from_guest(&op, arg, sizeof(op)))
        return -EFAULT;
    if (op.interface_version != XEN_SYSCTL_INTERFACE_VERSION)
        return -EACCES;
    switch (op.cmd) {
    case XEN_SYSCTL_physinfo:
        physinfo(&op.u.physinfo);
        rc = 0;
        break;
    case XEN_SYSCTL_getdomaininfolist:
        if (op.u.getdomaininfolist._pad || op.u.getdomaininfolist._pad2)
            return -EINVAL;
        rc = domain_info_list(&op.u.getdomaininfolist);
        break;
    case XEN_SYSCTL_stage:
        rc = pv_stage_op(&op.u.stage);
        break;
    default:
        return -ENOSYS;
    }
    if (!rc && copy_to_guest(arg, &op, sizeof(op)))
        rc = -EFAULT;
    return rc;
}
