/*
 * ptwr: with VMASST_TYPE_writable_pagetables the guest writes its own (read-only) L1
 * table with ordinary instructions — mov, xchg, cmpxchg, btr — and the hypervisor
 * emulates each write after validating the new entry.
 */
#include "pt.h"

const char test_title[] = "writable page tables: emulated writes to an L1";

void test_main(void)
{
    volatile uint64_t *l1 = pt_spare_l1();
    volatile uint64_t *data = pt_va_of_pfn(SPARE_DATA_PFN);
    volatile uint64_t *alias0 = (volatile uint64_t *)(uintptr_t)SPARE_VA;
    volatile uint64_t *alias1 = (volatile uint64_t *)(uintptr_t)(SPARE_VA + PAGE_BYTES);
    uint64_t data_pte = (pt_mfn_of(SPARE_DATA_PFN) << 12) | PTE_FLAGS_RW, old;
    uint8_t zf;

    ASSERT_EQ(hypercall2(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_writable_pagetables), 0);

    /* mov: map the data frame at SPARE_VA */
    data[0] = 0x5eed;
    l1[0] = data_pte;
    ASSERT_EQ(alias0[0], 0x5eed);

    /* xchg: a second alias, returning the old (empty) entry */
    old = data_pte;
    asm volatile("xchg %0, %1" : "+r"(old), "+m"(l1[1]) : : "memory");
    ASSERT_EQ(old, 0);
    ASSERT_EQ(alias1[0], 0x5eed);

    /* cmpxchg: fails on a wrong expectation (and reports the current value), then succeeds */
    old = 0;
    asm volatile("lock cmpxchg %3, %1; sete %2" : "+a"(old), "+m"(l1[1]), "=r"(zf) : "r"(0ULL) : "memory");
    ASSERT_EQ(zf, 0);
    ASSERT_EQ(old, data_pte | GUEST_PTE_USER);
    asm volatile("lock cmpxchg %3, %1; sete %2" : "+a"(old), "+m"(l1[1]), "=r"(zf) : "r"(0ULL) : "memory");
    ASSERT_EQ(zf, 1);
    ASSERT_EQ(l1[1], 0);

    /* btr: clear the dirty bit, as Linux's PTE bit helpers do */
    asm volatile("lock btrq $6, %0" : "+m"(l1[0]) : : "memory");
    ASSERT_EQ(l1[0] & GUEST_PTE_DIRTY, 0);
    ASSERT_EQ(alias0[0], 0x5eed);

    ASSERT_EQ(hypervisor_update_va_mapping(SPARE_VA, 0, UVMF_INVLPG), 0);
    ASSERT_EQ(l1[0], 0);
    guest_printf("ptwr: mov, xchg, cmpxchg and btr emulated\n");
}
