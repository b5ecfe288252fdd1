/*
 * Per-CPU set-up for guests (the syscall stub and MSRs) and the vCPU context switch:
 * registers, page-table base and segment bases.
 */
#include <tern/bug.h>
#include <tern/cpufeature.h>
#include <tern/domain.h>
#include <tern/errno.h>
#include <tern/grant_table.h>
#include <tern/lib.h>
#include <tern/mm.h>
#include <tern/printk.h>
#include <tern/sched.h>
#include <tern/smp.h>
#include <tern/softirq.h>
#include <tern/xmalloc.h>
#include <asm/current.h>
#include <asm/page.h>
#include <asm/processor.h>
#include <asm/pv.h>
#include <asm/pv_irq.h>
#include <asm/pv_desc.h>
#include <asm/pv_iomem.h>
#include <asm/pv_mm.h>
#include <asm/pv_shadow.h>
#include <asm/pv_hypercall.h>

extern char syscall_stub_page[], syscall_stub_compat[];
extern char syscall_enter[], sysenter_enter[];

#define SFMASK_BITS 0x47700 /* TF IF DF IOPL NT AC cleared on syscall entry */

/* Maps this CPU's copy of the syscall stub (RX) and its data page (RW) side by side. */
int pv_cpu_init(unsigned int cpu)
{
    pv_fpu_cpu_init();
    char *stub = alloc_xenheap_pages(0), *data = alloc_xenheap_pages(0);
    unsigned long va = (unsigned long)vmap_reserve(2 * PAGE_SIZE);
    uint64_t *slots = (uint64_t *)data;

    if (!stub || !data)
        return -ENOMEM;
    memcpy(stub, syscall_stub_page, PAGE_SIZE);
    slots[1] = guest_frame_top(get_cpu_info());
    slots[2] = (uint64_t)syscall_enter;
    if (map_pages(va, __pa(stub), 1, PAGE_HYPERVISOR_RX) ||
        map_pages(va + PAGE_SIZE, __pa(data), 1, PAGE_HYPERVISOR_RW))
        return -ENOMEM;
    wrmsr(MSR_STAR, ((uint64_t)0xe023 << 48) | ((uint64_t)HYPERVISOR_CS << 32));
    wrmsr(MSR_LSTAR, va);
    wrmsr(MSR_CSTAR, va + (unsigned long)(syscall_stub_compat - syscall_stub_page));
    wrmsr(MSR_SFMASK, SFMASK_BITS);
    /* as Xen, wherever the CPU has SYSENTER: whether it works in long mode is the CPU's
     * business (Intel's do; AMD's make it #UD, which the guest then gets as it is) */
    if (boot_cpu.sep) {
        wrmsr(MSR_SYSENTER_CS, HYPERVISOR_CS); /* and SS = CS + 8: HYPERVISOR_DS */
        wrmsr(MSR_SYSENTER_ESP, guest_frame_top(get_cpu_info()));
        wrmsr(MSR_SYSENTER_EIP, (uint64_t)sysenter_enter);
    }
    /* The PAT that guests are told about (emulate.c reads it back): their PWT/PCD/PAT
     * bits must mean on the machine what they mean to the guest. */
    wrmsr(MSR_PAT, PV_GUEST_PAT);
    return 0;
}

/*
 * CR4.FSGSBASE follows the running vCPU's own CR4 (as on Xen since XSA-293): a guest kernel
 * that has not turned it on relies on its user code being unable to change the bases.
 */
void pv_cr4_load(const struct vcpu *v)
{
    unsigned long cr4 = read_cr4(), want = cr4 & ~X86_CR4_FSGSBASE;

    if (boot_cpu.fsgsbase && v && (v->guest_cr4 & X86_CR4_FSGSBASE))
        want |= X86_CR4_FSGSBASE;
    if (want != cr4)
        write_cr4(want);
}

void pv_context_save(struct vcpu *prev)
{
    if (is_idle_vcpu(prev))
        return;
    prev->regs = get_cpu_info()->guest_regs;
    pv_desc_save(prev);
    /* a selector the guest loaded may have changed the bases since they were set */
    prev->fs_base = rdmsr(MSR_FS_BASE);
    if (prev->kernel_mode) {
        prev->gs_base_kernel = rdmsr(MSR_GS_BASE);
        prev->gs_base_user = rdmsr(MSR_SHADOW_GS_BASE);
    } else {
        prev->gs_base_user = rdmsr(MSR_GS_BASE);
        prev->gs_base_kernel = rdmsr(MSR_SHADOW_GS_BASE);
    }
    pv_fpu_save(prev);
    pv_cr4_load(NULL);
    pv_debugreg_off();
    write_cr0(read_cr0() | X86_CR0_TS); /* no FPU state leaks to whoever runs next */
    /* leave its page tables before anyone may free them */
    write_cr3(idle_pml4_pa());
}

void pv_context_load(struct vcpu *next)
{
    bool segs_ok;

    get_cpu_info()->guest_regs = next->regs;
    write_cr3(pv_guest_cr3(next));
    segs_ok = pv_desc_load(next); /* selectors first: loading them sets the bases */
    wrmsr(MSR_FS_BASE, next->fs_base);
    wrmsr(MSR_GS_BASE, next->kernel_mode ? next->gs_base_kernel : next->gs_base_user);
    wrmsr(MSR_SHADOW_GS_BASE, next->kernel_mode ? next->gs_base_user : next->gs_base_kernel);
    pv_fpu_load(next);
    pv_cr4_load(next);
    if (next->debugreg[7] & PV_DR7_ENABLED)
        pv_debugreg_load(next);
    pv_update_time(next);
    pv_update_runstate(next);
    if (!segs_ok)
        pv_desc_failsafe(next);
}

void pv_switch_to_idle(void)
{
    pv_desc_unload();
    if (read_cr3() != idle_pml4_pa())
        write_cr3(idle_pml4_pa());
}

void pv_vcpu_destroy(struct vcpu *v)
{
    if (v->vcpu_info_page) {
        put_page_and_type(v->vcpu_info_page);
        v->vcpu_info_page = NULL;
        v->vcpu_info = &v->domain->shared_info->vcpu_info[v->vcpu_id];
    }
    xfree(v->fpu_area);
    v->fpu_area = NULL;
    pv_desc_destroy(v);
    pv_put_baseptr(v->guest_table);
    pv_put_baseptr(v->guest_table_user);
    v->guest_table = v->guest_table_user = PV_MFN_NONE;
}

void pv_domain_relinquish(struct domain *d)
{
    struct page_info *pg;

    pirq_domain_destroy(d);
    /* Unpinning the roots drops every table below them. */
    list_for_each_entry(pg, &d->page_list, list)
        if (__atomic_load_n(&pg->type_info, __ATOMIC_ACQUIRE) & PGT_pinned)
            pv_unpin_table(d->domid, page_to_mfn(pg));
}

void pv_vcpu_timer_fn(void *data)
{
    struct vcpu *v = data;

    pv_timer_event(v);
}

/* Last stop before iret to a guest, with interrupts off on return. */
void guest_exit_checks(void)
{
    struct cpu_info *ci = get_cpu_info();
    struct cpu_user_regs *r = &ci->guest_regs;

    for (;;) {
        local_irq_disable();
        if (softirq_pending(ci->cpu_id)) {
            local_irq_enable();
            do_softirq();
            continue;
        }
        if (current->state != VCPU_RUNNING) {
            raise_softirq(SCHEDULE_SOFTIRQ);
            continue;
        }
        if (pv_deliver_events(current)) {
            continue;
        }
        if (!pv_exit_frame_ok(r)) {
            /* the CPU would raise #GP(0) at the target: the guest's handler gets it there, as
             * on Xen (with no handler the domain is crashed); then check the new frame */
            pv_inject_trap(current, r, 13, 0); /* #GP */
            continue;
        }
        break;
    }
    /* back to ring 3 with interrupts on; a selector the CPU refuses faults the iret (pv_exit_fault) */
    r->cs |= 3;
    r->ss |= 3;
    r->rflags = (r->rflags & ~0x3000ul & ~(1ul << 14) & ~(1ul << 17)) | X86_EFLAGS_IF | 2;
}

static void *map_frame(mfn_t mfn)
{
    return __va((paddr_t)mfn << PAGE_SHIFT);
}

static void unmap_frame(void *va)
{
}

static void flush_local(void *unused)
{
    flush_tlb_local();
}

/*
 * Before a frame becomes a page table, no CPU may keep a writable translation of it:
 * flush here, and on every other CPU running a vCPU of the domain.
 */
void pv_flush_domain_tlbs(void)
{
    pv_flush_guest_tlbs(current->domain ? current->domain->domid : DOMID_INVALID);
}

/* Here, and on every other CPU running a vCPU of domid (one that runs none has left the
 * domain's tables with a CR3 write). */
void pv_flush_guest_tlbs(uint32_t domid)
{
    struct domain *d = domid < DOMID_FIRST_RESERVED ? domain_by_id((uint16_t)domid) : NULL;
    struct vcpu *v;
    bool others = false;

    flush_tlb_local();
    if (!d)
        return;
    for_each_vcpu(d, v)
        others |= v != current && __atomic_load_n(&v->processor, __ATOMIC_ACQUIRE) >= 0;
    if (others)
        smp_call_function(flush_local, NULL);
}

/* Once at boot: the M2P, page-table validation hooks and the shared L4 slots. */
int pv_init(void)
{
    static const struct pv_mm_ops ops = {
        .map_frame = map_frame,
        .unmap_frame = unmap_frame,
        .free_page = free_domheap_page,
        .flush_guest_tlbs = pv_flush_guest_tlbs,
        .may_map_foreign = pv_may_map_foreign,
        .is_io_frame = iomem_is_io_frame,
        .may_map_io = iomem_may_map,
        .io_read_only = iomem_read_only,
        .may_set_cache_attrs = iomem_may_set_cache_attrs,
        .validate_other = pv_desc_validate_page,
        .entry_changed = pv_shadow_entry_changed,
        .table_gone = pv_shadow_table_gone,
        .frame_written = pv_shadow_frame_written,
        .invalidate_other = pv_desc_invalidate_page,
    };
    int rc = m2p_init(frame_table_nr);

    if (rc)
        return rc;
    rc = pv_mm_init(&ops);
    if (rc)
        return rc;
    pv_set_l4_template(idle_pml4_hypervisor_slots());
    return 0;
}
