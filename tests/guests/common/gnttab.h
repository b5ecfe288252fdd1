/* Grant-table helpers for test guests: the hypercall, own domid, table set-up, entries. */
#ifndef GUEST_GNTTAB_H
#define GUEST_GNTTAB_H

#include "pt.h"
#include <public/grant_table.h>

static inline long gnttab_op(unsigned int cmd, void *uop, unsigned int count)
{
    return hypercall3(__HYPERVISOR_grant_table_op, cmd, uop, count);
}

/* A PV guest has no call that names its own domid; query_size answers only for our
 * own table (or a privileged caller's), so the first domid it accepts is ours. */
static inline domid_t gnttab_own_domid(void)
{
    for (domid_t d = 1; d < 256; d++) {
        struct gnttab_query_size q = { .dom = d };
        if (gnttab_op(GNTTABOP_query_size, &q, 1) == 0 && q.status == GNTST_okay)
            return d;
    }
    return DOMID_INVALID;
}

/* Sets up nr table frames and maps them read-write at va; returns the entries, or NULL. */
static inline volatile struct grant_entry_v1 *gnttab_map_own_table(unsigned int nr, uint64_t va)
{
    xen_pfn_t frames[4];
    struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = nr, .frame_list = frames };

    if (nr > 4 || gnttab_op(GNTTABOP_setup_table, &st, 1) != 0 || st.status != GNTST_okay)
        return NULL;
    for (unsigned int i = 0; i < nr; i++)
        if (hypervisor_update_va_mapping(va + i * PAGE_BYTES, (frames[i] << 12) | PTE_FLAGS_RW,
                                         UVMF_INVLPG))
            return NULL;
    return (volatile struct grant_entry_v1 *)(uintptr_t)va;
}

/* Grants frame mfn to domid: frame and domid first, then (after a barrier) the flags. */
static inline void gnttab_grant(volatile struct grant_entry_v1 *e, domid_t domid, uint64_t mfn,
                                bool readonly)
{
    e->frame = (uint32_t)mfn;
    e->domid = domid;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    e->flags = GTF_permit_access | (readonly ? GTF_readonly : 0);
}

/* Revokes a grant unless it is in use: true when revoked. */
static inline bool gnttab_revoke(volatile struct grant_entry_v1 *e)
{
    uint16_t f = e->flags;

    if (f & (GTF_reading | GTF_writing))
        return false;
    return __atomic_compare_exchange_n(&e->flags, &f, 0, false, __ATOMIC_SEQ_CST,
                                       __ATOMIC_SEQ_CST);
}

static inline int16_t gnttab_map(domid_t dom, grant_ref_t ref, uint64_t va, uint32_t flags,
                                 grant_handle_t *handle, uint64_t *bus)
{
    struct gnttab_map_grant_ref m = { .host_addr = va, .flags = flags, .ref = ref, .dom = dom };

    if (gnttab_op(GNTTABOP_map_grant_ref, &m, 1))
        return -100; /* the hypercall itself failed */
    if (handle)
        *handle = m.handle;
    if (bus)
        *bus = m.dev_bus_addr;
    return m.status;
}

static inline int16_t gnttab_unmap(grant_handle_t handle, uint64_t va)
{
    struct gnttab_unmap_grant_ref u = { .host_addr = va, .handle = handle };

    if (gnttab_op(GNTTABOP_unmap_grant_ref, &u, 1))
        return -100;
    return u.status;
}

/* The device mapping of a handle, named by its bus address. */
static inline int16_t gnttab_unmap_dev(grant_handle_t handle, uint64_t bus)
{
    struct gnttab_unmap_grant_ref u = { .dev_bus_addr = bus, .handle = handle };

    if (gnttab_op(GNTTABOP_unmap_grant_ref, &u, 1))
        return -100;
    return u.status;
}

/* One copy; gref sides name (domid, ref), frame sides (DOMID_SELF, mfn). */
static inline int16_t gnttab_copy1(uint16_t flags, domid_t sdom, uint64_t sref, uint16_t soff,
                                   domid_t ddom, uint64_t dref, uint16_t doff, uint16_t len)
{
    struct gnttab_copy c = { .flags = flags, .len = len };

    c.source.domid = sdom;
    c.source.offset = soff;
    c.dest.domid = ddom;
    c.dest.offset = doff;
    if (flags & GNTCOPY_source_gref)
        c.source.u.ref = (grant_ref_t)sref;
    else
        c.source.u.gmfn = sref;
    if (flags & GNTCOPY_dest_gref)
        c.dest.u.ref = (grant_ref_t)dref;
    else
        c.dest.u.gmfn = dref;
    if (gnttab_op(GNTTABOP_copy, &c, 1))
        return -100;
    return c.status;
}

static inline void gnttab_yield(void)
{
    hypervisor_sched_op(SCHEDOP_yield, NULL);
}

#endif
