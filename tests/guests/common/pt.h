/* Helpers for guests that build page tables of their own. */
#ifndef GUEST_PT_H
#define GUEST_PT_H

#include "test.h"

#define PAGE_BYTES 4096ULL
#define PTE_FLAGS_RW (GUEST_PTE_PRESENT | GUEST_PTE_RW | GUEST_PTE_ACCESSED | GUEST_PTE_DIRTY)
#define SPARE_L1_PFN 768        /* 3 MiB into the bootstrap window: mapped, unused */
#define SPARE_DATA_PFN 769
#define SPARE_VA (GUEST_VIRT_BASE + (8ULL << 20)) /* L2 slot 4: nothing mapped there */

uint64_t pt_mfn_of(uint64_t pfn);
uint64_t pt_pfn_of(uint64_t mfn);
void *pt_va_of_pfn(uint64_t pfn);
/* Makes SPARE_L1_PFN a read-only, pinned L1 mapping SPARE_VA's 2 MiB; returns its view. */
volatile uint64_t *pt_spare_l1(void);

#endif
