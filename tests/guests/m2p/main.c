/* m2p: the read-only M2P at XENMEM_machphys_mapping maps our frames to our PFNs; writes fault. */
#include "pv.h"

const char test_title[] = "machphys_mapping, reading the read-only M2P, MMU_MACHPHYS_UPDATE, writes fault";

void test_main(void)
{
    struct xen_machphys_mapping m;
    const volatile uint64_t *m2p;
    mmu_update_t u;
    unsigned int done = 99;
    uint64_t mfn, v;

    traps_install();
    ASSERT_RC(hypervisor_memory_op(XENMEM_machphys_mapping, &m), 0);
    ASSERT_EQ(m.v_start, 0xffff800000000000ULL);
    ASSERT_EQ(m.v_end - m.v_start, (m.max_mfn + 1) * 8);
    ASSERT_EQ(hypervisor_memory_op(XENMEM_maximum_ram_page, NULL), (long)m.max_mfn);
    ASSERT_RC(hypervisor_memory_op(XENMEM_machphys_mapping, (void *)0xffff830000000000ULL), -XEN_EFAULT);
    m2p = (const volatile uint64_t *)(uintptr_t)m.v_start;
    for (uint64_t pfn = 0; pfn < start_info->nr_pages; pfn++) {
        mfn = pv_pfn_to_mfn(pfn);
        if (mfn > m.max_mfn || m2p[mfn] != pfn) {
            test_fail("M2P[%#llx] is not pfn %#llx", (unsigned long long)mfn, (unsigned long long)pfn);
            break;
        }
    }
    /* read-only: a write faults (present, write) and changes nothing */
    mfn = pv_pfn_to_mfn(5);
    ASSERT_EQ(probe_write((volatile void *)&m2p[mfn], 1234), 14);
    ASSERT_EQ(last_trap.error & 3, 3);
    ASSERT_EQ(last_trap.cr2, (uint64_t)(uintptr_t)&m2p[mfn]);
    ASSERT_EQ(m2p[mfn], 5);

    /* MMU_MACHPHYS_UPDATE: our own frame, then back */
    u.ptr = mfn << 12 | MMU_MACHPHYS_UPDATE;
    u.val = 0x777;
    ASSERT_RC(hypervisor_mmu_update(&u, 1, &done, DOMID_SELF), 0);
    ASSERT_EQ(done, 1);
    ASSERT_EQ(m2p[mfn], 0x777);
    u.val = 5;
    ASSERT_RC(hypervisor_mmu_update(&u, 1, NULL, DOMID_SELF), 0);
    ASSERT_EQ(m2p[mfn], 5);
    /* a frame that is not ours is refused */
    for (uint64_t f = 0; f <= m.max_mfn; f++) {
        if (m2p[f] != ~0ULL && !pv_mfn_to_virt(f)) {
            u.ptr = f << 12 | MMU_MACHPHYS_UPDATE;
            ASSERT_RC(hypervisor_mmu_update(&u, 1, &done, DOMID_SELF), -XEN_EPERM);
            ASSERT_EQ(done, 0);
            break;
        }
    }
    u.ptr = (m.max_mfn + 1000) << 12 | MMU_MACHPHYS_UPDATE;
    ASSERT_RC(hypervisor_mmu_update(&u, 1, NULL, DOMID_SELF), -XEN_EPERM);
    ASSERT_EQ(probe_read(&m2p[0], &v), 0);
}
