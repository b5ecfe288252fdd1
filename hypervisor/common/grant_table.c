/*
 * Grant tables: each domain's table frames, the active (pinned) state of its entries,
 * and its maptrack, the mappings it holds of other domains' grants.
 *
 * Versions. v1 entries are 8 bytes with GTF_reading/GTF_writing in their flags. A domain
 * may switch to v2 (set_version) while no entry beyond the 8 reserved ones is pinned:
 * 16-byte entries with a 64-bit frame, sub-page grants for copies, and the reading/writing
 * bits in separate status frames, 2 bytes an entry. The reserved entries survive a switch.
 *
 * References. A pin (map or copy in progress) sets GTF_reading/GTF_writing in the shared
 * entry, so the granter cannot revoke it. Each maptrack entry holds its own general
 * reference on the granted frame (and a writable type reference when RW), so a granter
 * that dies with its frames mapped leaves those frames alive until they are unmapped.
 * The L1 entry of a host mapping holds references of its own, taken by the page-table
 * code; gnttab_may_map_foreign lets exactly that one entry in, while it is installed,
 * so a guest cannot copy the grant into further entries that would outlive the unmap.
 *
 * Sizes: a table grows frame by frame up to Xen's default of 64 (32768 entries), each
 * frame's active state allocated with it; the maptrack grows 256 handles at a time up to
 * Xen's default of 262144 (a backend domain keeps thousands mapped: blkback's persistent
 * grants alone are up to 1056 per ring), free handles on a list.
 *
 * Locking: one global lock over all grant state, as for event channels. Lookups go
 * through our own list of tables, never through another domain's struct domain, so a
 * domain being destroyed on another CPU is never touched after it leaves the list.
 */
#include <tern/domain.h>
#include <tern/errno.h>
#include <tern/printk.h>
#include <tern/grant_table.h>
#include <tern/lib.h>
#include <tern/list.h>
#include <tern/mm.h>
#include <tern/sched.h>
#include <tern/string.h>
#include <tern/xmalloc.h>
#include <asm/current.h>
#include <asm/page.h>
#include <asm/uaccess.h>

struct gnttab_active {
    uint32_t pin_ro, pin_rw; /* read-only and writable pins */
    uint32_t mfn;            /* frame at the first pin: later edits of the entry don't count */
    uint16_t domid;          /* who pinned it */
    uint16_t start, length;  /* the bytes granted (v2 sub-page grants), also from the first pin */
};

struct gnttab_map {
    uint32_t flags;              /* GNTMAP_*; 0 = free handle */
    uint32_t handle;             /* its own number, fixed */
    uint32_t next_free;          /* while free: the next free handle, or NO_HANDLE */
    uint32_t ref;
    struct grant_table *rgt;     /* granter's table; NULL once the granter is gone */
    mfn_t mfn;
    uint64_t host_addr;
    mfn_t l1;                    /* where the host mapping's entry is */
    unsigned int index;
    struct vcpu *installer;      /* set while the L1 entry is being written */
    bool release_pending;        /* unmapped in a batch that has not flushed yet */
};

struct grant_table {
    struct list_head link;       /* all_tables */
    uint16_t domid;
    unsigned int nr_frames;
    struct page_info *frames[GNTTAB_MAX_FRAMES];
    struct gnttab_active *active[GNTTAB_MAX_FRAMES]; /* GNTTAB_PER_FRAME each */
    unsigned int version;        /* 1 or 2 */
    unsigned int nr_status;      /* v2: status frames, enough for every entry */
    struct page_info *status[GNTTAB_MAX_FRAMES / 8];
    struct gnttab_map *maptrack[GNTTAB_MAPTRACK / GNTTAB_MAPTRACK_CHUNK];
    unsigned int maptrack_chunks;
    uint32_t free_handle;        /* head of the free list, or NO_HANDLE */
    struct gnttab_map *installing; /* written only under gnttab_lock by its holder */
};

#define NO_HANDLE 0xffffffffu

DEFINE_SPINLOCK(gnttab_lock);

static struct gnttab_active *active_of(struct grant_table *gt, uint32_t ref)
{
    return &gt->active[ref / GNTTAB_PER_FRAME][ref % GNTTAB_PER_FRAME];
}

/* The entry of handle h, or NULL if h was never allocated. */
static struct gnttab_map *map_of(struct grant_table *gt, uint32_t h)
{
    if (h >= gt->maptrack_chunks * GNTTAB_MAPTRACK_CHUNK)
        return NULL;
    return &gt->maptrack[h / GNTTAB_MAPTRACK_CHUNK][h % GNTTAB_MAPTRACK_CHUNK];
}
static LIST_HEAD(all_tables);

/* A guest that keeps rewriting an entry only makes its own map fail. */
#define SET_STATUS_TRIES 5

struct grant_table *gnttab_lookup(uint16_t domid)
{
    struct grant_table *gt;

    /* a dying domain's table still exists until it is destroyed, but takes no new uses */
    if (!domain_by_id(domid))
        return NULL;
    list_for_each_entry(gt, &all_tables, link)
        if (gt->domid == domid)
            return gt;
    return NULL;
}

uint16_t gnttab_owner(const struct grant_table *gt)
{
    return gt->domid;
}

#define V2_PER_FRAME (PAGE_SIZE / sizeof(grant_entry_v2_t))
#define STATUS_PER_FRAME (PAGE_SIZE / sizeof(grant_status_t))

static void *frame_ptr(struct page_info *pg)
{
    return __va((paddr_t)page_to_mfn(pg) << PAGE_SHIFT);
}

static unsigned int nr_entries(const struct grant_table *gt)
{
    return gt->nr_frames * (gt->version == 2 ? V2_PER_FRAME : GNTTAB_PER_FRAME);
}

static uint64_t *entry_word(struct grant_table *gt, uint32_t ref)
{
    uint64_t *frame = frame_ptr(gt->frames[ref / GNTTAB_PER_FRAME]);

    return &frame[ref % GNTTAB_PER_FRAME];
}

static grant_entry_v2_t *entry_v2(struct grant_table *gt, uint32_t ref)
{
    grant_entry_v2_t *frame = frame_ptr(gt->frames[ref / V2_PER_FRAME]);

    return &frame[ref % V2_PER_FRAME];
}

static grant_status_t *status_v2(struct grant_table *gt, uint32_t ref)
{
    grant_status_t *frame = frame_ptr(gt->status[ref / STATUS_PER_FRAME]);

    return &frame[ref % STATUS_PER_FRAME];
}

/* The shared entry as one 64-bit word (x86 little endian): flags, domid, frame. */
#define E_FLAGS(e) ((uint16_t)(e))
#define E_DOMID(e) ((uint16_t)((e) >> 16))
#define E_FRAME(e) ((uint32_t)((e) >> 32))

/* Sets GTF_reading (and GTF_writing) with cmpxchg against one snapshot of the entry,
 * which is also what gets judged; on a first pin, type and domid must match. */
static int16_t set_status_v1(struct grant_table *gt, uint32_t ref, uint16_t user, bool readonly,
                             bool first, uint32_t *frame)
{
    uint64_t *p = entry_word(gt, ref), old = __atomic_load_n(p, __ATOMIC_ACQUIRE), nv;

    for (unsigned int tries = 0; tries < SET_STATUS_TRIES; tries++) {
        if (first && ((E_FLAGS(old) & GTF_type_mask) != GTF_permit_access || E_DOMID(old) != user))
            return GNTST_general_error;
        if (!readonly && (E_FLAGS(old) & GTF_readonly))
            return GNTST_general_error;
        nv = old | GTF_reading | (readonly ? 0 : GTF_writing);
        if (__atomic_compare_exchange_n(p, &old, nv, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            *frame = E_FRAME(old);
            return GNTST_okay;
        }
    }
    return GNTST_general_error;
}

/* Whether a v2 header allows the pin: on a first pin, a full-page grant (or, for copies, a
 * sub-page one) to user; any pin for writing, a writable grant. */
static bool v2_allows(uint32_t hdr, uint16_t user, bool readonly, bool first, bool copy)
{
    uint16_t flags = (uint16_t)hdr, type = flags & (GTF_type_mask | (copy ? 0 : GTF_sub_page));

    if (first && (type != GTF_permit_access || (uint16_t)(hdr >> 16) != user))
        return false;
    return readonly || !(flags & GTF_readonly);
}

/*
 * v2: the status bits are ours alone, so we set them first and then read the header
 * again: a granter revoking meanwhile (it clears the flags, then reads the status) either
 * sees our bits or we see its change and take them back.
 */
static int16_t set_status_v2(struct grant_table *gt, uint32_t ref, uint16_t user, bool readonly, bool first,
                             bool copy, uint32_t *frame, struct gnttab_window *w)
{
    grant_entry_v2_t *e = entry_v2(gt, ref);
    uint32_t *hdr = (uint32_t *)&e->hdr;
    grant_status_t *st = status_v2(gt, ref);
    grant_status_t set = GTF_reading | (readonly ? 0 : GTF_writing);
    uint32_t now;
    uint64_t f;

    if (!v2_allows(__atomic_load_n(hdr, __ATOMIC_ACQUIRE), user, readonly, first, copy))
        return GNTST_general_error;
    __atomic_fetch_or(st, set, __ATOMIC_SEQ_CST);
    now = __atomic_load_n(hdr, __ATOMIC_SEQ_CST);
    if (!v2_allows(now, user, readonly, first, copy))
        goto undo;
    if (!first)
        return GNTST_okay;
    f = __atomic_load_n(&e->full_page.frame, __ATOMIC_ACQUIRE);
    w->start = 0;
    w->length = PAGE_SIZE;
    if ((uint16_t)now & GTF_sub_page) {
        w->start = __atomic_load_n(&e->sub_page.page_off, __ATOMIC_ACQUIRE);
        w->length = __atomic_load_n(&e->sub_page.length, __ATOMIC_ACQUIRE);
        if (w->start >= PAGE_SIZE || w->length > PAGE_SIZE - w->start)
            goto undo;
    }
    if (f >> 32)
        goto undo; /* no such frame here */
    *frame = (uint32_t)f;
    return GNTST_okay;
undo:
    /* a first pin owned both bits; an upgrade to writing only that one */
    __atomic_fetch_and(st, (grant_status_t)~(first ? set : GTF_writing), __ATOMIC_SEQ_CST);
    return GNTST_general_error;
}

int16_t gnttab_pin(struct grant_table *gt, uint32_t ref, uint16_t user, bool readonly, mfn_t *mfn,
                   struct gnttab_window *window)
{
    struct gnttab_window w = { 0, PAGE_SIZE };
    struct gnttab_active *act;
    bool first;
    uint32_t frame = 0;
    int16_t rc;

    if (ref >= nr_entries(gt))
        return GNTST_bad_gntref;
    act = active_of(gt, ref);
    first = !act->pin_ro && !act->pin_rw;
    if (!first && act->domid != user)
        return GNTST_general_error;
    if (!first && !window && act->length != PAGE_SIZE)
        return GNTST_general_error; /* a sub-page grant, pinned by a copy: never mapped */
    if (first || (!readonly && !act->pin_rw)) {
        rc = gt->version == 2 ? set_status_v2(gt, ref, user, readonly, first, window != NULL, &frame, &w)
                              : set_status_v1(gt, ref, user, readonly, first, &frame);
        if (rc != GNTST_okay)
            return rc;
    }
    if (first) {
        act->mfn = frame;
        act->domid = user;
        act->start = w.start;
        act->length = w.length;
    }
    if (window) {
        window->start = act->start;
        window->length = act->length;
    }
    if (readonly)
        act->pin_ro++;
    else
        act->pin_rw++;
    *mfn = act->mfn;
    return GNTST_okay;
}

void gnttab_unpin(struct grant_table *gt, uint32_t ref, bool readonly)
{
    struct gnttab_active *act = active_of(gt, ref);
    uint16_t clear = 0;

    if (readonly)
        act->pin_ro--;
    else
        act->pin_rw--;
    if (!act->pin_rw)
        clear |= GTF_writing;
    if (!act->pin_rw && !act->pin_ro)
        clear |= GTF_reading;
    if (clear && gt->version == 2)
        __atomic_fetch_and(status_v2(gt, ref), (grant_status_t)~clear, __ATOMIC_ACQ_REL);
    else if (clear)
        __atomic_fetch_and((uint16_t *)entry_word(gt, ref), (uint16_t)~clear, __ATOMIC_ACQ_REL);
}

/* A table frame: the domain's own page, kept writable-typed so it never becomes a page
 * table while we write GTF flags into it. */
static struct page_info *frame_alloc(uint16_t domid)
{
    void *va = alloc_xenheap_pages(0);
    struct page_info *pg;

    if (!va)
        return NULL;
    pg = mfn_to_page(PFN_DOWN(__pa(va)));
    if (frame_assign(pg, domid)) {
        free_xenheap_pages(va, 0);
        return NULL;
    }
    if (get_page_and_type(pg, domid, PGT_writable_page)) {
        frame_release(pg);
        return NULL;
    }
    return pg;
}

static void frame_free(struct page_info *pg)
{
    put_page_and_type(pg);
    /* looked at before the release: once freed, another CPU may have the frame already */
    if (page_get_count(pg) != 1)
        pr_warn("grant frame %#lx still referenced: count %#lx type %#lx\n",
                (unsigned long)page_to_mfn(pg), (unsigned long)pg->count_info,
                (unsigned long)pg->type_info);
    frame_release(pg); /* freed now, or when the owner's last mapping of it goes */
}

/* v2: status frames enough for every entry of nr table frames (8 of them per status frame). */
static int grow_status(struct grant_table *gt, unsigned int nr)
{
    unsigned int want = (nr * V2_PER_FRAME + STATUS_PER_FRAME - 1) / STATUS_PER_FRAME;

    while (gt->nr_status < want) {
        struct page_info *pg = frame_alloc(gt->domid);
        if (!pg)
            return -ENOMEM;
        gt->status[gt->nr_status++] = pg;
    }
    return 0;
}

static void free_status(struct grant_table *gt)
{
    while (gt->nr_status)
        frame_free(gt->status[--gt->nr_status]);
}

static int grow(struct grant_table *gt, unsigned int nr)
{
    if (gt->version == 2 && grow_status(gt, nr))
        return -ENOMEM;
    while (gt->nr_frames < nr) {
        struct gnttab_active *act = xzalloc_array(struct gnttab_active, GNTTAB_PER_FRAME);
        struct page_info *pg = act ? frame_alloc(gt->domid) : NULL;
        if (!pg) {
            xfree(act);
            return -ENOMEM;
        }
        gt->active[gt->nr_frames] = act;
        gt->frames[gt->nr_frames++] = pg;
    }
    return 0;
}

static void free_table(struct grant_table *gt)
{
    free_status(gt);
    for (unsigned int i = 0; i < gt->nr_frames; i++) {
        frame_free(gt->frames[i]);
        xfree(gt->active[i]);
    }
    for (unsigned int i = 0; i < gt->maptrack_chunks; i++)
        xfree(gt->maptrack[i]);
    xfree(gt);
}

int gnttab_domain_init(struct domain *d)
{
    struct grant_table *gt = xzalloc(struct grant_table);
    unsigned long flags;

    if (!gt)
        return -ENOMEM;
    gt->domid = d->domid;
    gt->version = 1;
    gt->free_handle = NO_HANDLE;
    if (grow(gt, 1)) {
        free_table(gt);
        return -ENOMEM;
    }
    spin_lock_irqsave(&gnttab_lock, flags);
    list_add_tail(&gt->link, &all_tables);
    d->grant_table = gt;
    spin_unlock_irqrestore(&gnttab_lock, flags);
    return 0;
}

/* Drops one mapping: its L1 entry (unless the domain is dead and its page tables gone),
 * its references, its pin. 0, or -EBUSY when the entry could not be cleared (then
 * nothing else is released). */
static int map_release(struct grant_table *lgt, struct gnttab_map *m, bool clear_pte)
{
    bool ro = m->flags & GNTMAP_readonly;
    struct page_info *pg = mfn_to_page(m->mfn);

    if (clear_pte && (m->flags & GNTMAP_host_map) &&
        arch_gnttab_unmap(lgt->domid, m->l1, m->index, m->mfn, true))
        return -EBUSY;
    if (!ro)
        put_page_type(pg);
    put_page(pg);
    if (m->rgt)
        gnttab_unpin(m->rgt, m->ref, ro);
    uint32_t h = m->handle;
    memset(m, 0, sizeof(*m));
    m->handle = h;
    m->next_free = lgt->free_handle;
    lgt->free_handle = h;
    return 0;
}

void gnttab_domain_destroy(struct domain *d)
{
    struct grant_table *gt = d->grant_table, *other;
    unsigned long flags;

    if (!gt)
        return;
    spin_lock_irqsave(&gnttab_lock, flags);
    /* No vCPU of d runs and its page tables are gone: nothing can use these maps. */
    for (uint32_t h = 0; h < gt->maptrack_chunks * GNTTAB_MAPTRACK_CHUNK; h++)
        if (map_of(gt, h)->flags || map_of(gt, h)->release_pending)
            map_release(gt, map_of(gt, h), false);
    list_del(&gt->link);
    /* Mappings others hold of our frames keep their frame references; only the pins go. */
    list_for_each_entry(other, &all_tables, link)
        for (uint32_t h = 0; h < other->maptrack_chunks * GNTTAB_MAPTRACK_CHUNK; h++)
            if (map_of(other, h)->rgt == gt)
                map_of(other, h)->rgt = NULL;
    d->grant_table = NULL;
    spin_unlock_irqrestore(&gnttab_lock, flags);
    free_table(gt);
}

unsigned int gnttab_nr_frames(const struct grant_table *gt)
{
    return gt->nr_frames;
}

int gnttab_setup(struct grant_table *gt, unsigned int nr, mfn_t *mfns)
{
    int rc = nr > GNTTAB_MAX_FRAMES ? -E2BIG : grow(gt, nr);

    for (unsigned int i = 0; !rc && i < nr; i++)
        mfns[i] = page_to_mfn(gt->frames[i]);
    return rc;
}

unsigned int gnttab_version(const struct grant_table *gt)
{
    return gt->version;
}

int16_t gnttab_status_frames(struct grant_table *gt, unsigned int nr, mfn_t *mfns)
{
    if (gt->version != 2 || nr > gt->nr_status)
        return GNTST_general_error;
    for (unsigned int i = 0; i < nr; i++)
        mfns[i] = page_to_mfn(gt->status[i]);
    return GNTST_okay;
}

/* The reserved entries (console, xenstore...) in v1 form, status bits in the flags. */
static void save_reserved(struct grant_table *gt, struct grant_entry_v1 *out)
{
    for (uint32_t ref = 0; ref < GNTTAB_NR_RESERVED_ENTRIES; ref++) {
        if (gt->version == 1) {
            memcpy(&out[ref], entry_word(gt, ref), sizeof(out[ref]));
            continue;
        }
        grant_entry_v2_t *e = entry_v2(gt, ref);
        memset(&out[ref], 0, sizeof(out[ref]));
        if ((e->hdr.flags & GTF_type_mask) == GTF_permit_access && !(e->hdr.flags & GTF_sub_page)) {
            out[ref].flags = e->hdr.flags | *status_v2(gt, ref);
            out[ref].domid = e->hdr.domid;
            out[ref].frame = (uint32_t)e->full_page.frame;
        }
    }
}

static void restore_reserved(struct grant_table *gt, const struct grant_entry_v1 *in)
{
    for (uint32_t ref = 0; ref < GNTTAB_NR_RESERVED_ENTRIES; ref++) {
        if (gt->version == 1) {
            memcpy(entry_word(gt, ref), &in[ref], sizeof(in[ref]));
            continue;
        }
        grant_entry_v2_t *e = entry_v2(gt, ref);
        *status_v2(gt, ref) = in[ref].flags & (GTF_reading | GTF_writing);
        e->hdr.flags = in[ref].flags & ~(GTF_reading | GTF_writing);
        e->hdr.domid = in[ref].domid;
        e->full_page.frame = in[ref].frame;
    }
}

long gnttab_set_version(struct grant_table *gt, uint32_t *version)
{
    struct grant_entry_v1 reserved[GNTTAB_NR_RESERVED_ENTRIES];
    uint32_t want = *version;

    *version = gt->version;
    if (want != 1 && want != 2)
        return -EINVAL;
    if (want == gt->version)
        return 0;
    /* the reserved entries may stay pinned (a console or store ring mapped by dom0) */
    for (uint32_t ref = GNTTAB_NR_RESERVED_ENTRIES; ref < nr_entries(gt); ref++)
        if (active_of(gt, ref)->pin_ro || active_of(gt, ref)->pin_rw)
            return -EBUSY;
    if (want == 1) {
        /* as on Xen: not while the guest still maps a status frame (its allocation and
         * our reference are the only ones then) */
        for (unsigned int i = 0; i < gt->nr_status; i++)
            if (page_get_count(gt->status[i]) != 2)
                return -EBUSY;
        for (uint32_t ref = 0; ref < GNTTAB_NR_RESERVED_ENTRIES; ref++) {
            grant_entry_v2_t *e = entry_v2(gt, ref);
            uint16_t type = e->hdr.flags & GTF_type_mask;
            if (type == GTF_transitive || (type == GTF_permit_access && (e->full_page.frame >> 32)))
                return -ERANGE;
        }
    } else if (grow_status(gt, gt->nr_frames)) {
        free_status(gt);
        return -ENOMEM;
    }
    save_reserved(gt, reserved);
    if (want == 1)
        free_status(gt);
    for (unsigned int i = 0; i < gt->nr_frames; i++)
        memset(frame_ptr(gt->frames[i]), 0, PAGE_SIZE); /* nothing of the old format left */
    gt->version = want;
    restore_reserved(gt, reserved);
    *version = want;
    return 0;
}

bool gnttab_may_map_foreign(uint32_t domid, mfn_t mfn, bool writable)
{
    struct vcpu *v = current;
    struct grant_table *gt;
    struct gnttab_map *m;

    if (!v || is_idle_vcpu(v) || v->domain->domid != domid)
        return false;
    gt = v->domain->grant_table;
    m = gt ? __atomic_load_n(&gt->installing, __ATOMIC_ACQUIRE) : NULL;
    return m && m->installer == v && m->mfn == mfn && (!writable || !(m->flags & GNTMAP_readonly));
}

/* A free handle, from the free list or a new chunk; -1 when the maptrack is full. The
 * caller sets its flags before anything can look for another. */
static int alloc_handle(struct grant_table *gt)
{
    struct gnttab_map *m;

    if (gt->free_handle == NO_HANDLE) {
        uint32_t base = gt->maptrack_chunks * GNTTAB_MAPTRACK_CHUNK;
        if (gt->maptrack_chunks == GNTTAB_MAPTRACK / GNTTAB_MAPTRACK_CHUNK)
            return -1;
        m = xzalloc_array(struct gnttab_map, GNTTAB_MAPTRACK_CHUNK);
        if (!m)
            return -1;
        for (uint32_t i = 0; i < GNTTAB_MAPTRACK_CHUNK; i++) {
            m[i].handle = base + i;
            m[i].next_free = i + 1 < GNTTAB_MAPTRACK_CHUNK ? base + i + 1 : NO_HANDLE;
        }
        gt->maptrack[gt->maptrack_chunks++] = m;
        gt->free_handle = base;
    }
    m = map_of(gt, gt->free_handle);
    gt->free_handle = m->next_free;
    return (int)m->handle;
}

/* Gives back a handle alloc_handle gave that was never used. */
static void put_handle(struct grant_table *gt, int h)
{
    struct gnttab_map *m = map_of(gt, (uint32_t)h);

    m->next_free = gt->free_handle;
    gt->free_handle = (uint32_t)h;
}

/* The frame references a mapping holds apart from its L1 entry. */
static int16_t get_frame(struct grant_table *rgt, mfn_t mfn, bool ro)
{
    struct page_info *pg = mfn_to_page(mfn);

    if (!pg || !get_page(pg, rgt->domid))
        return GNTST_general_error; /* the granted frame is not the granter's */
    if (!ro && get_page_type(pg, PGT_writable_page)) {
        put_page(pg);
        return GNTST_general_error; /* e.g. one of its page tables */
    }
    return GNTST_okay;
}

static int16_t install(struct grant_table *lgt, struct gnttab_map *m)
{
    int16_t rc;

    m->installer = current;
    __atomic_store_n(&lgt->installing, m, __ATOMIC_RELEASE);
    rc = arch_gnttab_map(current, m->host_addr, m->flags, m->mfn, &m->l1, &m->index);
    __atomic_store_n(&lgt->installing, NULL, __ATOMIC_RELEASE);
    m->installer = NULL;
    return rc;
}

int16_t gnttab_map_one(struct domain *d, struct gnttab_map_grant_ref *op)
{
    struct grant_table *lgt = d->grant_table, *rgt;
    bool ro = op->flags & GNTMAP_readonly;
    struct gnttab_map *m;
    mfn_t mfn;
    int16_t rc;
    int h;

    if (!(op->flags & (GNTMAP_device_map | GNTMAP_host_map)))
        return GNTST_bad_gntref;
    rgt = gnttab_lookup(op->dom);
    if (!rgt)
        return GNTST_bad_domain;
    h = alloc_handle(lgt);
    if (h < 0)
        return GNTST_no_space;
    rc = gnttab_pin(rgt, op->ref, d->domid, ro, &mfn, NULL);
    if (rc != GNTST_okay) {
        put_handle(lgt, h);
        return rc;
    }
    rc = get_frame(rgt, mfn, ro);
    if (rc != GNTST_okay)
        goto unpin;
    m = map_of(lgt, (uint32_t)h);
    m->flags = op->flags; /* nonzero: device_map or host_map is set */
    m->ref = op->ref;
    m->rgt = rgt;
    m->mfn = mfn;
    m->host_addr = op->flags & GNTMAP_host_map ? op->host_addr : 0;
    if (op->flags & GNTMAP_host_map) {
        rc = install(lgt, m);
        if (rc != GNTST_okay) {
            m->flags &= ~GNTMAP_host_map;
            map_release(lgt, m, false); /* drops the frame refs and the pin */
            return rc;
        }
    }
    op->handle = (grant_handle_t)h;
    op->dev_bus_addr = (uint64_t)mfn << PAGE_SHIFT;
    return GNTST_okay;

unpin:
    gnttab_unpin(rgt, op->ref, ro);
    put_handle(lgt, h);
    return rc;
}

/* The mapping at host_addr goes, the caller's page at new_addr takes its place (0: plain
 * unmap), as on Xen; not for mappings made through GNTMAP_contains_pte. */
int16_t gnttab_unmap_replace_one(struct domain *d, const struct gnttab_unmap_and_replace *op)
{
    struct grant_table *lgt = d->grant_table;
    struct gnttab_map *m = map_of(lgt, op->handle);
    struct gnttab_unmap_grant_ref un = { .host_addr = op->host_addr, .handle = op->handle };
    int16_t rc;

    if (!op->new_addr)
        return gnttab_unmap_one(d, &un, NULL);
    if (!m || !m->flags || m->release_pending)
        return GNTST_bad_handle;
    if (!(m->flags & GNTMAP_host_map) || (m->flags & GNTMAP_contains_pte) ||
        op->host_addr != m->host_addr)
        return GNTST_general_error;
    rc = arch_gnttab_replace(current, m->l1, m->index, m->mfn, op->new_addr);
    if (rc != GNTST_okay)
        return rc;
    map_release(lgt, m, false); /* the entry is replaced: the frame refs and the pin go */
    return GNTST_okay;
}

/*
 * As on Xen, an unmap takes away what it names: the host mapping when host_addr is given
 * (it must be where the grant is mapped), the device mapping when dev_bus_addr is (it must
 * be the frame's bus address). The grant is released once neither is left; naming neither
 * does nothing. With batch set, the TLB flush and the release are left to
 * gnttab_unmap_finish (once for the whole batch, as Xen does): *batch says one is owed.
 */
int16_t gnttab_unmap_one(struct domain *d, const struct gnttab_unmap_grant_ref *op, bool *batch)
{
    struct grant_table *lgt = d->grant_table;
    struct gnttab_map *m;

    m = map_of(lgt, op->handle);
    if (!m || !m->flags || m->release_pending)
        return GNTST_bad_handle;
    if (op->dev_bus_addr && (m->flags & GNTMAP_device_map) &&
        op->dev_bus_addr != (uint64_t)m->mfn << PAGE_SHIFT)
        return GNTST_bad_dev_addr;
    if (op->host_addr && (m->flags & GNTMAP_host_map)) {
        if (op->host_addr != m->host_addr)
            return GNTST_general_error; /* not where this handle mapped */
        if (arch_gnttab_unmap(lgt->domid, m->l1, m->index, m->mfn, !batch)) {
            /* Its entry keeps changing under us: the grant must not be released while that
             * entry may still map the frame, so the domain ends and teardown releases it. */
            domain_crash(d, "grant mapping %u could not be removed", op->handle);
            return GNTST_general_error;
        }
        m->flags &= ~GNTMAP_host_map;
        if (batch)
            *batch = true;
    }
    if (op->dev_bus_addr && (m->flags & GNTMAP_device_map))
        m->flags &= ~GNTMAP_device_map;
    if (!(m->flags & (GNTMAP_host_map | GNTMAP_device_map))) {
        if (batch) {
            /* the frame refs and the pin stay until no CPU can reach the frame */
            m->release_pending = true;
            *batch = true;
        } else {
            map_release(lgt, m, false);
        }
    }
    return GNTST_okay;
}

/* The end of a batch of unmaps: one flush, then what they left pending is released. The
 * caller holds the grant lock (which keeps the handles' entries in place). */
void gnttab_unmap_finish(struct domain *d, const uint32_t *handles, unsigned int n)
{
    struct grant_table *lgt = d->grant_table;

    arch_gnttab_flush(lgt->domid);
    for (unsigned int i = 0; i < n; i++) {
        struct gnttab_map *m = map_of(lgt, handles[i]);
        if (m && m->release_pending)
            map_release(lgt, m, false);
    }
}
