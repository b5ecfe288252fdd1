/* Page-table entry bits and address conversions. */
#ifndef ASM_PAGE_H
#define ASM_PAGE_H

#include <asm/config.h>
#include <tern/types.h>

#define _PAGE_PRESENT   (1ul << 0)
#define _PAGE_RW        (1ul << 1)
#define _PAGE_USER      (1ul << 2)
#define _PAGE_PWT       (1ul << 3)
#define _PAGE_PCD       (1ul << 4)
#define _PAGE_ACCESSED  (1ul << 5)
#define _PAGE_DIRTY     (1ul << 6)
#define _PAGE_PSE       (1ul << 7)
#define _PAGE_GLOBAL    (1ul << 8)
#define _PAGE_NX        (1ul << 63)
#define PTE_ADDR_MASK   0x000ffffffffff000ul

/* Mapping flavours for map_pages(). */
#define PAGE_HYPERVISOR_RW   (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_NX)
#define PAGE_HYPERVISOR_RO   (_PAGE_PRESENT | _PAGE_ACCESSED | _PAGE_NX)
#define PAGE_HYPERVISOR_RX   (_PAGE_PRESENT | _PAGE_ACCESSED)
#define PAGE_HYPERVISOR_UC   (PAGE_HYPERVISOR_RW | _PAGE_PCD | _PAGE_PWT)

#define L1_INDEX(va)    (((va) >> 12) & 511)
#define L2_INDEX(va)    (((va) >> 21) & 511)
#define L3_INDEX(va)    (((va) >> 30) & 511)
#define L4_INDEX(va)    (((va) >> 39) & 511)

#define __va(pa)        ((void *)((unsigned long)(pa) + DIRECTMAP_VIRT_START))
#define __pa(va)        virt_to_phys((const void *)(va))

static inline paddr_t virt_to_phys(const void *va)
{
    unsigned long v = (unsigned long)va;
    if (v >= DIRECTMAP_VIRT_START && v < DIRECTMAP_VIRT_END)
        return v - DIRECTMAP_VIRT_START;
    return v - IMAGE_OFFSET; /* an image address */
}

#endif
