/*
 * bench_mmu: page-table update throughput — batched mmu_update of 512 L1 entries,
 * single update_va_mapping calls, and emulated (writable page table) stores — beside
 * plain stores to ordinary memory in the same run.
 */
#include "bench.h"
#include "pt.h"

const char test_title[] = "page-table update throughput";

static mmu_update_t reqs[512];
static uint64_t plain[512];

void test_main(void)
{
    uint64_t rounds = bench_arg("rounds", 200), t0, t1, t2, t3, t4;
    volatile uint64_t *l1 = pt_spare_l1();
    uint64_t l1_ma = pt_mfn_of(SPARE_L1_PFN) << 12, data = pt_mfn_of(SPARE_DATA_PFN) << 12;

    pv_map_shared_info();
    t0 = pv_now();
    for (uint64_t r = 0; r < rounds; r++) {
        for (unsigned int i = 0; i < 512; i++) {
            reqs[i].ptr = l1_ma + i * 8;
            reqs[i].val = (r & 1) ? 0 : data | PTE_FLAGS_RW;
        }
        ASSERT_EQ(hypervisor_mmu_update(reqs, 512, NULL, DOMID_SELF), 0);
    }
    t1 = pv_now();
    for (uint64_t r = 0; r < rounds / 8 + 1; r++)
        for (unsigned int i = 0; i < 512; i++)
            hypervisor_update_va_mapping(SPARE_VA + i * PAGE_BYTES, (r & 1) ? 0 : data | PTE_FLAGS_RW, 0);
    t2 = pv_now();
    ASSERT_EQ(hypercall2(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_writable_pagetables), 0);
    for (uint64_t r = 0; r < rounds / 8 + 1; r++)
        for (unsigned int i = 0; i < 512; i++)
            l1[i] = (r & 1) ? 0 : data | PTE_FLAGS_RW;
    t3 = pv_now();
    for (uint64_t r = 0; r < rounds * 100; r++)
        for (unsigned int i = 0; i < 512; i++)
            ((volatile uint64_t *)plain)[i] = r + i;
    t4 = pv_now();
    bench_report("mmu_update_batched_ns_per_entry", (t1 - t0) * 1000 / (rounds * 512), "ns");
    bench_report("update_va_mapping_ns", (t2 - t1) * 1000 / ((rounds / 8 + 1) * 512), "ns");
    bench_report("ptwr_emulated_store_ns", (t3 - t2) * 1000 / ((rounds / 8 + 1) * 512), "ns");
    bench_report("plain_store_ns", (t4 - t3) * 1000 / (rounds * 100 * 512), "ns");
}
