/*
 * __HYPERVISOR_grant_table_op: argument copying, batches, and the operations that need
 * no maptrack (setup_table, query_size, set/get_version, get_status_frames, copy).
 *
 * Errors as in Xen: the hypercall returns -EFAULT (bad argument pointer), -EINVAL (bad
 * count), -ENOSYS (operation not provided); otherwise 0, with each entry's outcome in its
 * `status` (GNTST_*). set_version is the exception: it answers in the return value.
 */
#include <tern/domain.h>
#include <tern/errno.h>
#include <tern/grant_table.h>
#include <tern/lib.h>
#include <tern/mm.h>
#include <tern/string.h>
#include <asm/current.h>
#include <asm/page.h>
#include <asm/pv_shadow.h>
#include <asm/uaccess.h>

/* The table `dom` names for d: its own, or (privileged callers) another's. */
static int16_t target_table(struct domain *d, domid_t dom, struct grant_table **gt)
{
    uint16_t id = dom == DOMID_SELF ? d->domid : dom;

    *gt = gnttab_lookup(id);
    if (!*gt)
        return GNTST_bad_domain;
    if (id != d->domid && !d->is_privileged)
        return GNTST_permission_denied;
    return GNTST_okay;
}

/* A list of frames out to the guest's array at list (range-checked by the caller). */
static int16_t put_frames(uint64_t list, const mfn_t *mfns, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++) {
        uint64_t f = mfns[i];
        if (copy_to_guest(list + i * sizeof(f), &f, sizeof(f)))
            return GNTST_bad_virt_addr;
    }
    return GNTST_okay;
}

static long setup_table(struct domain *d, uint64_t uop, unsigned int count)
{
    struct gnttab_setup_table op;
    mfn_t mfns[GNTTAB_MAX_FRAMES];
    struct grant_table *gt;
    unsigned long flags;
    uint64_t list;
    int rc;

    if (count != 1)
        return -EINVAL;
    if (copy_from_guest(&op, uop, sizeof(op)))
        return -EFAULT;
    list = (uint64_t)(uintptr_t)op.frame_list;
    if (!guest_range_ok(list, (uint64_t)op.nr_frames * sizeof(xen_pfn_t)))
        return -EFAULT;
    spin_lock_irqsave(&gnttab_lock, flags);
    op.status = target_table(d, op.dom, &gt);
    if (op.status == GNTST_okay) {
        rc = op.nr_frames > GNTTAB_MAX_FRAMES ? -E2BIG : gnttab_setup(gt, op.nr_frames, mfns);
        op.status = rc ? GNTST_general_error : GNTST_okay;
    }
    spin_unlock_irqrestore(&gnttab_lock, flags);
    if (op.status == GNTST_okay)
        op.status = put_frames(list, mfns, op.nr_frames);
    if (copy_to_guest(uop + offsetof(struct gnttab_setup_table, status), &op.status,
                      sizeof(op.status)))
        return -EFAULT;
    return 0;
}

static long query_size(struct domain *d, uint64_t uop, unsigned int count)
{
    struct gnttab_query_size op;
    struct grant_table *gt;
    unsigned long flags;

    if (count != 1)
        return -EINVAL;
    if (copy_from_guest(&op, uop, sizeof(op)))
        return -EFAULT;
    spin_lock_irqsave(&gnttab_lock, flags);
    op.status = target_table(d, op.dom, &gt);
    if (op.status == GNTST_okay) {
        op.nr_frames = gnttab_nr_frames(gt);
        op.max_nr_frames = GNTTAB_MAX_FRAMES;
    }
    spin_unlock_irqrestore(&gnttab_lock, flags);
    return copy_to_guest(uop, &op, sizeof(op)) ? -EFAULT : 0;
}

static long set_version(struct domain *d, uint64_t uop, unsigned int count)
{
    struct gnttab_set_version op;
    unsigned long flags;
    long rc;

    if (count != 1)
        return -EINVAL;
    if (copy_from_guest(&op, uop, sizeof(op)))
        return -EFAULT;
    spin_lock_irqsave(&gnttab_lock, flags);
    rc = gnttab_set_version(d->grant_table, &op.version);
    spin_unlock_irqrestore(&gnttab_lock, flags);
    return copy_to_guest(uop, &op, sizeof(op)) ? -EFAULT : rc;
}

static long get_status_frames(struct domain *d, uint64_t uop, unsigned int count)
{
    struct gnttab_get_status_frames op;
    mfn_t mfns[GNTTAB_MAX_FRAMES / 8];
    struct grant_table *gt;
    unsigned long flags;
    uint64_t list;

    if (count != 1)
        return -EINVAL;
    if (copy_from_guest(&op, uop, sizeof(op)))
        return -EFAULT;
    list = (uint64_t)(uintptr_t)op.frame_list;
    if (!guest_range_ok(list, (uint64_t)op.nr_frames * sizeof(uint64_t)))
        return -EFAULT;
    spin_lock_irqsave(&gnttab_lock, flags);
    op.status = target_table(d, op.dom, &gt);
    if (op.status == GNTST_okay)
        op.status = op.nr_frames > ARRAY_SIZE(mfns) ? GNTST_general_error
                                                     : gnttab_status_frames(gt, op.nr_frames, mfns);
    spin_unlock_irqrestore(&gnttab_lock, flags);
    if (op.status == GNTST_okay)
        op.status = put_frames(list, mfns, op.nr_frames);
    if (copy_to_guest(uop + offsetof(struct gnttab_get_status_frames, status), &op.status,
                      sizeof(op.status)))
        return -EFAULT;
    return 0;
}

static long get_version(struct domain *d, uint64_t uop, unsigned int count)
{
    struct gnttab_get_version op;
    struct grant_table *gt;
    unsigned long flags;
    int16_t st;

    if (count != 1)
        return -EINVAL;
    if (copy_from_guest(&op, uop, sizeof(op)))
        return -EFAULT;
    spin_lock_irqsave(&gnttab_lock, flags);
    st = target_table(d, op.dom, &gt);
    spin_unlock_irqrestore(&gnttab_lock, flags);
    if (st == GNTST_bad_domain)
        return -ESRCH;
    if (st != GNTST_okay)
        return -EPERM;
    op.version = gnttab_version(gt);
    return copy_to_guest(uop, &op, sizeof(op)) ? -EFAULT : 0;
}

/* One side of a copy: a pinned grant or one of our own frames, with the references
 * the access needs (a writable type for the destination: never into a page table). */
struct copy_side {
    struct grant_table *gt; /* NULL: our own frame */
    struct gnttab_window window; /* what of the frame a grant covers */
    uint32_t ref;
    struct page_info *pg;
    bool write;
};

static int16_t side_get(struct domain *d, const struct gnttab_copy_ptr *p, bool is_gref,
                        bool write, struct copy_side *s)
{
    mfn_t mfn;
    int16_t rc;

    s->gt = NULL;
    s->write = write;
    if (!is_gref) {
        if (p->domid != DOMID_SELF)
            return GNTST_permission_denied; /* frames by number: only our own */
        s->pg = mfn_to_page(p->u.gmfn);
        if (!s->pg || !get_page(s->pg, d->domid))
            return GNTST_bad_page;
    } else {
        s->gt = gnttab_lookup(p->domid == DOMID_SELF ? d->domid : p->domid);
        if (!s->gt)
            return GNTST_bad_domain;
        rc = gnttab_pin(s->gt, p->u.ref, d->domid, !write, &mfn, &s->window);
        if (rc != GNTST_okay)
            return rc;
        s->ref = p->u.ref;
        s->pg = mfn_to_page(mfn);
        if (!s->pg || !get_page(s->pg, gnttab_owner(s->gt))) {
            gnttab_unpin(s->gt, s->ref, !write);
            return GNTST_general_error;
        }
    }
    if (write && get_page_type(s->pg, PGT_writable_page)) {
        put_page(s->pg);
        if (s->gt)
            gnttab_unpin(s->gt, s->ref, false);
        return s->gt ? GNTST_general_error : GNTST_bad_page;
    }
    return GNTST_okay;
}

/* The bytes [offset, offset + len) lie in what the side's grant covers. */
static bool side_covers(const struct copy_side *s, unsigned int offset, unsigned int len)
{
    return !s->gt || (offset >= s->window.start && offset + len <= (unsigned int)s->window.start + s->window.length);
}

static void side_put(struct copy_side *s)
{
    if (s->write)
        put_page_type(s->pg);
    put_page(s->pg);
    if (s->gt)
        gnttab_unpin(s->gt, s->ref, !s->write);
}

static uint8_t *frame_va(struct page_info *pg)
{
    return __va((paddr_t)page_to_mfn(pg) << PAGE_SHIFT);
}

int16_t gnttab_copy_one(struct domain *d, const struct gnttab_copy *op)
{
    struct copy_side src, dst;
    int16_t rc;

    if (op->flags & ~(GNTCOPY_source_gref | GNTCOPY_dest_gref))
        return GNTST_bad_copy_arg;
    if ((unsigned int)op->source.offset + op->len > PAGE_SIZE ||
        (unsigned int)op->dest.offset + op->len > PAGE_SIZE)
        return GNTST_bad_copy_arg;
    rc = side_get(d, &op->source, op->flags & GNTCOPY_source_gref, false, &src);
    if (rc != GNTST_okay)
        return rc;
    rc = side_get(d, &op->dest, op->flags & GNTCOPY_dest_gref, true, &dst);
    if (rc != GNTST_okay) {
        side_put(&src);
        return rc;
    }
    if (!side_covers(&src, op->source.offset, op->len) || !side_covers(&dst, op->dest.offset, op->len)) {
        side_put(&dst);
        side_put(&src);
        return GNTST_general_error; /* beyond a sub-page grant */
    }
    memmove(frame_va(dst.pg) + op->dest.offset, frame_va(src.pg) + op->source.offset, op->len);
    pv_shadow_frame_written(page_to_mfn(dst.pg));
    side_put(&dst);
    side_put(&src);
    return GNTST_okay;
}

#define UNMAP_CHUNK 64 /* unmaps that share a TLB flush */

/* Runs one entry of a map/unmap/copy batch under the lock; the entry is copied in once.
 * An unmap leaves its flush and release owed (see finish_unmaps). */
static int16_t batch_one(struct domain *d, unsigned int cmd, void *op, bool *owed)
{
    unsigned long flags;
    int16_t st;

    spin_lock_irqsave(&gnttab_lock, flags);
    if (cmd == GNTTABOP_map_grant_ref)
        st = gnttab_map_one(d, op);
    else if (cmd == GNTTABOP_unmap_grant_ref)
        st = gnttab_unmap_one(d, op, owed);
    else if (cmd == GNTTABOP_unmap_and_replace)
        st = gnttab_unmap_replace_one(d, op);
    else
        st = gnttab_copy_one(d, op);
    spin_unlock_irqrestore(&gnttab_lock, flags);
    return st;
}

static void finish_unmaps(struct domain *d, const uint32_t *handles, unsigned int n)
{
    unsigned long flags;

    spin_lock_irqsave(&gnttab_lock, flags);
    gnttab_unmap_finish(d, handles, n);
    spin_unlock_irqrestore(&gnttab_lock, flags);
}

static long batch(struct domain *d, unsigned int cmd, uint64_t uop, unsigned int count)
{
    union {
        struct gnttab_map_grant_ref map;
        struct gnttab_unmap_grant_ref unmap;
        struct gnttab_unmap_and_replace replace;
        struct gnttab_copy copy;
    } op;
    size_t size = cmd == GNTTABOP_map_grant_ref       ? sizeof(op.map)
                  : cmd == GNTTABOP_unmap_grant_ref   ? sizeof(op.unmap)
                  : cmd == GNTTABOP_unmap_and_replace ? sizeof(op.replace)
                                                      : sizeof(op.copy);
    size_t status_at = cmd == GNTTABOP_map_grant_ref ? offsetof(struct gnttab_map_grant_ref, status)
                       : cmd == GNTTABOP_unmap_grant_ref
                           ? offsetof(struct gnttab_unmap_grant_ref, status)
                       : cmd == GNTTABOP_unmap_and_replace
                           ? offsetof(struct gnttab_unmap_and_replace, status)
                           : offsetof(struct gnttab_copy, status);

    uint32_t unmapped[UNMAP_CHUNK];
    unsigned int nunmapped = 0;
    bool owed = false;
    long rc = 0;

    if (count > GNTTAB_MAX_BATCH)
        return -EINVAL;
    for (unsigned int i = 0; i < count; i++) {
        uint64_t at = uop + (uint64_t)i * size;
        int16_t st;
        if (copy_from_guest(&op, at, size)) {
            rc = -EFAULT;
            break;
        }
        st = batch_one(d, cmd, &op, cmd == GNTTABOP_unmap_grant_ref ? &owed : NULL);
        if (cmd == GNTTABOP_unmap_grant_ref && st == GNTST_okay)
            unmapped[nunmapped++] = op.unmap.handle;
        if (nunmapped == UNMAP_CHUNK) {
            finish_unmaps(d, unmapped, nunmapped);
            nunmapped = 0;
            owed = false;
        }
        /* map also returns its handle and bus address */
        if (cmd == GNTTABOP_map_grant_ref && st == GNTST_okay) {
            op.map.status = st;
            if (copy_to_guest(at, &op, size)) {
                rc = -EFAULT;
                break;
            }
        } else if (copy_to_guest(at + status_at, &st, sizeof(st))) {
            rc = -EFAULT;
            break;
        }
        if (d->is_shutting_down)
            break;
    }
    if (owed)
        finish_unmaps(d, unmapped, nunmapped);
    return rc;
}

long do_grant_table_op(unsigned int cmd, uint64_t uop, unsigned int count)
{
    struct domain *d = current->domain;

    if (!d->grant_table)
        return -ENOSYS;
    switch (cmd) {
    case GNTTABOP_map_grant_ref:
    case GNTTABOP_unmap_grant_ref:
    case GNTTABOP_unmap_and_replace:
    case GNTTABOP_copy:
        return batch(d, cmd, uop, count);
    case GNTTABOP_setup_table:
        return setup_table(d, uop, count);
    case GNTTABOP_query_size:
        return query_size(d, uop, count);
    case GNTTABOP_set_version:
        return set_version(d, uop, count);
    case GNTTABOP_get_status_frames:
        return get_status_frames(d, uop, count);
    case GNTTABOP_get_version:
        return get_version(d, uop, count);
    default:
        return -ENOSYS; /* transfer, swap, cache_flush */
    }
}
