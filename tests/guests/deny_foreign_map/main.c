/*
 * deny_foreign_map: try to map frames that are not ours (other domains' and the
 * hypervisor's) every way there is; each attempt is refused and we carry on.
 */
#include "ptwalk.h"

const char test_title[] = "mapping another domain's or the hypervisor's frames is refused";

static uint8_t window[4096] __attribute__((aligned(4096)));

static void try_frame(uint64_t mfn, uint64_t l1_mfn, unsigned int idx)
{
    mmu_update_t u = { .ptr = l1_mfn << 12 | idx * 8, .val = mfn << 12 | PTE_RO_FLAGS };
    uint64_t va = (uint64_t)(uintptr_t)window;

    ASSERT_RC(hypervisor_mmu_update(&u, 1, NULL, DOMID_SELF), -XEN_EPERM);
    u.val = mfn << 12 | PTE_RW_FLAGS;
    ASSERT_RC(hypervisor_mmu_update(&u, 1, NULL, DOMID_SELF), -XEN_EPERM);
    ASSERT_RC(hypervisor_update_va_mapping(va, mfn << 12 | PTE_RO_FLAGS, UVMF_INVLPG), -XEN_EPERM);
    /* the frame as a page table to update, pin or load */
    u.ptr = mfn << 12;
    u.val = 0;
    ASSERT_RC(hypervisor_mmu_update(&u, 1, NULL, DOMID_SELF), -XEN_EPERM);
    u.ptr = mfn << 12 | MMU_MACHPHYS_UPDATE;
    ASSERT_RC(hypervisor_mmu_update(&u, 1, NULL, DOMID_SELF), -XEN_EPERM);
    mmuext_op_t op = { .cmd = MMUEXT_PIN_L1_TABLE, .arg1.mfn = mfn };
    ASSERT_RC(hypervisor_mmuext_op(&op, 1, NULL, DOMID_SELF), -XEN_EPERM);
    op.cmd = MMUEXT_NEW_BASEPTR;
    ASSERT_RC(hypervisor_mmuext_op(&op, 1, NULL, DOMID_SELF), -XEN_EPERM);
}

void test_main(void)
{
    struct xen_machphys_mapping m;
    const uint64_t *m2p;
    uint64_t l1_mfn = 0, tried_foreign = 0, tried_xen = 0;
    const uint64_t *l1 = ptw_l1_for((uint64_t)(uintptr_t)window, &l1_mfn);
    unsigned int idx = ptw_index((uint64_t)(uintptr_t)window, 1);
    mmu_update_t u;

    if (!l1)
        test_error("cannot walk the bootstrap page tables");
    ASSERT_RC(hypervisor_memory_op(XENMEM_machphys_mapping, &m), 0);
    m2p = (const uint64_t *)(uintptr_t)m.v_start;
    /* frames other domains own have PFNs in the M2P that are not ours */
    for (uint64_t f = 0; f <= m.max_mfn && tried_foreign < 16; f++) {
        if (m2p[f] == ~0ULL || pv_mfn_to_virt(f))
            continue;
        try_frame(f, l1_mfn, idx);
        tried_foreign++;
        f += 97; /* spread over several domains */
    }
    /* the hypervisor's image (2 MiB up), low memory and the top of RAM */
    static const uint64_t xen_frames[] = { 0, 1, 0x9f, 0x200, 0x201, 0x300 };
    for (unsigned int i = 0; i < ARRAY_SIZE(xen_frames); i++, tried_xen++)
        try_frame(xen_frames[i], l1_mfn, idx);
    try_frame(m.max_mfn, l1_mfn, idx);
    /* updates on another domain's behalf */
    u.ptr = l1_mfn << 12 | idx * 8;
    u.val = pv_virt_to_mfn(window) << 12 | PTE_RW_FLAGS;
    for (unsigned int d = 0; d < 4; d++)
        ASSERT_RC(hypervisor_mmu_update(&u, 1, NULL, d == pv_domid() ? 0x7ff1 : d), -XEN_EPERM);
    guest_printf("deny_foreign_map: %llu foreign and %llu hypervisor frames refused\n",
                 (unsigned long long)tried_foreign, (unsigned long long)tried_xen);
    /* our own mapping is untouched and works */
    ASSERT_EQ(l1[idx] & PTE_ADDR, pv_virt_to_mfn(window) << 12);
    ((volatile uint8_t *)window)[0] = 1;
}
