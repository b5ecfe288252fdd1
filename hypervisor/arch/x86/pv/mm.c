/*
 * Memory hypercalls: mmu_update, update_va_mapping, mmuext_op, and the M2P table.
 * Page-table semantics (validation, reference counting) live in ptvalidate.c.
 */
#include <tern/domain.h>
#include <tern/grant_table.h>
#include <tern/sched.h>
#include <tern/errno.h>
#include <tern/lib.h>
#include <tern/mm.h>
#include <tern/printk.h>
#include <asm/current.h>
#include <asm/page.h>
#include <asm/processor.h>
#include <asm/pv.h>
#include <asm/pv_desc.h>
#include <asm/pv_hypercall.h>
#include <asm/pv_mm.h>
#include <asm/pv_shadow.h>
#include <asm/uaccess.h>

#define MAX_BATCH 4096 /* entries per call inside a multicall, which cannot continue them */

static uint64_t *m2p;
static mfn_t m2p_frames;

int m2p_init(mfn_t nr_frames)
{
    size_t bytes = nr_frames * sizeof(uint64_t);
    unsigned int order = 0;

    while ((PAGE_SIZE << order) < bytes)
        order++;
    m2p = alloc_xenheap_pages(order);
    if (!m2p)
        return -ENOMEM;
    memset(m2p, 0xff, bytes); /* frames no guest owns read as ~0 */
    m2p_frames = nr_frames;
    /* guests read it, never write it, at the ABI's address */
    return map_pages(RO_MPT_VIRT_START, __pa(m2p), PFN_UP(bytes),
                     _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED | _PAGE_NX);
}

void m2p_set(mfn_t mfn, uint64_t pfn)
{
    if (mfn < m2p_frames)
        m2p[mfn] = pfn;
}

uint64_t m2p_get(mfn_t mfn)
{
    return mfn < m2p_frames ? m2p[mfn] : ~0ull;
}

static bool domid_is_self(unsigned long domid)
{
    return domid == DOMID_SELF || domid == current->domain->domid;
}

/*
 * mmu_update and mmuext_op: count entries of size bytes at list, each run by one();
 * *pdone (if given) gets how many succeeded. A long batch continues itself.
 */
static long run_batch(uint64_t list, unsigned long count, uint64_t pdone, unsigned long domid,
                      size_t size, long (*one)(struct vcpu *, uint64_t))
{
    struct vcpu *v = current;
    uint32_t done = 0; /* *pdone is an unsigned int in the ABI */
    unsigned long i;
    long rc = 0;

    if (!domid_is_self(domid))
        return -EPERM; /* foreign updates: mmu_update from the control domain only */
    if (count & BATCH_PREEMPTED) {
        count &= ~BATCH_PREEMPTED;
        if (pdone && copy_from_guest(&done, pdone, sizeof(done)))
            return -EFAULT;
    }
    if (count >= BATCH_PREEMPTED || (v->in_multicall && count > MAX_BATCH))
        return -EINVAL;
    for (i = 0; i < count; i++) {
        if (i && !(i % BATCH_CHECK_EVERY) && hypercall_preempt_check()) {
            done += (uint32_t)i;
            if (pdone && copy_to_guest(pdone, &done, sizeof(done)))
                return -EFAULT;
            return hypercall_continue(list + i * size, (count - i) | BATCH_PREEMPTED, pdone, domid);
        }
        rc = one(v, list + i * size);
        if (rc)
            break;
    }
    done += (uint32_t)i;
    if (pdone && copy_to_guest(pdone, &done, sizeof(done)))
        return -EFAULT;
    return rc;
}

static long mmu_update_one(struct vcpu *v, uint64_t at)
{
    struct mmu_update u;

    if (copy_from_guest(&u, at, sizeof(u)))
        return -EFAULT;
    unsigned int cmd = u.ptr & 3;
    mfn_t mfn = (u.ptr & PTE_ADDR_MASK) >> PAGE_SHIFT;
    if (cmd == MMU_NORMAL_PT_UPDATE || cmd == MMU_PT_UPDATE_PRESERVE_AD) {
        if (u.ptr & 4) /* entries are 8-byte aligned */
            return -EINVAL;
        return pv_mod_entry(v->domain->domid, mfn, (u.ptr & 0xff8) >> 3, u.val,
                            cmd == MMU_PT_UPDATE_PRESERVE_AD);
    }
    if (cmd == MMU_MACHPHYS_UPDATE) {
        struct page_info *pg = mfn_valid(mfn) ? mfn_to_page(mfn) : NULL;
        if (!pg || !get_page(pg, v->domain->domid))
            return -EPERM;
        m2p_set(mfn, u.val);
        put_page(pg);
        return 0;
    }
    return -ENOSYS;
}

/*
 * A batch on another domain's behalf (the control domain only): mmu_update entries still
 * go in the caller's own tables but may map that domain's frames (privcmd's mmap);
 * mmuext_op pins and unpins that domain's tables (the domain builder). A page table of the
 * other domain can never be mapped writable.
 */
static long run_foreign_batch(uint64_t list, unsigned long count, uint64_t done, unsigned long domid,
                              size_t size, long (*one)(struct vcpu *, uint64_t))
{
    struct vcpu *v = current;
    struct domain *fd;
    long rc;

    if (domid_is_self(domid))
        return run_batch(list, count, done, DOMID_SELF, size, one);
    if (!v->domain->is_privileged || domid >= DOMID_FIRST_RESERVED)
        return -EPERM;
    if (!(fd = domain_get((uint16_t)domid)))
        return -ESRCH;
    v->foreign = fd;
    rc = run_batch(list, count, done, DOMID_SELF, size, one);
    v->foreign = NULL;
    domain_put(fd);
    /* a continuation re-issues the call with the same foreign domid */
    if (v->hcall_continued)
        v->hcall_args[3] = domid;
    return rc;
}

long do_mmu_update(uint64_t reqs, unsigned long count, uint64_t done, unsigned long domid)
{
    return run_foreign_batch(reqs, count, done, domid, sizeof(struct mmu_update), mmu_update_one);
}

bool pv_may_map_foreign(uint32_t domid, mfn_t mfn, bool writable)
{
    struct vcpu *v = current;
    struct page_info *pg;

    if (gnttab_may_map_foreign(domid, mfn, writable))
        return true;
    if (!v || is_idle_vcpu(v) || !v->foreign || v->domain->domid != domid)
        return false;
    pg = mfn_to_page(mfn);
    return pg && __atomic_load_n(&pg->owner, __ATOMIC_ACQUIRE) == v->foreign->domid;
}

/* The L1 table mapping va in the vCPU's current tables, or PV_MFN_NONE. */
mfn_t pv_find_l1(struct vcpu *v, uint64_t va)
{
    mfn_t table = v->kernel_mode || v->guest_table_user == PV_MFN_NONE ? v->guest_table
                                                                       : v->guest_table_user;

    for (int level = 4; level > 1; level--) {
        const uint64_t *t = __va((paddr_t)table << PAGE_SHIFT);
        uint64_t e = __atomic_load_n(&t[(va >> (12 + 9 * (level - 1))) & 511], __ATOMIC_ACQUIRE);
        if (!(e & _PAGE_PRESENT) || (e & _PAGE_PSE))
            return PV_MFN_NONE;
        table = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
    }
    /* anything else was reached through a linear entry: no L1 maps va (as on Xen) */
    if (!mfn_valid(table) || page_get_type(mfn_to_page(table)) != PGT_l1_page_table)
        return PV_MFN_NONE;
    return table;
}

static void flush_after_update(uint64_t va, unsigned long flags)
{
    unsigned long type = flags & UVMF_FLUSHTYPE_MASK;

    if (type == UVMF_NONE)
        return;
    /* UVMF_ALL, or a vCPU mask (MULTI with a pointer): the domain's other CPUs too */
    if ((flags & UVMF_ALL) || (flags & ~(UVMF_FLUSHTYPE_MASK | UVMF_ALL))) {
        pv_flush_domain_tlbs();
        return;
    }
    if (type == UVMF_TLB_FLUSH)
        flush_tlb_local();
    else
        invlpg(va);
}

long do_update_va_mapping(uint64_t va, uint64_t val, unsigned long flags)
{
    struct vcpu *v = current;
    mfn_t l1;
    int rc;

    if (!guest_range_ok(va, 1))
        return -EINVAL;
    if ((flags & UVMF_FLUSHTYPE_MASK) == 3)
        return -EINVAL;
    l1 = pv_find_l1(v, va);
    if (l1 == PV_MFN_NONE)
        return -EINVAL;
    rc = pv_mod_entry(v->domain->domid, l1, (va >> 12) & 511, val, false);
    if (!rc)
        flush_after_update(va, flags);
    return rc;
}

static long mmuext_one(struct vcpu *v, const struct mmuext_op *op)
{
    uint32_t domid = v->foreign ? v->foreign->domid : v->domain->domid;
    mfn_t old;
    int rc;

    if (v->foreign && op->cmd > MMUEXT_UNPIN_TABLE)
        return -EPERM; /* for another domain: pinning and unpinning only */
    switch (op->cmd) {
    case MMUEXT_PIN_L1_TABLE:
    case MMUEXT_PIN_L2_TABLE:
    case MMUEXT_PIN_L3_TABLE:
    case MMUEXT_PIN_L4_TABLE:
        return pv_pin_table(domid, op->arg1.mfn, op->cmd - MMUEXT_PIN_L1_TABLE + 1);
    case MMUEXT_UNPIN_TABLE:
        return pv_unpin_table(domid, op->arg1.mfn);
    case MMUEXT_NEW_BASEPTR:
    case MMUEXT_NEW_USER_BASEPTR: {
        mfn_t *slot = op->cmd == MMUEXT_NEW_BASEPTR ? &v->guest_table : &v->guest_table_user;
        if (op->cmd == MMUEXT_NEW_USER_BASEPTR && op->arg1.mfn == 0) {
            old = __atomic_exchange_n(slot, PV_MFN_NONE, __ATOMIC_ACQ_REL);
        } else {
            rc = pv_new_baseptr(domid, op->arg1.mfn, slot, &old);
            if (rc)
                return rc;
        }
        if (v->kernel_mode == (op->cmd == MMUEXT_NEW_BASEPTR) || v->guest_table_user == PV_MFN_NONE)
            write_cr3(pv_guest_cr3(v));
        pv_put_baseptr(old);
        return 0;
    }
    case MMUEXT_TLB_FLUSH_LOCAL:
        flush_tlb_local();
        return 0;
    case MMUEXT_TLB_FLUSH_MULTI:
    case MMUEXT_TLB_FLUSH_ALL:
        pv_flush_domain_tlbs(); /* every CPU that runs one of our vCPUs */
        return 0;
    case MMUEXT_INVLPG_LOCAL:
    case MMUEXT_INVLPG_MULTI:
    case MMUEXT_INVLPG_ALL:
        if (!guest_range_ok(op->arg1.linear_addr, 1))
            return -EINVAL;
        if (op->cmd == MMUEXT_INVLPG_LOCAL)
            invlpg(op->arg1.linear_addr);
        else
            pv_flush_domain_tlbs();
        return 0;
    case MMUEXT_SET_LDT:
        return pv_set_ldt(v, op->arg1.linear_addr, op->arg2.nr_ents);
    case MMUEXT_MARK_SUPER:
    case MMUEXT_UNMARK_SUPER:
        return -EOPNOTSUPP; /* no superpages for PV guests */
    default:
        return -ENOSYS;
    }
}

static long mmuext_entry(struct vcpu *v, uint64_t at)
{
    struct mmuext_op op;
    long rc;

    if (copy_from_guest(&op, at, sizeof(op)))
        return -EFAULT;
    rc = mmuext_one(v, &op);
    if (rc) {
        struct page_info *pg = mfn_valid(op.arg1.mfn) ? mfn_to_page(op.arg1.mfn) : NULL;
        pr_debug("d%u: mmuext_op cmd %u arg %#lx (pfn %#lx, type %#lx count %#lx): %ld\n",
                 v->domain->domid, op.cmd, (unsigned long)op.arg1.mfn,
                 (unsigned long)m2p_get(op.arg1.mfn), pg ? (unsigned long)pg->type_info : 0ul,
                 pg ? (unsigned long)pg->count_info : 0ul, rc);
    }
    return rc;
}

long do_mmuext_op(uint64_t ops, unsigned long count, uint64_t done, unsigned long domid)
{
    return run_foreign_batch(ops, count, done, domid, sizeof(struct mmuext_op), mmuext_entry);
}

/*
 * Each entry's result is written back; a long multicall continues between entries. An
 * entry that leaves guest kernel mode ends the batch (hypercall work never runs for guest
 * user mode): iret does, and its result, the frame's %rax, is then the multicall's too, so
 * the guest resumes with the %rax its frame asked for, as on Xen.
 */
long do_multicall(uint64_t calls, unsigned long count)
{
    struct vcpu *v = current;

    if (count >= BATCH_PREEMPTED)
        return -EINVAL;
    for (unsigned long i = 0; i < count; i++) {
        struct multicall_entry mc;
        uint64_t at = calls + i * sizeof(mc);
        int rc;
        if (i && !(i % BATCH_CHECK_EVERY) && hypercall_preempt_check())
            return hypercall_continue(at, count - i, 0, 0);
        if (copy_from_guest(&mc, at, sizeof(mc)))
            return -EFAULT;
        if (mc.op == __HYPERVISOR_multicall) {
            mc.result = (uint64_t)-EINVAL; /* no nesting */
        } else {
            v->in_multicall = true;
            mc.result = (uint64_t)hypercall_dispatch(mc.op, mc.args[0], mc.args[1], mc.args[2],
                                                     mc.args[3], mc.args[4]);
            v->in_multicall = false;
        }
        /* after an iret to user mode the list may not be reachable: the result is best effort */
        rc = copy_to_guest(at + __builtin_offsetof(struct multicall_entry, result), &mc.result,
                           sizeof(mc.result));
        if (mc.op == __HYPERVISOR_iret || !v->kernel_mode)
            return (long)mc.result;
        if (rc)
            return -EFAULT;
        if (v->domain->is_shutting_down)
            break;
    }
    return 0;
}
