/*
 * Grant host mappings for x86-64 PV: the L1 entry that maps a granted frame into the
 * mapping domain, written through the same validation as mmu_update (ptvalidate.c),
 * which asks gnttab_may_map_foreign before it lets a foreign frame in.
 */
#include <tern/domain.h>
#include <tern/errno.h>
#include <tern/grant_table.h>
#include <asm/page.h>
#include <asm/processor.h>
#include <asm/pv.h>
#include <asm/pv_mm.h>
#include <asm/uaccess.h>

#define UNMAP_TRIES 8

static bool is_live_l1(mfn_t l1)
{
    struct page_info *pg = mfn_to_page(l1);

    return pg && page_get_type(pg) == PGT_l1_page_table && page_get_type_count(pg);
}

/* Where the entry is: the PTE's machine address (GNTMAP_contains_pte), else the L1
 * slot of the virtual address in v's current tables. */
static int16_t locate(struct vcpu *v, uint64_t host_addr, uint32_t flags, mfn_t *l1,
                      unsigned int *index)
{
    if (flags & GNTMAP_contains_pte) {
        if (host_addr & 7)
            return GNTST_bad_virt_addr;
        *l1 = host_addr >> PAGE_SHIFT;
        *index = (host_addr & (PAGE_SIZE - 1)) >> 3;
        return is_live_l1(*l1) ? GNTST_okay : GNTST_general_error;
    }
    if (!guest_range_ok(host_addr, 1))
        return GNTST_bad_virt_addr;
    *l1 = pv_find_l1(v, host_addr);
    *index = (host_addr >> PAGE_SHIFT) & (PV_PT_ENTRIES - 1);
    return *l1 == PV_MFN_NONE ? GNTST_general_error : GNTST_okay;
}

/* What slot index of L1 table l1 holds now. */
static uint64_t read_slot(mfn_t l1, unsigned int index)
{
    const uint64_t *t = __va((paddr_t)l1 << PAGE_SHIFT);

    return __atomic_load_n(&t[index], __ATOMIC_ACQUIRE);
}

int16_t arch_gnttab_map(struct vcpu *v, uint64_t host_addr, uint32_t flags, mfn_t mfn,
                        mfn_t *l1, unsigned int *index)
{
    uint64_t pte = ((uint64_t)mfn << PAGE_SHIFT) | _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED, prev;
    int16_t st = locate(v, host_addr, flags, l1, index);

    if (st != GNTST_okay)
        return st;
    if (!(flags & GNTMAP_readonly))
        pte |= _PAGE_RW | _PAGE_DIRTY;
    /* Whatever the slot held is replaced, and its references dropped, as on Xen. */
    if (pv_mod_entry_prev(v->domain->domid, *l1, *index, pte, false, &prev))
        return GNTST_general_error;
    /* the slot's old translation, on every CPU; none is cached of an empty slot (a
     * backend maps into empty slots: a flush each under emulation cost 5-30 us) */
    if (prev & _PAGE_PRESENT)
        pv_flush_guest_tlbs(v->domain->domid);
    return GNTST_okay;
}

int16_t arch_gnttab_replace(struct vcpu *v, mfn_t l1, unsigned int index, mfn_t mfn, uint64_t new_addr)
{
    uint16_t domid = v->domain->domid;
    mfn_t nl1;
    unsigned int nindex;
    uint64_t e, cur;

    if (locate(v, new_addr, 0, &nl1, &nindex) != GNTST_okay || !is_live_l1(nl1) || !is_live_l1(l1))
        return GNTST_general_error;
    if (nl1 == l1 && nindex == index)
        return GNTST_general_error; /* the grant's own slot */
    cur = read_slot(l1, index);
    if (!(cur & _PAGE_PRESENT) || ((cur & PV_PTE_ADDR_MASK) >> PAGE_SHIFT) != mfn)
        return GNTST_general_error; /* no longer where the grant was mapped */
    e = read_slot(nl1, nindex);
    /* the entry is taken as any update of the slot (a page of the caller's, checked), the
     * grant's dropped; then new_addr's copy goes, with its references */
    if (pv_mod_entry(domid, l1, index, e, false))
        return GNTST_general_error;
    pv_mod_entry(domid, nl1, nindex, 0, false);
    pv_flush_guest_tlbs(domid); /* neither old translation may be used on any CPU */
    return GNTST_okay;
}

void arch_gnttab_flush(uint16_t domid)
{
    pv_flush_guest_tlbs(domid);
}

int arch_gnttab_unmap(uint16_t domid, mfn_t l1, unsigned int index, mfn_t mfn, bool flush)
{
    for (unsigned int tries = 0; tries < UNMAP_TRIES; tries++) {
        uint64_t e;
        int rc;

        /* A table that stopped being an L1 dropped its entries' references when it
         * did, and cannot be validated again with this one (the foreign frame is
         * refused outside map_grant_ref): nothing of the mapping is left. */
        if (!is_live_l1(l1))
            return 0;
        e = read_slot(l1, index);
        if (!(e & _PAGE_PRESENT) || ((e & PV_PTE_ADDR_MASK) >> PAGE_SHIFT) != mfn)
            return 0; /* the guest replaced it: gone already */
        rc = pv_mod_entry(domid, l1, index, 0, false);
        if (!rc || rc == -EPERM) {
            /* the granting domain may reuse the frame: no CPU may still reach it */
            if (flush)
                pv_flush_guest_tlbs(domid);
            return 0;
        }
    }
    return -EBUSY;
}
