/*
 * Staged frames (XEN_SYSCTL_stage, Tern's own): a restore copies each page into a frame of
 * its own while it is still checking the file, before any domain exists, and hands the
 * frames to the new domain once the whole file was found sound. The file is read once
 * instead of twice (checked, then placed), which under emulation was a quarter of a
 * restore. A frame held here belongs to no domain: its owner is a stage id above every
 * domid, so nothing can map it, grant it or find it through a domain.
 */
#include <tern/domain.h>
#include <tern/errno.h>
#include <tern/lib.h>
#include <tern/printk.h>
#include <tern/mm.h>
#include <tern/spinlock.h>
#include <tern/time.h>
#include <tern/timer.h>
#include <asm/current.h>
#include <asm/page.h>
#include <asm/pv.h>
#include <asm/pv_hypercall.h>
#include <asm/uaccess.h>
#include <public/sysctl.h>

#define STAGE_SLOTS 8
#define STAGE_OWNER_BASE 0x10000u          /* a staged frame's owner: base + slot */
#define STAGE_IDLE_NS (10 * 1000000000LL)  /* unused this long: its tool died */

struct stage {
    bool used;
    bool busy;            /* an op is at it (outside the lock): the reaper leaves it */
    uint32_t gen;         /* in the id: an id of a stage dropped since finds nothing */
    uint64_t max_pages, max_pfn, nr;
    s_time_t last_use;
    struct list_head frames;
    struct frame_chunk chunk; /* where its frames come from (see frame_chunk_take) */
};

static struct stage stages[STAGE_SLOTS];
static DEFINE_SPINLOCK(stage_lock);
static struct timer reaper;
static bool reaper_ready;

static uint32_t stage_id(unsigned int slot)
{
    return stages[slot].gen << 8 | slot;
}

static uint32_t stage_owner(const struct stage *s)
{
    return STAGE_OWNER_BASE + (uint32_t)(s - stages);
}

static void free_frames(struct list_head *frames)
{
    struct page_info *pg, *tmp;

    list_for_each_entry_safe(pg, tmp, frames, list) {
        list_del(&pg->list);
        list_init(&pg->list);
        m2p_set(page_to_mfn(pg), ~0ull);
        frame_release(pg);
    }
}

/* Takes the stage off the table; its frames go to the caller (to free, lock dropped). */
static void forget(struct stage *s, struct list_head *frames)
{
    list_init(frames);
    if (!list_empty(&s->frames)) { /* the whole list moves to the new head */
        *frames = s->frames;
        frames->next->prev = frames;
        frames->prev->next = frames;
    }
    list_init(&s->frames);
    frame_chunk_release(&s->chunk);
    s->used = false;
    s->gen++;
}

static void reap(void *unused)
{
    struct list_head frames[STAGE_SLOTS];
    bool left = false;

    (void)unused;
    spin_lock(&stage_lock);
    for (unsigned int i = 0; i < STAGE_SLOTS; i++) {
        list_init(&frames[i]);
        if (stages[i].used && !stages[i].busy && NOW() - stages[i].last_use > STAGE_IDLE_NS) {
            printk("stage %u: unused for 10 s, its %lu frames freed\n", stage_id(i),
                   (unsigned long)stages[i].nr);
            forget(&stages[i], &frames[i]);
        }
        left |= stages[i].used;
    }
    spin_unlock(&stage_lock);
    for (unsigned int i = 0; i < STAGE_SLOTS; i++)
        free_frames(&frames[i]);
    if (left)
        set_timer(&reaper, NOW() + STAGE_IDLE_NS / 2);
}

static long create(struct xen_sysctl_stage *op)
{
    long rc = -ENOSPC;

    if (!op->max_pages || !op->max_pfn)
        return -EINVAL;
    spin_lock(&stage_lock);
    if (!reaper_ready) {
        init_timer(&reaper, reap, NULL, 0);
        reaper_ready = true;
    }
    for (unsigned int i = 0; i < STAGE_SLOTS && rc; i++) {
        struct stage *s = &stages[i];
        if (s->used)
            continue;
        s->used = true;
        s->busy = false;
        s->max_pages = op->max_pages;
        s->max_pfn = op->max_pfn;
        s->nr = 0;
        s->chunk.pg = NULL;
        s->last_use = NOW();
        list_init(&s->frames);
        op->id = stage_id(i);
        rc = 0;
    }
    spin_unlock(&stage_lock);
    if (!rc)
        set_timer(&reaper, NOW() + STAGE_IDLE_NS / 2);
    return rc;
}

/* The stage id names, marked busy; NULL when it is gone or another op is at it. */
static struct stage *stage_get(uint32_t id, long *rc)
{
    struct stage *s = (id & 0xff) < STAGE_SLOTS ? &stages[id & 0xff] : NULL;

    spin_lock(&stage_lock);
    if (!s || !s->used || stage_id(id & 0xff) != id)
        *rc = -ENOENT;
    else if (s->busy)
        *rc = -EBUSY;
    else
        s->busy = true;
    spin_unlock(&stage_lock);
    return *rc ? NULL : s;
}

static void stage_put_back(struct stage *s)
{
    spin_lock(&stage_lock);
    s->busy = false;
    s->last_use = NOW();
    spin_unlock(&stage_lock);
}

/* mfn, if it is a frame of s that was put for pfn. */
static struct page_info *staged_frame(const struct stage *s, uint64_t mfn, uint64_t pfn)
{
    struct page_info *pg = mfn_valid(mfn) ? mfn_to_page(mfn) : NULL;

    if (!pg || __atomic_load_n(&pg->owner, __ATOMIC_ACQUIRE) != stage_owner(s) ||
        !(pg->count_info & PGC_allocated) || (pfn != ~0ull && m2p_get(mfn) != pfn))
        return NULL;
    return pg;
}

static long put_one(struct stage *s, const struct xen_sysctl_stage *op, uint32_t i)
{
    uint64_t at = (uint64_t)op->mfns + i * sizeof(xen_pfn_t), pfn, mfn;
    struct page_info *pg;

    if (copy_from_guest(&pfn, (uint64_t)op->pfns + i * sizeof(xen_pfn_t), sizeof(pfn)) ||
        copy_from_guest(&mfn, at, sizeof(mfn)))
        return -EFAULT;
    if (pfn >= s->max_pfn)
        return -EINVAL;
    if (mfn != ~0ull) {
        if (!(pg = staged_frame(s, mfn, pfn)))
            return -EINVAL;
    } else {
        if (s->nr >= s->max_pages)
            return -E2BIG;
        if (!(pg = frame_chunk_take(&s->chunk)))
            return -ENOMEM;
        frame_assign(pg, stage_owner(s));
        list_add_tail(&pg->list, &s->frames);
        s->nr++;
        mfn = page_to_mfn(pg);
        m2p_set(mfn, pfn);
    }
    void *va = __va((paddr_t)mfn << PAGE_SHIFT);
    if (copy_to_guest(at, &mfn, sizeof(mfn)))
        return -EFAULT;
    if (copy_from_guest(va, op->buffer + (uint64_t)i * PAGE_SIZE, PAGE_SIZE)) {
        memset(va, 0, PAGE_SIZE); /* never another guest's old contents */
        return -EFAULT;
    }
    return 0;
}

static long adopt(struct stage *s, const struct xen_sysctl_stage *op)
{
    struct domain *d = domain_get(op->domid);
    long rc = 0;

    if (!d)
        return -ESRCH;
    if (d == current->domain || d->is_privileged)
        rc = -EINVAL;
    for (uint32_t i = 0; i < op->num && !rc; i++) {
        uint64_t mfn;
        struct page_info *pg;
        if (copy_from_guest(&mfn, (uint64_t)op->mfns + i * sizeof(mfn), sizeof(mfn)))
            rc = -EFAULT;
        else if (!(pg = staged_frame(s, mfn, ~0ull)))
            rc = -EINVAL;
        else if (d->tot_pages >= d->max_pages)
            rc = -ENOMEM;
        else {
            list_del(&pg->list);
            s->nr--;
            /* the stage's allocation reference becomes the domain's */
            __atomic_store_n(&pg->owner, d->domid, __ATOMIC_RELEASE);
            memory_link_frame(d, pg, m2p_get(mfn));
        }
    }
    domain_put(d);
    return rc;
}

long pv_stage_op(struct xen_sysctl_stage *op)
{
    struct list_head frames;
    struct stage *s;
    long rc = 0;

    if (op->_pad)
        return -EINVAL;
    if (op->op == XEN_SYSCTL_STAGE_CREATE)
        return create(op);
    if (op->op > XEN_SYSCTL_STAGE_DROP || op->num > XEN_SYSCTL_STAGE_BATCH)
        return -EINVAL;
    if (!(s = stage_get(op->id, &rc)))
        return rc;
    switch (op->op) {
    case XEN_SYSCTL_STAGE_PUT:
        for (uint32_t i = 0; i < op->num && !rc; i++)
            rc = put_one(s, op, i);
        break;
    case XEN_SYSCTL_STAGE_ADOPT:
        rc = adopt(s, op);
        break;
    case XEN_SYSCTL_STAGE_DROP:
        spin_lock(&stage_lock);
        forget(s, &frames);
        spin_unlock(&stage_lock);
        free_frames(&frames);
        return 0;
    }
    stage_put_back(s);
    return rc;
}
