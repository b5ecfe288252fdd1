/* Walking the bootstrap page tables (mapped read-only) from a test guest. */
#ifndef GUEST_PTWALK_H
#define GUEST_PTWALK_H

#include "pv.h"

/* The L1 table (read-only view) mapping va in the bootstrap tables, and its MFN. */
static inline const uint64_t *ptw_l1_for(uint64_t va, uint64_t *l1_mfn)
{
    const uint64_t *t = (const uint64_t *)(uintptr_t)start_info->pt_base;

    for (int level = 4; level > 1; level--) {
        uint64_t e = t[(va >> (12 + 9 * (level - 1))) & 511];
        if (!(e & GUEST_PTE_PRESENT))
            return NULL;
        t = pv_mfn_to_virt((e & PTE_ADDR) >> 12);
        if (!t)
            return NULL;
        if (level == 2)
            *l1_mfn = (e & PTE_ADDR) >> 12;
    }
    return t;
}

/* Where a read-only self-map in L4 slot `slot` (below 256) shows va's L1 entry: each
 * index moves down one level. */
static inline volatile uint64_t *ptw_linear_l1e(uint64_t slot, uint64_t va)
{
    return (volatile uint64_t *)(uintptr_t)(slot << 39 | ((va >> 9) & 0x7ffffffff8ULL));
}

static inline unsigned int ptw_index(uint64_t va, int level)
{
    return (unsigned int)(va >> (12 + 9 * (level - 1))) & 511;
}

#endif
