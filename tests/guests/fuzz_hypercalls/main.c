/*
 * fuzz_hypercalls: random and mutated hypercalls, "calls=N seed=S" from the command line
 * (20000 and 1 without). Numbers are drawn from every hypercall (and some that do not
 * exist), commands biased to the valid ones, arguments from a pool: small numbers, random
 * words, domain ids, pointers into a scratch buffer of random bytes (also running off its
 * end), unmapped, non-canonical and hypervisor addresses. Batches
 * (multicall, mmu_update, mmuext_op, grant ops) get random entries in the scratch buffer.
 * What would only end this guest on its own terms is left out (shutdown, iret, its own
 * trap table and callbacks, taking its own vCPU down, remapping its own image, watchdog);
 * page-table updates go to a sacrificial range. The hypervisor must answer each call; the
 * guest ends with the count of calls and of distinct results.
 */
#include "pt.h"
#include "pv.h"
#include <public/grant_table.h>

const char test_title[] = "random and mutated hypercalls";

#define SCRATCH_PAGES 4
#define UNMAPPED_VA (GUEST_VIRT_BASE + (64ULL << 20))  /* nothing mapped there */
#define VICTIM_VA (GUEST_VIRT_BASE + (8ULL << 20))     /* SPARE_VA: our own sacrificial L1 */

/* The last pages of our memory, so that what runs off the end meets an unmapped page
 * rather than our own variables. */
static uint8_t *scratch;
#define SCRATCH_BYTES (SCRATCH_PAGES * 4096)
static uint64_t state;
static unsigned long issued;

static uint64_t rnd(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

/* A pointer into scratch, sometimes so close to its end that the callee runs off it. */
static uint64_t scratch_ptr(void)
{
    uint64_t off = rnd() % SCRATCH_BYTES;

    if (rnd() % 8 == 0)
        off = SCRATCH_BYTES - 1 - rnd() % 64;
    return (uint64_t)(uintptr_t)scratch + off;
}

static uint64_t arg(void)
{
    switch (rnd() % 12) {
    case 0: return 0;
    case 1: return rnd() % 16;
    case 2: return rnd() % 4096;
    case 3: return rnd();
    case 4: return (uint64_t)(int64_t)(int32_t)rnd(); /* negative as often as not */
    case 5: return rnd() % 2 ? DOMID_SELF : rnd() % 4;  /* ourselves, dom0, other domains */
    case 6: case 7: return scratch_ptr();
    case 8: return UNMAPPED_VA + rnd() % (1ULL << 20);
    case 9: return 0x0000800000000000ULL + rnd() % (1ULL << 32); /* non-canonical */
    case 10: return 0xffff800000000000ULL + rnd() % (8ULL << 40); /* the hypervisor's */
    default: return pt_mfn_of(rnd() % start_info->nr_pages); /* one of our frames */
    }
}

static void fill_scratch(void)
{
    for (unsigned int i = 0; i < SCRATCH_BYTES / 8; i += 1 + rnd() % 8)
        ((uint64_t *)scratch)[i] = rnd() % 3 ? arg() : rnd();
}

/* Left out: what would end or wedge this guest itself rather than test the hypervisor. */
static bool self_destructive(uint64_t nr, const uint64_t *a)
{
    switch (nr) {
    case __HYPERVISOR_set_trap_table:
    case __HYPERVISOR_set_gdt:
    case __HYPERVISOR_stack_switch:
    case __HYPERVISOR_set_callbacks:
    case __HYPERVISOR_callback_op:
    case __HYPERVISOR_iret:
    case __HYPERVISOR_sched_op_compat:
    case __HYPERVISOR_set_debugreg:
    case __HYPERVISOR_set_segment_base:
        return true;
    case __HYPERVISOR_console_io:
        return a[0] == CONSOLEIO_write; /* random bytes on the console */
    case __HYPERVISOR_sched_op: /* shutdown, block, poll, watchdog: only yield */
        return a[0] != SCHEDOP_yield;
    case __HYPERVISOR_vcpu_op: /* our only vCPU down, or its areas moved into scratch */
        return a[1] == 0 && a[0] != VCPUOP_is_up && a[0] != VCPUOP_get_runstate_info &&
               a[0] != VCPUOP_stop_periodic_timer && a[0] != VCPUOP_stop_singleshot_timer;
    case __HYPERVISOR_update_va_mapping:
    case __HYPERVISOR_update_va_mapping_otherdomain:
        return a[0] < VICTIM_VA || a[0] >= VICTIM_VA + (2ULL << 20);
    case __HYPERVISOR_memory_op: /* handing back or trading our own pages */
        return a[0] == XENMEM_decrease_reservation || a[0] == XENMEM_exchange ||
               a[0] == XENMEM_add_to_physmap || a[0] == XENMEM_remove_from_physmap;
    case __HYPERVISOR_grant_table_op: /* a copy into one of our own frames */
        return a[0] == GNTTABOP_copy;
    default:
        return false;
    }
}

/* mmu_update entries: the sacrificial L1 with random values, M2P updates of our frames,
 * and junk addresses. */
static void build_mmu_update(mmu_update_t *u, unsigned int n, uint64_t victim_l1)
{
    for (unsigned int i = 0; i < n; i++) {
        switch (rnd() % 3) {
        case 0:
            u[i].ptr = victim_l1 + (rnd() % 512) * 8 + (rnd() % 4 == 0 ? MMU_PT_UPDATE_PRESERVE_AD : 0);
            break;
        case 1:
            u[i].ptr = (pt_mfn_of(rnd() % start_info->nr_pages) << 12) | MMU_MACHPHYS_UPDATE;
            break;
        default:
            u[i].ptr = arg();
        }
        u[i].val = rnd() % 2 ? (arg() << 12) | (rnd() & 0xfff) : arg();
    }
}

/* mmuext entries of every command but clearing or copying our own pages; a new base
 * pointer only to our L4 or to junk (one of our free frames, zeroed, would validate as an
 * empty L4 and leave us without a mapping). */
static void build_mmuext(mmuext_op_t *op, unsigned int n, uint64_t l4_mfn)
{
    for (unsigned int i = 0; i < n; i++) {
        do
            op[i].cmd = (unsigned int)(rnd() % 22);
        while (op[i].cmd == MMUEXT_CLEAR_PAGE || op[i].cmd == MMUEXT_COPY_PAGE);
        op[i].arg1.mfn = rnd() % 2 ? pt_mfn_of(rnd() % start_info->nr_pages) : arg();
        if (op[i].cmd == MMUEXT_NEW_BASEPTR && op[i].arg1.mfn < (1ULL << 32))
            op[i].arg1.mfn = rnd() % 2 ? l4_mfn : op[i].arg1.mfn | (1ULL << 40);
        op[i].arg2.nr_ents = (unsigned int)(rnd() % 2 ? rnd() % 64 : arg());
    }
}

/* multicall entries of ops that cannot harm this guest, with random arguments. */
static void build_multicall(multicall_entry_t *mc, unsigned int n)
{
    static const uint64_t ops[] = { __HYPERVISOR_xen_version, __HYPERVISOR_event_channel_op,
                                    __HYPERVISOR_physdev_op, __HYPERVISOR_vm_assist,
                                    __HYPERVISOR_multicall, __HYPERVISOR_get_debugreg, 99 };

    for (unsigned int i = 0; i < n; i++) {
        mc[i].op = ops[rnd() % (sizeof(ops) / sizeof(ops[0]))];
        for (unsigned int j = 0; j < 6; j++)
            mc[i].args[j] = j == 0 ? rnd() % 12 : arg();
    }
}

static void fuzz_one(uint64_t victim_l1, uint64_t l4_mfn, uint64_t *results, unsigned int *distinct)
{
    uint64_t nr = rnd() % 4 ? rnd() % 43 : rnd() % 256, a[5];
    void *batch = scratch + 2048;
    unsigned int n = (unsigned int)(rnd() % 9);
    long rc;

    for (unsigned int i = 0; i < 5; i++)
        a[i] = arg();
    if (rnd() % 2)
        a[0] = rnd() % 24; /* a command of the op, valid more often than not */
    if (nr == __HYPERVISOR_mmu_update) {
        build_mmu_update(batch, n, victim_l1);
        a[0] = (uint64_t)(uintptr_t)batch, a[1] = n, a[3] = rnd() % 4 ? DOMID_SELF : arg();
    } else if (nr == __HYPERVISOR_mmuext_op) {
        build_mmuext(batch, n, l4_mfn);
        a[0] = (uint64_t)(uintptr_t)batch, a[1] = n, a[3] = rnd() % 4 ? DOMID_SELF : arg();
    } else if (nr == __HYPERVISOR_multicall) {
        build_multicall(batch, n);
        a[0] = (uint64_t)(uintptr_t)batch, a[1] = n;
    }
    if (self_destructive(nr, a))
        return;
    rc = hypercall_syscall(nr, a[0], a[1], a[2], a[3], a[4]);
    issued++;
    for (unsigned int i = 0; i < *distinct; i++)
        if (results[i] == (uint64_t)rc)
            return;
    if (*distinct < 64)
        results[(*distinct)++] = (uint64_t)rc;
}

void test_main(void)
{
    unsigned long calls = cmdline_num("calls", 20000);
    uint64_t results[64];
    unsigned int distinct = 0;

    state = 0x9e3779b97f4a7c15ULL * (cmdline_num("seed", 1) + 1);
    traps_install();
    /* the last pages of the first 4 MiB, which the builder maps, when nothing follows */
    scratch = pt_va_of_pfn(1024 - SCRATCH_PAGES);
    uint64_t v;
    ASSERT(start_info->nr_pages == 1024);
    ASSERT_EQ(probe_read(pt_va_of_pfn(1024), &v), 14);
    pt_spare_l1(); /* VICTIM_VA's L1: update_va_mapping and mmu_update scribble there */
    uint64_t victim_l1 = pt_mfn_of(SPARE_L1_PFN) << 12;
    uint64_t l4_mfn = pv_virt_to_mfn((const void *)(uintptr_t)start_info->pt_base);
    for (unsigned long i = 0; i < calls; i++) {
        if (!(i % 64))
            fill_scratch();
        fuzz_one(victim_l1, l4_mfn, results, &distinct);
        if (!(i % 100000) && i)
            guest_printf("fuzz_hypercalls: %lu rounds\n", i);
    }
    events_disable();
    guest_printf("fuzz_hypercalls: %lu rounds, %lu hypercalls made, %u distinct results\n", calls, issued,
                 distinct);
    ASSERT(issued > calls / 2);
}
