/*
 * bench_gnttab: the cost of grant mappings as a backend makes them (a batch of maps, each
 * page read once, a batch of unmaps), beside mapping the same frames with a batched
 * mmu_update and clearing them again, in the same run. The guest maps its own grants.
 */
#include "bench.h"
#include "gnttab.h"

const char test_title[] = "grant map/unmap throughput";

#define N 32                                          /* a blkback request's worth */
#define TABLE_VA SPARE_VA
#define MAP_VA(i) (SPARE_VA + (16ULL + (i)) * PAGE_BYTES)
#define PAGE_PFN(i) (770ULL + (i))

static struct gnttab_map_grant_ref maps[N];
static struct gnttab_unmap_grant_ref unmaps[N];
static mmu_update_t reqs[N];

static uint64_t touch_all(void)
{
    uint64_t sum = 0;

    for (unsigned int i = 0; i < N; i++)
        sum += *(volatile uint64_t *)(uintptr_t)MAP_VA(i);
    return sum;
}

void test_main(void)
{
    uint64_t rounds = bench_arg("rounds", 100), expect = 0, t0, t1, t2, t3;
    uint64_t map_ns = 0, unmap_ns = 0;
    volatile uint64_t *l1 = pt_spare_l1();
    volatile struct grant_entry_v1 *gt = gnttab_map_own_table(1, TABLE_VA);
    domid_t me = gnttab_own_domid();

    ASSERT(gt != NULL);
    pv_map_shared_info();
    for (unsigned int i = 0; i < N; i++) {
        *(volatile uint64_t *)pt_va_of_pfn(PAGE_PFN(i)) = 0x1000 + i;
        expect += 0x1000 + i;
        gnttab_grant(&gt[16 + i], me, pt_mfn_of(PAGE_PFN(i)), false);
    }
    for (uint64_t r = 0; r < rounds; r++) {
        for (unsigned int i = 0; i < N; i++)
            maps[i] = (struct gnttab_map_grant_ref){ .host_addr = MAP_VA(i), .flags = GNTMAP_host_map,
                                                     .ref = 16 + i, .dom = me };
        t0 = pv_now();
        ASSERT_EQ(gnttab_op(GNTTABOP_map_grant_ref, maps, N), 0);
        t1 = pv_now();
        for (unsigned int i = 0; i < N; i++) {
            ASSERT_EQ(maps[i].status, GNTST_okay);
            unmaps[i] = (struct gnttab_unmap_grant_ref){ .host_addr = MAP_VA(i), .handle = maps[i].handle };
        }
        ASSERT_EQ(touch_all(), expect);
        t2 = pv_now();
        ASSERT_EQ(gnttab_op(GNTTABOP_unmap_grant_ref, unmaps, N), 0);
        t3 = pv_now();
        for (unsigned int i = 0; i < N; i++) {
            ASSERT_EQ(unmaps[i].status, GNTST_okay);
            ASSERT_EQ(l1[16 + i], 0);
        }
        for (unsigned int i = 0; i < N; i++)
            ASSERT_EQ(gt[16 + i].flags, GTF_permit_access); /* released */
        map_ns += t1 - t0;
        unmap_ns += t3 - t2;
    }
    /* the reference: the same frames mapped and cleared by the guest's own page-table updates */
    uint64_t own_map = 0, own_unmap = 0, l1_ma = pt_mfn_of(SPARE_L1_PFN) << 12;
    for (uint64_t r = 0; r < rounds; r++) {
        for (unsigned int i = 0; i < N; i++)
            reqs[i] = (mmu_update_t){ l1_ma + (16 + i) * 8, (pt_mfn_of(PAGE_PFN(i)) << 12) | PTE_FLAGS_RW };
        t0 = pv_now();
        ASSERT_EQ(hypervisor_mmu_update(reqs, N, NULL, DOMID_SELF), 0);
        t1 = pv_now();
        ASSERT_EQ(touch_all(), expect);
        for (unsigned int i = 0; i < N; i++)
            reqs[i].val = 0;
        t2 = pv_now();
        ASSERT_EQ(hypervisor_mmu_update(reqs, N, NULL, DOMID_SELF), 0);
        mmuext_op_t flush = { .cmd = MMUEXT_TLB_FLUSH_LOCAL };
        ASSERT_EQ(hypervisor_mmuext_op(&flush, 1, NULL, DOMID_SELF), 0); /* what a grant unmap does for us */
        t3 = pv_now();
        own_map += t1 - t0;
        own_unmap += t3 - t2;
    }
    bench_report("grant_map_ns", map_ns * 1000 / (rounds * N), "ns");
    bench_report("grant_unmap_ns", unmap_ns * 1000 / (rounds * N), "ns");
    bench_report("pte_map_ns", own_map * 1000 / (rounds * N), "ns");
    bench_report("pte_unmap_ns", own_unmap * 1000 / (rounds * N), "ns");
}
