/*
 * Log-dirty mode for PV domains, on shadow page tables.
 *
 * A domain in log-dirty mode runs on copies of its page tables: CR3 holds the shadow of
 * its active L4, and every validated guest table that has been walked has one shadow
 * table of the same level (page_info.shadow_link ties the two). Shadow upper entries
 * point at shadow tables; shadow L1 entries map the guest's frames, but read-only for
 * frames the domain owns until the first write of the round. That write faults here: the
 * frame's pfn goes into the dirty bitmap, the entry becomes writable, and the entry is
 * logged so that CLEAN can make exactly those entries read-only again.
 *
 * The guest's tables are never rewritten except for what the hardware would do to them:
 * a shadow entry is only made present once the guest entry has Accessed set (the fault
 * that makes it present sets it), and only writable once Dirty is (likewise). The guest
 * reads its own tables, so it sees its entries, and its A/D bits, as without shadows.
 *
 * Coherence: page-table updates all go through ptvalidate.c, which calls
 * pv_shadow_entry_changed after the guest entry changed and before the old entry's
 * references are dropped; the shadow entry is cleared then and refilled on the next
 * fault. A table that loses its type loses its shadow. Shadow pages are kept by the
 * domain until log-dirty ends, so a stale reference to one (the write log, another
 * CPU's paging-structure cache) never reaches memory the domain does not own.
 *
 * One lock for all log-dirty domains: it is taken on faults and updates of such domains
 * only, never while holding it does anything fault on guest memory.
 */
#include <tern/bug.h>
#include <tern/domain.h>
#include <tern/event.h>
#include <tern/errno.h>
#include <tern/lib.h>
#include <tern/mm.h>
#include <tern/printk.h>
#include <tern/smp.h>
#include <tern/spinlock.h>
#include <tern/sched.h>
#include <tern/string.h>
#include <tern/xmalloc.h>
#include <asm/current.h>
#include <asm/page.h>
#include <asm/processor.h>
#include <asm/pv.h>
#include <asm/pv_mm.h>
#include <asm/pv_shadow.h>
#include <asm/uaccess.h>
#include <public/domctl.h>

#define LOG_ORDER 5 /* 16384 logged writable entries per round; more: CLEAN walks every L1 */
#define LOG_MAX ((PAGE_SIZE << LOG_ORDER) / sizeof(uint64_t))
#define SHADOW_FLAGS (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_NX)

struct pv_shadow {
    uint64_t *bitmap;
    uint64_t nbits;
    unsigned int bitmap_order;
    uint32_t faults, dirtied;
    uint64_t *log;            /* (shadow L1 mfn << 9) | index of each entry made writable */
    unsigned int log_n;
    bool log_overflow;
    struct list_head tables;  /* shadow tables in use */
    struct list_head pool;    /* freed ones, kept until log-dirty ends */
    unsigned long nr_pages;
    uint64_t spurious_va;     /* the last fault found already fixed */
};

static DEFINE_SPINLOCK(shadow_lock);
static unsigned int shadow_domains; /* how many are in log-dirty mode */

static uint64_t *frame(mfn_t mfn)
{
    return __va((paddr_t)mfn << PAGE_SHIFT);
}

static mfn_t pte_mfn(uint64_t e)
{
    return (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
}

static mfn_t shadow_of(mfn_t gmfn)
{
    uint64_t link = mfn_to_page(gmfn)->shadow_link;

    return link ? link - 1 : PV_MFN_NONE;
}

/* Is mfn the domain's own RAM, whose writes it must log? */
static bool tracked(const struct domain *d, mfn_t mfn)
{
    struct page_info *pg = mfn_valid(mfn) ? mfn_to_page(mfn) : NULL;

    return pg && __atomic_load_n(&pg->owner, __ATOMIC_ACQUIRE) == d->domid;
}

static void mark_dirty(struct pv_shadow *s, mfn_t mfn)
{
    uint64_t pfn = m2p_get(mfn);

    /* a frame whose pfn the guest set out of range is its own loss, as on Xen */
    if (pfn >= s->nbits)
        return;
    if (!(s->bitmap[pfn / 64] & (1ull << (pfn % 64)))) {
        s->bitmap[pfn / 64] |= 1ull << (pfn % 64);
        s->dirtied++;
    }
}

/* A shadow L1 entry for guest entry ge, writable only when the write is being logged. */
static uint64_t shadow_l1e(const struct domain *d, uint64_t ge, bool logging_write)
{
    if (!(ge & _PAGE_PRESENT) || !(ge & _PAGE_ACCESSED))
        return 0;
    if ((ge & _PAGE_RW) && tracked(d, pte_mfn(ge)) && !(logging_write && (ge & _PAGE_DIRTY)))
        ge &= ~_PAGE_RW;
    return ge;
}

/* Does a present upper entry at this level name a table of its own level (a linear entry)? */
static bool linear(mfn_t child, unsigned int level)
{
    return mfn_valid(child) && page_get_type(mfn_to_page(child)) == (uint64_t)level << PGT_type_shift;
}

static mfn_t shadow_new(struct domain *d, mfn_t gmfn, unsigned int level)
{
    struct pv_shadow *s = d->shadow;
    struct page_info *pg;
    uint64_t *st, *gt;
    mfn_t smfn;

    if (!list_empty(&s->pool)) {
        pg = list_first_entry(&s->pool, struct page_info, list);
        list_del(&pg->list);
    } else {
        pg = alloc_domheap_pages(0);
        if (!pg)
            return PV_MFN_NONE;
        s->nr_pages++;
    }
    smfn = page_to_mfn(pg);
    st = frame(smfn);
    memset(st, 0, PAGE_SIZE);
    pg->shadow_level = (uint8_t)level;
    pg->shadow_link = gmfn + 1;
    list_add(&pg->list, &s->tables);
    /* linked before the entries are read: an update after this point clears what we copy */
    __atomic_store_n(&mfn_to_page(gmfn)->shadow_link, smfn + 1, __ATOMIC_SEQ_CST);
    gt = frame(gmfn);
    if (level == 4) {
        for (unsigned int i = PV_L4_XEN_FIRST; i < PV_L4_XEN_FIRST + PV_L4_XEN_SLOTS; i++)
            st[i] = gt[i];
    } else if (level == 1) {
        for (unsigned int i = 0; i < PV_PT_ENTRIES; i++)
            st[i] = shadow_l1e(d, __atomic_load_n(&gt[i], __ATOMIC_ACQUIRE), false);
    }
    return smfn;
}

static void shadow_free(struct pv_shadow *s, struct page_info *spg)
{
    mfn_t gmfn = spg->shadow_link - 1;

    mfn_to_page(gmfn)->shadow_link = 0;
    spg->shadow_link = 0;
    spg->shadow_level = 0;
    list_del(&spg->list);
    list_add(&spg->list, &s->pool);
}

static mfn_t shadow_get(struct domain *d, mfn_t gmfn, unsigned int level)
{
    mfn_t smfn = shadow_of(gmfn);

    return smfn != PV_MFN_NONE ? smfn : shadow_new(d, gmfn, level);
}

static mfn_t active_table(const struct vcpu *v)
{
    return v->kernel_mode || v->guest_table_user == PV_MFN_NONE ? v->guest_table : v->guest_table_user;
}

paddr_t pv_guest_cr3(struct vcpu *v)
{
    struct domain *d = v->domain;
    mfn_t g = active_table(v), smfn;
    unsigned long flags;

    if (!__atomic_load_n(&d->shadow, __ATOMIC_ACQUIRE) || g == PV_MFN_NONE)
        return (paddr_t)g << PAGE_SHIFT;
    spin_lock_irqsave(&shadow_lock, flags);
    smfn = d->shadow ? shadow_get(d, g, 4) : g;
    spin_unlock_irqrestore(&shadow_lock, flags);
    if (smfn == PV_MFN_NONE) {
        /* no memory for a shadow: the guest cannot run untracked */
        domain_crash(d, "no memory for a log-dirty shadow table");
        return (paddr_t)g << PAGE_SHIFT;
    }
    return (paddr_t)smfn << PAGE_SHIFT;
}

/* Sets bits in entry p of guest table g as the hardware would, if it still holds ge; the
 * table's frame is then dirty like any other the guest's CPU wrote. */
static bool guest_set_bits(struct pv_shadow *s, mfn_t g, uint64_t *p, uint64_t ge, uint64_t bits)
{
    if ((ge & bits) == bits)
        return true;
    if (!__atomic_compare_exchange_n(p, &ge, ge | bits, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
        return false;
    mark_dirty(s, g);
    return true;
}

enum fix { FIX_GUEST, FIX_DONE, FIX_SAME, FIX_NOMEM };

/* Walks the guest's tables and the shadows together for va; under shadow_lock. */
static enum fix shadow_fix(struct vcpu *v, uint64_t va, bool write, bool fetch)
{
    struct domain *d = v->domain;
    struct pv_shadow *s = d->shadow;
    mfn_t g = active_table(v), sm;
    bool changed = false;
    uint64_t ge, se, *gt, *st;
    unsigned int idx;

    if (g == PV_MFN_NONE || (sm = shadow_get(d, g, 4)) == PV_MFN_NONE)
        return FIX_NOMEM;
    for (unsigned int level = 4; level > 1; level--) {
        mfn_t child, sc;
        idx = (va >> (12 + 9 * (level - 1))) & 511;
        gt = frame(g);
        st = frame(sm);
        ge = __atomic_load_n(&gt[idx], __ATOMIC_ACQUIRE);
        if (!(ge & _PAGE_PRESENT) || (write && !(ge & _PAGE_RW)) || (fetch && (ge & _PAGE_NX)))
            return FIX_GUEST;
        if (level == 4 && idx >= PV_L4_XEN_FIRST && idx < PV_L4_XEN_FIRST + PV_L4_XEN_SLOTS)
            return FIX_GUEST;
        child = pte_mfn(ge);
        if (linear(child, level)) {
            /* The guest reads its own tables: the shadow names the guest's table itself and
             * the hardware walks the guest's tables from there, read-only all the way down
             * (a linear entry is never writable), so nothing under it needs tracking. */
            if (!guest_set_bits(s, g, &gt[idx], ge, _PAGE_ACCESSED))
                return FIX_DONE;
            se = (ge & SHADOW_FLAGS & ~(uint64_t)_PAGE_RW) | _PAGE_ACCESSED | ((paddr_t)child << PAGE_SHIFT);
            if (st[idx] == se)
                return changed ? FIX_DONE : FIX_SAME;
            __atomic_store_n(&st[idx], se, __ATOMIC_RELEASE);
            return FIX_DONE;
        }
        if ((sc = shadow_get(d, child, level - 1)) == PV_MFN_NONE)
            return FIX_NOMEM;
        if (!guest_set_bits(s, g, &gt[idx], ge, _PAGE_ACCESSED))
            return FIX_DONE; /* the entry changed under us: fault again on the new one */
        se = (ge & SHADOW_FLAGS) | _PAGE_ACCESSED | ((paddr_t)sc << PAGE_SHIFT);
        if (st[idx] != se) {
            __atomic_store_n(&st[idx], se, __ATOMIC_RELEASE);
            changed = true;
        }
        g = child;
        sm = sc;
    }
    idx = (va >> 12) & 511;
    gt = frame(g);
    st = frame(sm);
    ge = __atomic_load_n(&gt[idx], __ATOMIC_ACQUIRE);
    if (!(ge & _PAGE_PRESENT) || (write && !(ge & _PAGE_RW)) || (fetch && (ge & _PAGE_NX)))
        return FIX_GUEST;
    if (!guest_set_bits(s, g, &gt[idx], ge, _PAGE_ACCESSED | (write ? _PAGE_DIRTY : 0)))
        return FIX_DONE;
    ge |= _PAGE_ACCESSED | (write ? _PAGE_DIRTY : 0);
    se = shadow_l1e(d, ge, write);
    if ((se & _PAGE_RW) && tracked(d, pte_mfn(ge))) {
        mark_dirty(s, pte_mfn(ge));
        if (!(st[idx] & _PAGE_RW)) {
            if (s->log_n < LOG_MAX)
                s->log[s->log_n++] = ((uint64_t)sm << 9) | idx;
            else
                s->log_overflow = true;
        }
    }
    if (st[idx] != se) {
        __atomic_store_n(&st[idx], se, __ATOMIC_RELEASE);
        changed = true;
    }
    return changed ? FIX_DONE : FIX_SAME;
}

bool pv_shadow_fault(struct vcpu *v, uint64_t va, uint32_t error)
{
    struct domain *d = v ? v->domain : NULL;
    unsigned long flags;
    enum fix r;

    if (!d || is_idle_vcpu(v) || !__atomic_load_n(&d->shadow, __ATOMIC_ACQUIRE))
        return false;
    if (!guest_range_ok(va, 1) || (error & 8)) /* reserved bits: never ours */
        return false;
    spin_lock_irqsave(&shadow_lock, flags);
    if (!d->shadow) {
        spin_unlock_irqrestore(&shadow_lock, flags);
        return false;
    }
    d->shadow->faults++;
    r = shadow_fix(v, va, error & 2, error & 16);
    if (r == FIX_SAME) {
        /* already right: a stale TLB entry, once; twice in a row at one address is not ours */
        if (d->shadow->spurious_va == va) {
            d->shadow->spurious_va = 0;
            r = FIX_GUEST;
        } else {
            d->shadow->spurious_va = va;
        }
    } else {
        d->shadow->spurious_va = 0;
    }
    spin_unlock_irqrestore(&shadow_lock, flags);
    if (r == FIX_NOMEM) {
        domain_crash(d, "no memory for a log-dirty shadow table");
        return true;
    }
    if (r == FIX_GUEST)
        return false;
    invlpg(va);
    return true;
}

void pv_shadow_frame_written(mfn_t mfn)
{
    struct page_info *pg = mfn_valid(mfn) ? mfn_to_page(mfn) : NULL;
    struct domain *d;
    unsigned long flags;

    if (!pg || !__atomic_load_n(&shadow_domains, __ATOMIC_ACQUIRE))
        return;
    d = domain_by_id((uint16_t)__atomic_load_n(&pg->owner, __ATOMIC_ACQUIRE));
    if (!d || !__atomic_load_n(&d->shadow, __ATOMIC_ACQUIRE))
        return;
    spin_lock_irqsave(&shadow_lock, flags);
    if (d->shadow && tracked(d, mfn))
        mark_dirty(d->shadow, mfn);
    spin_unlock_irqrestore(&shadow_lock, flags);
}

/* The entry is new content of the table's frame as well as a change to its shadow. */
void pv_shadow_entry_changed(struct page_info *table, unsigned int index)
{
    unsigned long flags;
    struct domain *d;
    mfn_t smfn;

    if (!__atomic_load_n(&shadow_domains, __ATOMIC_SEQ_CST))
        return;
    d = domain_by_id((uint16_t)__atomic_load_n(&table->owner, __ATOMIC_ACQUIRE));
    spin_lock_irqsave(&shadow_lock, flags);
    if (d && d->shadow && tracked(d, page_to_mfn(table)))
        mark_dirty(d->shadow, page_to_mfn(table));
    smfn = table->shadow_link ? table->shadow_link - 1 : PV_MFN_NONE;
    if (smfn != PV_MFN_NONE && !(mfn_to_page(smfn)->shadow_level == 4 && index >= PV_L4_XEN_FIRST &&
                                 index < PV_L4_XEN_FIRST + PV_L4_XEN_SLOTS))
        __atomic_store_n(&frame(smfn)[index], 0, __ATOMIC_RELEASE);
    spin_unlock_irqrestore(&shadow_lock, flags);
}

void pv_shadow_table_gone(struct page_info *table)
{
    struct domain *d;
    unsigned long flags;

    if (!__atomic_load_n(&table->shadow_link, __ATOMIC_SEQ_CST))
        return;
    d = domain_by_id((uint16_t)table->owner);
    spin_lock_irqsave(&shadow_lock, flags);
    if (table->shadow_link && d && d->shadow)
        shadow_free(d->shadow, mfn_to_page(table->shadow_link - 1));
    spin_unlock_irqrestore(&shadow_lock, flags);
}

/* Every shadow L1 entry of an owned frame read-only again, from the log or, when it
 * overflowed, from all of them. */
static void reprotect(struct domain *d, struct pv_shadow *s)
{
    struct page_info *pg;

    if (s->log_overflow) {
        list_for_each_entry(pg, &s->tables, list) {
            uint64_t *st = frame(page_to_mfn(pg));
            if (pg->shadow_level != 1)
                continue;
            for (unsigned int i = 0; i < PV_PT_ENTRIES; i++) {
                if ((st[i] & _PAGE_RW) && tracked(d, pte_mfn(st[i])))
                    __atomic_fetch_and(&st[i], ~(uint64_t)_PAGE_RW, __ATOMIC_ACQ_REL);
            }
        }
    } else {
        for (unsigned int i = 0; i < s->log_n; i++) {
            mfn_t smfn = s->log[i] >> 9;
            uint64_t *e = &frame(smfn)[s->log[i] & 511];
            /* the table may have been freed and reused since: only ever an L1 of ours */
            if (mfn_to_page(smfn)->shadow_level == 1 && tracked(d, pte_mfn(*e)))
                __atomic_fetch_and(e, ~(uint64_t)_PAGE_RW, __ATOMIC_ACQ_REL);
        }
    }
    s->log_n = 0;
    s->log_overflow = false;
}

/* Frames written all the time other than through the guest's tables stay dirty: the
 * vCPU info pages and FIFO event pages the hypervisor updates, and frames another domain holds writable
 * mappings of (dom0's backends, xenstored and console rings). One walk of the domain's
 * pages per round. */
static void mark_event_frame(void *s, mfn_t mfn)
{
    mark_dirty(s, mfn);
}

static void mark_always_dirty(struct domain *d, struct pv_shadow *s)
{
    struct page_info *pg;
    struct vcpu *v;

    for_each_vcpu(d, v) {
        if (v->vcpu_info_page)
            mark_dirty(s, page_to_mfn(v->vcpu_info_page));
    }
    evtchn_event_frames(d, mark_event_frame, s); /* event words and control blocks */
    spin_lock(&d->lock);
    list_for_each_entry(pg, &d->page_list, list) {
        if (__atomic_load_n(&pg->foreign_rw, __ATOMIC_ACQUIRE))
            mark_dirty(s, page_to_mfn(pg));
    }
    spin_unlock(&d->lock);
}

static void flush_local(void *unused)
{
    flush_tlb_local();
}

static void free_all(struct pv_shadow *s)
{
    struct page_info *pg, *tmp;

    list_for_each_entry_safe(pg, tmp, &s->tables, list)
        shadow_free(s, pg);
    list_for_each_entry_safe(pg, tmp, &s->pool, list) {
        list_del(&pg->list);
        free_domheap_page(pg);
    }
    if (s->bitmap)
        free_xenheap_pages(s->bitmap, s->bitmap_order);
    if (s->log)
        free_xenheap_pages(s->log, LOG_ORDER);
    xfree(s);
}

static int enable(struct domain *d)
{
    struct pv_shadow *s;
    unsigned long flags;
    uint64_t nbits = d->max_pages > d->tot_pages ? d->max_pages : d->tot_pages;
    struct vcpu *v;
    int rc = 0;

    if (d->shadow)
        return -EBUSY;
    if (nbits < d->p2m_size)
        nbits = d->p2m_size;
    nbits = (nbits + 63) & ~63ull;
    s = xzalloc(struct pv_shadow);
    if (!s)
        return -ENOMEM;
    list_init(&s->tables);
    list_init(&s->pool);
    s->nbits = nbits;
    while ((PAGE_SIZE << s->bitmap_order) < nbits / 8)
        s->bitmap_order++;
    s->bitmap = alloc_xenheap_pages(s->bitmap_order);
    s->log = alloc_xenheap_pages(LOG_ORDER);
    if (!s->bitmap || !s->log) {
        free_all(s);
        return -ENOMEM;
    }
    domain_pause(d);
    spin_lock_irqsave(&shadow_lock, flags);
    d->shadow = s;
    /* the roots now, so that switching to them later cannot fail for want of memory */
    for_each_vcpu(d, v) {
        if ((v->guest_table != PV_MFN_NONE && shadow_get(d, v->guest_table, 4) == PV_MFN_NONE) ||
            (v->guest_table_user != PV_MFN_NONE && shadow_get(d, v->guest_table_user, 4) == PV_MFN_NONE))
            rc = -ENOMEM;
    }
    if (rc)
        d->shadow = NULL;
    else
        shadow_domains++;
    spin_unlock_irqrestore(&shadow_lock, flags);
    if (rc)
        free_all(s);
    else
        heap_scrub_hold(true);
    domain_unpause(d);
    return rc;
}

/* Log-dirty off for a domain none of whose vCPUs is on a CPU (paused or dying): no CPU
 * has its CR3 in a shadow, and each switch away flushed them. */
static void shadows_off(struct domain *d)
{
    struct pv_shadow *s;
    unsigned long flags;

    spin_lock_irqsave(&shadow_lock, flags);
    s = d->shadow;
    d->shadow = NULL;
    if (s)
        shadow_domains--;
    spin_unlock_irqrestore(&shadow_lock, flags);
    if (s) {
        free_all(s);
        heap_scrub_hold(false);
    }
}

static int disable(struct domain *d)
{
    if (!d->shadow)
        return 0;
    domain_pause(d);
    shadows_off(d);
    domain_unpause(d);
    return 0;
}

void pv_shadow_domain_destroy(struct domain *d)
{
    shadows_off(d);
}

/* CLEAN and PEEK: the bitmap to the caller's buffer; CLEAN also starts a new round. */
static long bitmap_op(struct domain *d, struct xen_domctl_shadow_op *sc, bool clean)
{
    struct pv_shadow *s;
    unsigned long flags;
    uint64_t bits;
    long rc = 0;

    spin_lock_irqsave(&shadow_lock, flags);
    s = d->shadow;
    if (!s) {
        spin_unlock_irqrestore(&shadow_lock, flags);
        return -EINVAL;
    }
    bits = sc->pages < s->nbits ? sc->pages : s->nbits;
    if (clean)
        reprotect(d, s);
    mark_always_dirty(d, s);
    sc->stats.fault_count = s->faults;
    sc->stats.dirty_count = s->dirtied;
    sc->pages = bits;
    if (sc->dirty_bitmap && bits &&
        copy_to_guest((uint64_t)sc->dirty_bitmap, s->bitmap, (bits + 7) / 8))
        rc = -EFAULT;
    if (clean) {
        memset(s->bitmap, 0, s->nbits / 8);
        s->faults = s->dirtied = 0;
    }
    spin_unlock_irqrestore(&shadow_lock, flags);
    if (clean) {
        /* no CPU may keep a writable translation from the round that ended */
        flush_tlb_local();
        smp_call_function(flush_local, NULL);
    }
    return rc;
}

long pv_shadow_op(struct domain *d, struct xen_domctl_shadow_op *sc)
{
    if (d == current->domain)
        return -EINVAL;
    switch (sc->op) {
    case XEN_DOMCTL_SHADOW_OP_OFF:
        return disable(d);
    case XEN_DOMCTL_SHADOW_OP_ENABLE:
        if (sc->mode != XEN_DOMCTL_SHADOW_ENABLE_LOG_DIRTY)
            return -EINVAL; /* log-dirty is the one shadow mode there is */
        return enable(d);
    case XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY:
        return enable(d);
    case XEN_DOMCTL_SHADOW_OP_CLEAN:
    case XEN_DOMCTL_SHADOW_OP_PEEK:
        return bitmap_op(d, sc, sc->op == XEN_DOMCTL_SHADOW_OP_CLEAN);
    case XEN_DOMCTL_SHADOW_OP_GET_ALLOCATION: {
        unsigned long flags;
        spin_lock_irqsave(&shadow_lock, flags);
        sc->mb = d->shadow ? (uint32_t)((d->shadow->nr_pages * PAGE_SIZE + (1u << 20) - 1) >> 20) : 0;
        spin_unlock_irqrestore(&shadow_lock, flags);
        return 0;
    }
    default:
        return -EINVAL;
    }
}
