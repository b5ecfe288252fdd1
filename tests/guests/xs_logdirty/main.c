/*
 * xs_logdirty: a domU (created from dom0) that writes its memory every way other than
 * a plain store through its own page tables, while dom0 runs tern-check-logdirty on it:
 * grant copies into its frames, hypercalls whose results land in its memory (a runstate
 * query, a registered runstate area and vcpu_info, update_descriptor, mmu_update on a plain
 * page), a fresh alias mapping of a page made and written every round, and page-table edits
 * through update_va_mapping. Each path writes a new value every round, so any path the
 * hypervisor does not count shows up in dom0's check as a page that changed unmarked. It
 * also tries to get a writable mapping of one of its own page tables, which must fail,
 * and reads its tables through a linear (self-map) L4 slot, where it must see its own
 * entries, never the shadows, and where every store must fault.
 * It publishes its p2m in shared_info as Linux does (dom0 reads its pages through it),
 * says data/ready = 1 in the store, and loops until data/stop = 1.
 */
#include "desc.h"
#include "gnttab.h"
#include "ptwalk.h"
#include "xs.h"

const char test_title[] = "log-dirty: writes by grant copy, hypercalls, aliases and page-table edits";

enum { P_COPY, P_QUERY, P_MMU, P_DESC, P_ALIAS, P_RUNAREA, P_VINFO, P_FLL, P_MID, NR_PAGES };
#define FIRST_PFN 772
#define ALIAS_VA(i) (SPARE_VA + (8ULL + ((i) & 7)) * PAGE_BYTES)
#define MAX_ROUNDS 2000000ULL
#define STOP_EVERY 64 /* rounds between looks at data/stop */
#define LINEAR_SLOT 200ULL /* an L4 slot naming the L4 itself, read-only */

static volatile uint64_t *page(unsigned int i)
{
    return pt_va_of_pfn(FIRST_PFN + i);
}

static uint64_t mfn(unsigned int i)
{
    return pt_mfn_of(FIRST_PFN + i);
}

/* The 3-level p2m tree Xen's save reads: the list start_info gave us is the leaves. */
static void publish_p2m(void)
{
    uint64_t nr = start_info->nr_pages, leaves = (nr + 511) / 512;
    const uint8_t *list = (const uint8_t *)(uintptr_t)start_info->mfn_list;
    volatile uint64_t *fll = page(P_FLL), *mid = page(P_MID);

    ASSERT(leaves <= 512 && !(start_info->mfn_list & 4095));
    for (unsigned int i = 0; i < 512; i++)
        fll[i] = mid[i] = 0;
    for (uint64_t i = 0; i < leaves; i++)
        mid[i] = pv_virt_to_mfn(list + i * PAGE_BYTES);
    fll[0] = mfn(P_MID);
    shared->arch.max_pfn = nr;
    __atomic_store_n(&shared->arch.pfn_to_mfn_frame_list_list, mfn(P_FLL), __ATOMIC_RELEASE);
}

static bool stop_requested(void)
{
    char v[8];

    return xs_read("data/stop", v, sizeof(v)) && v[0] == '1';
}

static void one_round(uint64_t n)
{
    static uint64_t src[2] __attribute__((aligned(16)));
    struct vcpu_runstate_info *rs = (struct vcpu_runstate_info *)(uintptr_t)page(P_QUERY);
    mmu_update_t u;

    /* a grant copy from a buffer of ours into a frame of ours, by frame number */
    src[0] = n;
    src[1] = ~n;
    ASSERT_EQ(gnttab_copy1(0, DOMID_SELF, pv_virt_to_mfn(src), (uint16_t)((uintptr_t)src & 4095),
                           DOMID_SELF, mfn(P_COPY), (uint16_t)((n % 256) * 16), 16),
              GNTST_okay);
    /* the hypervisor writes the answer into our memory */
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_get_runstate_info, 0, rs + (n % 32)), 0);
    /* mmu_update on a page that is not a page table is a plain store by the hypervisor */
    u.ptr = (mfn(P_MMU) << 12) | ((n % 512) * 8) | MMU_NORMAL_PT_UPDATE;
    u.val = n;
    ASSERT_RC(hypervisor_mmu_update(&u, 1, NULL, DOMID_SELF), 0);
    /* a descriptor page edited by hypercall: a data segment whose limit says the round */
    ASSERT_RC(update_descriptor((mfn(P_DESC) << 12) + (n % 512) * 8,
                                (DATA(3) & ~(D_G | 0xf00000000ffffULL)) | (n & 0xffff)), 0);
    /* a new alias of a page in a table of ours (the table's frame changes too), written
     * through; the previous alias goes */
    ASSERT_RC(hypervisor_update_va_mapping(ALIAS_VA(n - 1), 0, UVMF_INVLPG), 0);
    ASSERT_RC(hypervisor_update_va_mapping(ALIAS_VA(n), (mfn(P_ALIAS) << 12) | PTE_FLAGS_RW, UVMF_INVLPG), 0);
    /* the entry as we wrote it, where a shadow's would still be empty (nothing has used it
     * yet), and not writable there: a store into our table through it would be one the log
     * never saw */
    volatile uint64_t *l1e = ptw_linear_l1e(LINEAR_SLOT, ALIAS_VA(n));
    ASSERT_EQ(*l1e, (mfn(P_ALIAS) << 12) | PTE_FLAGS_RW | GUEST_PTE_USER);
    ASSERT_EQ(probe_write(l1e, 0), 14);
    ((volatile uint64_t *)(uintptr_t)ALIAS_VA(n))[n % 512] = n;
}

void test_main(void)
{
    struct vcpu_register_runstate_memory_area ra = { .addr.v = (void *)(uintptr_t)page(P_RUNAREA) };
    struct vcpu_register_vcpu_info vi = { .mfn = mfn(P_VINFO), .offset = 0 };
    uint64_t n;

    pt_spare_l1(); /* the table the aliases go in */
    traps_install(); /* for the faults of stores through the linear slot */
    mmu_update_t lin = { .ptr = pv_virt_to_mfn((const void *)(uintptr_t)start_info->pt_base) << 12 |
                                LINEAR_SLOT * 8,
                         .val = pv_virt_to_mfn((const void *)(uintptr_t)start_info->pt_base) << 12 |
                                GUEST_PTE_PRESENT | GUEST_PTE_ACCESSED };
    ASSERT_RC(hypervisor_mmu_update(&lin, 1, NULL, DOMID_SELF), 0);
    ASSERT(xs_init());
    for (unsigned int i = 0; i < NR_PAGES; i++)
        for (unsigned int w = 0; w < 512; w++)
            page(i)[w] = 0;
    publish_p2m();
    /* areas the hypervisor keeps writing from now on */
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_register_runstate_memory_area, 0, &ra), 0);
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_register_vcpu_info, 0, &vi), 0);
    /* a writable mapping of our own L1 table would let stores escape: refused */
    ASSERT(hypervisor_update_va_mapping(SPARE_VA + 20 * PAGE_BYTES, (pt_mfn_of(SPARE_L1_PFN) << 12) | PTE_FLAGS_RW,
                                        UVMF_INVLPG) != 0);
    ASSERT(xs_write("data/ready", "1"));
    for (n = 1; n < MAX_ROUNDS; n++) {
        one_round(n);
        if (n % STOP_EVERY == 0 && stop_requested())
            break;
        hypervisor_sched_op(SCHEDOP_yield, NULL);
    }
    guest_printf("rounds: %lu\n", (unsigned long)n);
    ASSERT(n < MAX_ROUNDS);
}
