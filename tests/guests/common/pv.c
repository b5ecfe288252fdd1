/* PV helpers for test guests: shared info, frames, trap table and 2-level event handling. */
#include "pv.h"

struct shared_info *shared;
volatile unsigned int trap_count;
volatile struct trap_record last_trap;
volatile uint64_t trap_recover_rip;
trap_hook_t volatile trap_hooks[VEC_SYSCALL + 1];
void (*volatile event_port_hook)(unsigned int port);
extern volatile int64_t probe_vector;

/* The page shared info is mapped over (its own frame is simply not used). */
static uint8_t shared_page[4096] __attribute__((aligned(4096)));

void pv_map_shared_info(void)
{
    long rc;

    if (shared)
        return;
    rc = hypervisor_update_va_mapping((uint64_t)(uintptr_t)shared_page,
                                      start_info->shared_info | PTE_RW_FLAGS, UVMF_INVLPG);
    if (rc)
        test_error("cannot map shared info: update_va_mapping returned %ld", rc);
    shared = (struct shared_info *)shared_page;
}

struct vcpu_info *pv_vcpu_info(unsigned int vcpu)
{
    pv_map_shared_info();
    return &shared->vcpu_info[vcpu];
}

uint64_t pv_pfn_to_mfn(uint64_t pfn)
{
    return ((const uint64_t *)(uintptr_t)start_info->mfn_list)[pfn];
}

uint64_t pv_virt_to_mfn(const void *va)
{
    return pv_pfn_to_mfn(((uint64_t)(uintptr_t)va - GUEST_VIRT_BASE) >> 12);
}

void *pv_mfn_to_virt(uint64_t mfn)
{
    struct xen_machphys_mapping m;
    uint64_t pfn;

    if (hypervisor_memory_op(XENMEM_machphys_mapping, &m) || mfn > m.max_mfn)
        return NULL;
    pfn = ((const uint64_t *)(uintptr_t)m.v_start)[mfn];
    if (pfn >= start_info->nr_pages || pv_pfn_to_mfn(pfn) != mfn)
        return NULL;
    return (void *)(uintptr_t)(GUEST_VIRT_BASE + pfn * 4096);
}

unsigned int pv_domid(void)
{
    uint8_t h[16];

    if (hypervisor_xen_version(XENVER_guest_handle, h))
        test_error("XENVER_guest_handle failed");
    return h[0] | (unsigned int)h[1] << 8;
}

long pv_set_page_rw(void *page, bool writable)
{
    return hypervisor_update_va_mapping((uint64_t)(uintptr_t)page,
                                        pv_virt_to_mfn(page) << 12 |
                                            (writable ? PTE_RW_FLAGS : PTE_RO_FLAGS),
                                        UVMF_INVLPG);
}

#define DECLARE_ENTRY(n) extern char trap_entry_##n[];
DECLARE_ENTRY(0) DECLARE_ENTRY(1) DECLARE_ENTRY(2) DECLARE_ENTRY(3) DECLARE_ENTRY(4)
DECLARE_ENTRY(5) DECLARE_ENTRY(6) DECLARE_ENTRY(7) DECLARE_ENTRY(8) DECLARE_ENTRY(9)
DECLARE_ENTRY(10) DECLARE_ENTRY(11) DECLARE_ENTRY(12) DECLARE_ENTRY(13) DECLARE_ENTRY(14)
DECLARE_ENTRY(15) DECLARE_ENTRY(16) DECLARE_ENTRY(17) DECLARE_ENTRY(18) DECLARE_ENTRY(19)
DECLARE_ENTRY(0x80) DECLARE_ENTRY(0x81)
extern char event_entry[], syscall_entry[];

#define TI(n, dpl) { .vector = n, .flags = dpl, .cs = FLAT_KERNEL_CS, .address = (uint64_t)(uintptr_t)trap_entry_##n }

void traps_install(void)
{
    static struct trap_info table[] = {
        TI(0, 0), TI(1, 0), TI(2, 0), TI(3, 3), TI(4, 3), TI(5, 0), TI(6, 0), TI(7, 0),
        TI(8, 0), TI(9, 0), TI(10, 0), TI(11, 0), TI(12, 0), TI(13, 0), TI(14, 0),
        TI(15, 0), TI(16, 0), TI(17, 0), TI(18, 0), TI(19, 0), TI(0x80, 3), TI(0x81, 0),
        { 0, 0, 0, 0, 0 },
    };
    struct callback_register ev = { .type = CALLBACKTYPE_event,
                                    .address = (uint64_t)(uintptr_t)event_entry };
    struct callback_register sc = { .type = CALLBACKTYPE_syscall,
                                    .flags = CALLBACKF_mask_events,
                                    .address = (uint64_t)(uintptr_t)syscall_entry };
    long rc;

    pv_map_shared_info();
    rc = hypercall1(__HYPERVISOR_set_trap_table, table);
    if (rc)
        test_error("set_trap_table returned %ld", rc);
    rc = hypercall2(__HYPERVISOR_callback_op, CALLBACKOP_register, &ev);
    if (!rc)
        rc = hypercall2(__HYPERVISOR_callback_op, CALLBACKOP_register, &sc);
    if (rc)
        test_error("callback_op(register) returned %ld", rc);
}

static void handle_events(void)
{
    struct vcpu_info *vi;
    unsigned int cpu;

    /* which vCPU runs: the one whose vcpu_info says an upcall is pending and masked */
    for (cpu = 0; cpu < XEN_LEGACY_MAX_VCPUS; cpu++) {
        vi = &shared->vcpu_info[cpu];
        if (!vi->evtchn_upcall_pending || !vi->evtchn_upcall_mask)
            continue;
        __atomic_store_n(&vi->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
        uint64_t sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
        while (sel) {
            unsigned int w = (unsigned int)__builtin_ctzll(sel);
            sel &= sel - 1;
            uint64_t bits = shared->evtchn_pending[w] & ~shared->evtchn_mask[w];
            while (bits) {
                unsigned int port = w * 64 + (unsigned int)__builtin_ctzll(bits);
                bits &= bits - 1;
                __atomic_fetch_and(&shared->evtchn_pending[w], ~(1ULL << (port % 64)),
                                   __ATOMIC_SEQ_CST);
                if (event_port_hook)
                    event_port_hook(port);
            }
        }
    }
}

void guest_trap(struct trap_frame *f);
void guest_trap(struct trap_frame *f)
{
    unsigned int vec = (unsigned int)f->vector;

    if (vec == VEC_EVENT && !trap_hooks[vec]) {
        trap_count++;
        handle_events();
        return;
    }
    last_trap.vector = vec;
    last_trap.error = f->error;
    last_trap.rip = f->rip;
    last_trap.cs = f->cs;
    last_trap.rflags = f->rflags;
    last_trap.cr2 = shared ? shared->vcpu_info[0].arch.cr2 : 0;
    trap_count++;
    if (vec <= VEC_SYSCALL && trap_hooks[vec]) {
        trap_hooks[vec](f);
        return;
    }
    if (trap_recover_rip) {
        f->rip = trap_recover_rip;
        trap_recover_rip = 0;
        probe_vector = vec;
        return;
    }
    test_failure_exit("unexpected trap %#x (error %#llx) at rip %#llx", vec,
                      (unsigned long long)f->error, (unsigned long long)f->rip);
}

long trap_probe(void (*fn)(void *), void *arg)
{
    unsigned int before = trap_count;

    fn(arg);
    return trap_count == before ? -1 : (long)last_trap.vector;
}

void evt_mask(unsigned int port)
{
    __atomic_fetch_or(&shared->evtchn_mask[port / 64], 1ULL << (port % 64), __ATOMIC_SEQ_CST);
}

void evt_unmask(unsigned int port)
{
    struct evtchn_unmask u = { .port = port };
    long rc = hypervisor_event_channel_op(EVTCHNOP_unmask, &u);

    if (rc)
        test_fail("EVTCHNOP_unmask(%u) returned %ld", port, rc);
}

void evt_clear(unsigned int port)
{
    __atomic_fetch_and(&shared->evtchn_pending[port / 64], ~(1ULL << (port % 64)), __ATOMIC_SEQ_CST);
}

bool evt_pending(unsigned int port)
{
    return __atomic_load_n(&shared->evtchn_pending[port / 64], __ATOMIC_SEQ_CST) & (1ULL << (port % 64));
}

void events_disable(void)
{
    __atomic_store_n(&pv_vcpu_info(0)->evtchn_upcall_mask, 1, __ATOMIC_SEQ_CST);
}

void events_enable(void)
{
    struct vcpu_info *vi = pv_vcpu_info(0);

    __atomic_store_n(&vi->evtchn_upcall_mask, 0, __ATOMIC_SEQ_CST);
    /* an upcall that arrived while masked is delivered on the next hypervisor exit */
    if (__atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_SEQ_CST))
        hypervisor_xen_version(XENVER_version, NULL);
}

uint64_t pvclock_read(const struct vcpu_time_info *t)
{
    uint32_t v;
    uint64_t delta, ns;

    do {
        v = __atomic_load_n(&t->version, __ATOMIC_ACQUIRE);
        uint32_t lo, hi;
        __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
        delta = ((uint64_t)hi << 32 | lo) - t->tsc_timestamp;
        if (t->tsc_shift >= 0)
            delta <<= t->tsc_shift;
        else
            delta >>= -t->tsc_shift;
        ns = t->system_time + (uint64_t)(((unsigned __int128)delta * t->tsc_to_system_mul) >> 32);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
    } while ((v & 1) || v != __atomic_load_n(&t->version, __ATOMIC_ACQUIRE));
    return ns;
}

uint64_t pv_now(void)
{
    return pvclock_read(&pv_vcpu_info(0)->time);
}
