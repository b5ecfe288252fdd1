/* mmu_update and update_va_mapping: PT updates that take effect, preserve_ad, flush flags, refusals. */
#include "ptwalk.h"

const char test_title[] = "mmu_update (normal, preserve_ad), update_va_mapping flush flags, refusals";

static uint8_t target[4096] __attribute__((aligned(4096)));
static uint8_t window[4096] __attribute__((aligned(4096)));

static long update(uint64_t table_mfn, unsigned int index, uint64_t val, unsigned int cmd,
                   unsigned int *done)
{
    mmu_update_t u = { .ptr = table_mfn << 12 | index * 8 | cmd, .val = val };

    return hypervisor_mmu_update(&u, 1, done, DOMID_SELF);
}

static void invlpg(const void *va)
{
    mmuext_op_t op = { .cmd = MMUEXT_INVLPG_LOCAL, .arg1.linear_addr = (uint64_t)(uintptr_t)va };

    ASSERT_RC(hypervisor_mmuext_op(&op, 1, NULL, DOMID_SELF), 0);
}

static void check_normal_update(const uint64_t *l1, uint64_t l1_mfn, unsigned int idx)
{
    uint64_t flags_nad = GUEST_PTE_PRESENT | GUEST_PTE_RW;
    unsigned int done = 77;

    /* window becomes an alias of target */
    ASSERT_RC(update(l1_mfn, idx, pv_virt_to_mfn(target) << 12 | flags_nad, MMU_NORMAL_PT_UPDATE, &done), 0);
    ASSERT_EQ(done, 1);
    invlpg(window);
    ((volatile uint8_t *)target)[10] = 0x42;
    ASSERT_EQ(((volatile uint8_t *)window)[10], 0x42);
    /* the access set A and D in the entry, which the guest sees through its read-only view */
    ((volatile uint8_t *)window)[11] = 1;
    ASSERT_EQ(l1[idx] & (GUEST_PTE_ACCESSED | GUEST_PTE_DIRTY), GUEST_PTE_ACCESSED | GUEST_PTE_DIRTY);
    ASSERT_EQ(l1[idx] & PTE_ADDR, pv_virt_to_mfn(target) << 12);
    /* preserve_ad keeps them; a normal update does not */
    ASSERT_RC(update(l1_mfn, idx, pv_virt_to_mfn(target) << 12 | flags_nad, MMU_PT_UPDATE_PRESERVE_AD, NULL), 0);
    ASSERT_EQ(l1[idx] & (GUEST_PTE_ACCESSED | GUEST_PTE_DIRTY), GUEST_PTE_ACCESSED | GUEST_PTE_DIRTY);
    ASSERT_RC(update(l1_mfn, idx, pv_virt_to_mfn(target) << 12 | flags_nad, MMU_NORMAL_PT_UPDATE, NULL), 0);
    ASSERT_EQ(l1[idx] & (GUEST_PTE_ACCESSED | GUEST_PTE_DIRTY), 0);
    /* and back to its own frame */
    ASSERT_RC(update(l1_mfn, idx, pv_virt_to_mfn(window) << 12 | PTE_RW_FLAGS, MMU_NORMAL_PT_UPDATE, NULL), 0);
    invlpg(window);
    ASSERT_EQ(((volatile uint8_t *)window)[10], 0);
}

static void check_update_refusals(uint64_t l1_mfn, unsigned int idx)
{
    mmu_update_t batch[3];
    unsigned int done = 77;
    uint64_t l4_mfn = pv_virt_to_mfn((void *)(uintptr_t)start_info->pt_base);

    ASSERT_RC(update(l1_mfn, idx, 0, 3, NULL), -XEN_ENOSYS);
    /* the L1 itself, writable: a page table can never be mapped writable */
    ASSERT_RC(update(l1_mfn, idx, l1_mfn << 12 | PTE_RW_FLAGS, MMU_NORMAL_PT_UPDATE, NULL), -XEN_EBUSY);
    /* a hypervisor slot of the L4 */
    ASSERT_RC(update(l4_mfn, 256, 0, MMU_NORMAL_PT_UPDATE, NULL), -XEN_EPERM);
    /* cache-control bits; a frame beyond the machine is nobody's */
    ASSERT_RC(update(l1_mfn, idx, pv_virt_to_mfn(target) << 12 | PTE_RW_FLAGS | 0x18, MMU_NORMAL_PT_UPDATE, NULL), -XEN_EINVAL);
    ASSERT_RC(update(l1_mfn, idx, 0x000ffffffffff000ULL | PTE_RW_FLAGS, MMU_NORMAL_PT_UPDATE, NULL), -XEN_EPERM);
    /* a misaligned entry address */
    mmu_update_t u = { .ptr = l1_mfn << 12 | 4, .val = 0 };
    ASSERT_RC(hypervisor_mmu_update(&u, 1, NULL, DOMID_SELF), -XEN_EINVAL);
    /* batches stop at the first failure and report how far they got */
    batch[0].ptr = l1_mfn << 12 | idx * 8;
    batch[0].val = pv_virt_to_mfn(window) << 12 | PTE_RW_FLAGS;
    batch[1].ptr = l1_mfn << 12 | idx * 8;
    batch[1].val = l1_mfn << 12 | PTE_RW_FLAGS;
    batch[2] = batch[0];
    ASSERT_RC(hypervisor_mmu_update(batch, 3, &done, DOMID_SELF), -XEN_EBUSY);
    ASSERT_EQ(done, 1);
    ASSERT_RC(hypervisor_mmu_update(batch, 1, NULL, 0), -XEN_EPERM); /* foreign domain */
    ASSERT_RC(hypervisor_mmu_update((void *)0xffff830000000000ULL, 1, NULL, DOMID_SELF), -XEN_EFAULT);
    ASSERT_RC(hypervisor_mmu_update(batch, 1, (unsigned int *)0xffff830000000000ULL, DOMID_SELF), -XEN_EFAULT);
}

static void check_update_va_mapping(void)
{
    uint64_t va = (uint64_t)(uintptr_t)window;
    uint64_t own = pv_virt_to_mfn(window) << 12 | PTE_RW_FLAGS;

    ASSERT_RC(hypervisor_update_va_mapping(va, pv_virt_to_mfn(target) << 12 | PTE_RW_FLAGS, UVMF_INVLPG), 0);
    ((volatile uint8_t *)target)[20] = 0x99;
    ASSERT_EQ(((volatile uint8_t *)window)[20], 0x99);
    ASSERT_RC(hypervisor_update_va_mapping(va, own, UVMF_TLB_FLUSH), 0);
    ASSERT_EQ(((volatile uint8_t *)window)[20], 0);
    ASSERT_RC(hypervisor_update_va_mapping(va, own, UVMF_NONE), 0);
    ASSERT_RC(hypervisor_update_va_mapping(va, own, UVMF_INVLPG | UVMF_ALL), 0);
    ASSERT_RC(hypervisor_update_va_mapping(va, own, 3), -XEN_EINVAL);
    ASSERT_RC(hypervisor_update_va_mapping(0x1000, own, UVMF_INVLPG), -XEN_EINVAL); /* no L1 there */
    ASSERT_RC(hypervisor_update_va_mapping(0xffff830000000000ULL, own, UVMF_INVLPG), -XEN_EINVAL);
    ASSERT_RC(hypervisor_update_va_mapping(0x0000800000000000ULL, own, UVMF_INVLPG), -XEN_EINVAL);
    ASSERT_RC(hypervisor_update_va_mapping(va, start_info->pt_base - GUEST_VIRT_BASE + 0, UVMF_INVLPG), 0); /* not present: any value */
    ASSERT_RC(hypervisor_update_va_mapping(va, own, UVMF_INVLPG), 0);
    ((volatile uint8_t *)window)[0] = 1;
}

void test_main(void)
{
    uint64_t l1_mfn = 0;
    const uint64_t *l1 = ptw_l1_for((uint64_t)(uintptr_t)window, &l1_mfn);

    if (!l1)
        test_error("cannot walk the bootstrap page tables");
    check_normal_update(l1, l1_mfn, ptw_index((uint64_t)(uintptr_t)window, 1));
    check_update_refusals(l1_mfn, ptw_index((uint64_t)(uintptr_t)window, 1));
    check_update_va_mapping();
}
