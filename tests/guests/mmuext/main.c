/* mmuext: pin/unpin at every level, new_baseptr, flushes, invlpg, and what is refused. */
#include "ptwalk.h"

const char test_title[] = "mmuext_op: pin/unpin L1-L4, new_baseptr, TLB flushes, invlpg, mark_super refused";

static uint64_t tables[4][512] __attribute__((aligned(4096))); /* L1, L2, L3, L4 */
static uint64_t l4_copy[512] __attribute__((aligned(4096)));
static uint8_t data[4096] __attribute__((aligned(4096)));

static long ext1(unsigned int cmd, uint64_t arg)
{
    mmuext_op_t op = { .cmd = cmd };

    op.arg1.mfn = arg;
    return hypervisor_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

static uint64_t mfn_of(const void *p)
{
    return pv_virt_to_mfn(p);
}

static void check_pinning(void)
{
    tables[0][0] = mfn_of(data) << 12 | PTE_RW_FLAGS;
    tables[1][0] = mfn_of(tables[0]) << 12 | PTE_RW_FLAGS;
    tables[2][0] = mfn_of(tables[1]) << 12 | PTE_RW_FLAGS;
    tables[3][0] = mfn_of(tables[2]) << 12 | PTE_RW_FLAGS;
    /* while we can write it, it cannot become a page table */
    ASSERT_RC(ext1(MMUEXT_PIN_L1_TABLE, mfn_of(tables[0])), -XEN_EBUSY);
    for (unsigned int i = 0; i < 4; i++)
        ASSERT_RC(pv_set_page_rw(tables[i], false), 0);

    for (unsigned int level = 1; level <= 4; level++) {
        uint64_t mfn = mfn_of(tables[level - 1]);
        ASSERT_RC(ext1(MMUEXT_PIN_L1_TABLE + level - 1, mfn), 0);
        ASSERT_RC(ext1(MMUEXT_PIN_L1_TABLE + level - 1, mfn), -XEN_EINVAL); /* twice */
        /* a pinned table has its type: any other is refused, and so is a writable mapping */
        ASSERT_RC(ext1(level == 1 ? MMUEXT_PIN_L2_TABLE : MMUEXT_PIN_L1_TABLE, mfn), -XEN_EBUSY);
        ASSERT_RC(pv_set_page_rw(tables[level - 1], true), -XEN_EBUSY);
        ASSERT_RC(ext1(MMUEXT_UNPIN_TABLE, mfn), 0);
        ASSERT_RC(ext1(MMUEXT_UNPIN_TABLE, mfn), -XEN_EINVAL); /* not pinned */
    }
    /* pinning the L4 validates the chain below it: the L1 is an L1 now */
    ASSERT_RC(ext1(MMUEXT_PIN_L4_TABLE, mfn_of(tables[3])), 0);
    ASSERT_RC(ext1(MMUEXT_PIN_L2_TABLE, mfn_of(tables[0])), -XEN_EBUSY);
    ASSERT_RC(ext1(MMUEXT_UNPIN_TABLE, mfn_of(tables[3])), 0);
    /* all types dropped: the pages can be written again */
    for (unsigned int i = 0; i < 4; i++)
        ASSERT_RC(pv_set_page_rw(tables[i], true), 0);
    tables[0][1] = 0;

    /* refused: other domains' frames, frames beyond the machine, a level-0 pin */
    ASSERT_RC(ext1(MMUEXT_PIN_L1_TABLE, 0), -XEN_EPERM);
    ASSERT_RC(ext1(MMUEXT_PIN_L4_TABLE, 0xffffffffffULL), -XEN_EPERM);
    ASSERT_RC(ext1(MMUEXT_UNPIN_TABLE, 0), -XEN_EPERM);
}

static void check_baseptr(void)
{
    const uint64_t *l4 = (const uint64_t *)(uintptr_t)start_info->pt_base;
    uint64_t old = mfn_of(l4);
    volatile uint64_t probe = 0x1234;

    /* a copy of our L4 (guest half; the hypervisor fills its own slots) */
    for (unsigned int i = 0; i < 256; i++)
        l4_copy[i] = l4[i];
    for (unsigned int i = 272; i < 512; i++)
        l4_copy[i] = l4[i];
    ASSERT_RC(pv_set_page_rw(l4_copy, false), 0);
    ASSERT_RC(ext1(MMUEXT_PIN_L4_TABLE, mfn_of(l4_copy)), 0);
    ASSERT_RC(ext1(MMUEXT_NEW_BASEPTR, mfn_of(l4_copy)), 0);
    /* still running, same memory; the copy got the hypervisor slots */
    ASSERT_EQ(probe, 0x1234);
    ASSERT_EQ(l4_copy[256], l4[256]);
    ASSERT_RC(ext1(MMUEXT_UNPIN_TABLE, mfn_of(l4_copy)), 0); /* in use as CR3: still typed */
    ASSERT_RC(pv_set_page_rw(l4_copy, true), -XEN_EBUSY);
    ASSERT_RC(ext1(MMUEXT_NEW_BASEPTR, old), 0);
    ASSERT_RC(pv_set_page_rw(l4_copy, true), 0);

    ASSERT_RC(ext1(MMUEXT_NEW_BASEPTR, mfn_of(data)), -XEN_EBUSY); /* writable data page */
    ASSERT_RC(ext1(MMUEXT_NEW_BASEPTR, 0), -XEN_EPERM);
    ASSERT_RC(ext1(MMUEXT_NEW_USER_BASEPTR, mfn_of(data)), -XEN_EBUSY);
}

static void check_flushes(void)
{
    mmuext_op_t ops[4];
    unsigned int done = 99;

    ASSERT_RC(ext1(MMUEXT_TLB_FLUSH_LOCAL, 0), 0);
    ASSERT_RC(ext1(MMUEXT_TLB_FLUSH_ALL, 0), 0);
    memset(ops, 0, sizeof(ops));
    ops[0].cmd = MMUEXT_INVLPG_LOCAL;
    ops[0].arg1.linear_addr = (uint64_t)(uintptr_t)data;
    ops[1].cmd = MMUEXT_INVLPG_ALL;
    ops[1].arg1.linear_addr = (uint64_t)(uintptr_t)data;
    ops[2].cmd = MMUEXT_MARK_SUPER;
    ops[3].cmd = MMUEXT_TLB_FLUSH_LOCAL;
    ASSERT_RC(hypervisor_mmuext_op(ops, 4, &done, DOMID_SELF), -XEN_EOPNOTSUPP);
    ASSERT_EQ(done, 2);
    ops[0].arg1.linear_addr = 0xffff830000000000ULL;
    ASSERT_RC(hypervisor_mmuext_op(ops, 1, &done, DOMID_SELF), -XEN_EINVAL);
    ASSERT_EQ(done, 0);
    ASSERT_RC(ext1(MMUEXT_UNMARK_SUPER, 0), -XEN_EOPNOTSUPP);
    ASSERT_RC(ext1(99, 0), -XEN_ENOSYS);
    ASSERT_RC(hypervisor_mmuext_op(ops, 1, NULL, 0), -XEN_EPERM);
    ASSERT_RC(hypervisor_mmuext_op(ops, 100000, NULL, DOMID_SELF), -XEN_EINVAL);
    ASSERT_RC(hypervisor_mmuext_op((void *)0xffff830000000000ULL, 1, NULL, DOMID_SELF), -XEN_EFAULT);
}

void test_main(void)
{
    check_pinning();
    check_baseptr();
    check_flushes();
}
