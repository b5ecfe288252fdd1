/* memory_op: reservations within the allotment, the memory map and the M2P's location. */
#include <tern/domain.h>
#include <tern/errno.h>
#include <tern/lib.h>
#include <tern/mm.h>
#include <asm/current.h>
#include <asm/page.h>
#include <asm/pv.h>
#include <asm/pv_hypercall.h>
#include <asm/pv_iomem.h>
#include <asm/pv_shadow.h>
#include <asm/uaccess.h>
#include <public/memory.h>

#define MAX_EXTENT_ORDER 9 /* 2 MiB extents at most */


void memory_add_frame(struct domain *d, struct page_info *pg, uint64_t gpfn)
{
    frame_scrub(pg);
    frame_assign(pg, d->domid);
    memory_link_frame(d, pg, gpfn);
}

void memory_link_frame(struct domain *d, struct page_info *pg, uint64_t gpfn)
{
    spin_lock(&d->lock);
    list_add_tail(&pg->list, &d->page_list);
    d->tot_pages++;
    spin_unlock(&d->lock);
    m2p_set(page_to_mfn(pg), gpfn);
    pv_shadow_frame_written(page_to_mfn(pg)); /* new contents at that pfn */
}

void memory_drop_frame(struct domain *d, struct page_info *pg)
{
    spin_lock(&d->lock);
    list_del(&pg->list);
    list_init(&pg->list);
    d->tot_pages--;
    spin_unlock(&d->lock);
    m2p_set(page_to_mfn(pg), ~0ull);
    frame_release(pg);
}

/* The caller's own domain, or (for the control domain) another, held: put_reservation. */
static struct domain *reservation_domain(domid_t domid)
{
    struct domain *d = current->domain;

    if (domid == DOMID_SELF || domid == d->domid)
        return d;
    return d->is_privileged && domid < DOMID_FIRST_RESERVED ? domain_get(domid) : NULL;
}

static void put_reservation(struct domain *d)
{
    if (d != current->domain)
        domain_put(d);
}

/* Allocates extents, writing each first MFN back (PV guests are not translated). */
static long increase_reservation(struct domain *d, const struct xen_memory_reservation *r, bool populate)
{
    struct frame_chunk chunk = { NULL, 0 };
    uint64_t i;

    for (i = 0; i < r->nr_extents; i++) {
        uint64_t pages = 1ull << r->extent_order, gpfn = 0;
        uint64_t slot = (uint64_t)r->extent_start + i * sizeof(xen_pfn_t);
        struct page_info *pg;
        if (d->tot_pages + pages > d->max_pages)
            break;
        if (populate && copy_from_guest(&gpfn, slot, sizeof(gpfn)))
            break;
        /* many single frames (a restore's populate): out of 2 MiB blocks */
        pg = !r->extent_order && r->nr_extents >= 64 ? frame_chunk_take(&chunk)
                                                      : alloc_domheap_pages(r->extent_order);
        if (!pg)
            break;
        for (uint64_t j = 0; j < pages; j++)
            memory_add_frame(d, pg + j, populate ? gpfn + j : ~0ull);
        xen_pfn_t mfn = page_to_mfn(pg);
        if (r->extent_start && copy_to_guest(slot, &mfn, sizeof(mfn)))
            break; /* the guest loses track of them; they stay in its allotment */
    }
    frame_chunk_release(&chunk);
    return (long)i;
}

/* Gives frames back: each must be the domain's and otherwise unused. */
static long decrease_reservation(struct domain *d, const struct xen_memory_reservation *r)
{
    uint64_t i;

    if (r->extent_order)
        return 0; /* single pages only */
    /* a frame we give back may still sit in a TLB of another of our CPUs */
    pv_flush_domain_tlbs();
    for (i = 0; i < r->nr_extents; i++) {
        xen_pfn_t mfn;
        struct page_info *pg;
        if (copy_from_guest(&mfn, (uint64_t)r->extent_start + i * sizeof(mfn), sizeof(mfn)))
            break;
        pg = mfn_valid(mfn) ? mfn_to_page(mfn) : NULL;
        if (!pg || !get_page(pg, d->domid))
            break;
        /* our reference and the allocation's are the only ones, and no type is held */
        if (page_get_count(pg) != 2 || page_get_type_count(pg) || pg == mfn_to_page(PFN_DOWN(__pa(d->shared_info)))) {
            put_page(pg);
            break;
        }
        memory_drop_frame(d, pg);
        put_page(pg);
    }
    return (long)i;
}

long do_memory_op(unsigned long cmd, uint64_t arg)
{
    struct domain *d = current->domain;

    switch (cmd & MEMOP_CMD_MASK) {
    case XENMEM_increase_reservation:
    case XENMEM_decrease_reservation:
    case XENMEM_populate_physmap: {
        struct xen_memory_reservation r;
        struct domain *td;
        if (copy_from_guest(&r, arg, sizeof(r)))
            return -EFAULT;
        if (r.extent_order > MAX_EXTENT_ORDER || r.nr_extents > (1u << 20))
            return -EINVAL;
        if (!(td = reservation_domain(r.domid)))
            return -EPERM;
        long rc = cmd == XENMEM_decrease_reservation ? decrease_reservation(td, &r)
                                                     : increase_reservation(td, &r, cmd == XENMEM_populate_physmap);
        put_reservation(td);
        return rc;
    }
    case XENMEM_exchange:
        return memory_exchange(arg);
    case XENMEM_maximum_ram_page:
        return (long)(frame_table_nr - 1);
    case XENMEM_current_reservation:
    case XENMEM_maximum_reservation: {
        domid_t domid;
        struct domain *td;
        if (copy_from_guest(&domid, arg, sizeof(domid)))
            return -EFAULT;
        if (!(td = reservation_domain(domid)))
            return -EPERM;
        long rc = (long)(cmd == XENMEM_current_reservation ? td->tot_pages : td->max_pages);
        put_reservation(td);
        return rc;
    }
    case XENMEM_machphys_mapping: {
        struct xen_machphys_mapping m = {
            .v_start = RO_MPT_VIRT_START,
            .v_end = RO_MPT_VIRT_START + frame_table_nr * 8,
            .max_mfn = frame_table_nr - 1,
        };
        return copy_to_guest(arg, &m, sizeof(m));
    }
    case XENMEM_machine_memory_map:
        return iomem_machine_memory_map(arg);
    case XENMEM_memory_map: {
        struct xen_memory_map map;
        struct e820entry e = { 0, d->max_pages << PAGE_SHIFT, E820_RAM };
        if (copy_from_guest(&map, arg, sizeof(map)))
            return -EFAULT;
        if (map.nr_entries < 1)
            return -EINVAL;
        if (copy_to_guest((uint64_t)map.buffer, &e, sizeof(e)))
            return -EFAULT;
        map.nr_entries = 1;
        return copy_to_guest(arg, &map, sizeof(map));
    }
    default:
        return -ENOSYS;
    }
}
