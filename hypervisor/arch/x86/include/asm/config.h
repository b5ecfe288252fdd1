/* The hypervisor's virtual memory layout and build-wide constants (C and assembly). */
#ifndef ASM_CONFIG_H
#define ASM_CONFIG_H

/*
 * 64-bit PV guests own everything but 0xFFFF800000000000-0xFFFF87FFFFFFFFFF (PML4
 * slots 256-271). The hypervisor lives only there:
 *   slot 256      read-only M2P for guests (planned)
 *   slot 257-260  reserved for per-domain mappings (planned)
 *   slot 261      VMAP area (MMIO, per-CPU GDT windows) and the hypervisor image
 *   slot 262-271  direct map of all RAM (5 TiB)
 */
#define HV_VIRT_START           0xFFFF800000000000
#define HV_VIRT_END             0xFFFF880000000000
#define RO_MPT_VIRT_START       0xFFFF800000000000
#define VMAP_VIRT_START         0xFFFF828000000000
#define VMAP_VIRT_END           0xFFFF82D000000000
#define IMAGE_OFFSET            0xFFFF82D040000000 /* virt - phys of the image */
#define IMAGE_LOAD_PHYS         0x200000
#define IMAGE_VIRT_START        (IMAGE_OFFSET + IMAGE_LOAD_PHYS)
#define DIRECTMAP_VIRT_START    0xFFFF830000000000
#define DIRECTMAP_VIRT_END      0xFFFF880000000000

#define PML4_SLOT(va)           (((va) >> 39) & 511)

/*
 * Each CPU's stack block is STACK_SIZE and aligned to it: pages 0-3 are the IST stacks
 * (NMI, #DF, #MC, #DB), the rest the main stack with struct cpu_info at its top, so per-CPU
 * state is found from any of them.
 */
#define STACK_ORDER             4
#define STACK_SIZE              (4096 << STACK_ORDER)
#define CPU_INFO_SIZE           512
#define IST_STACK_SIZE          4096
#define NR_CPUS                 64

#define TERN_VERSION            "0.1.0"

/* Hypervisor segment selectors, at Xen's reserved GDT offsets (0xe000 up). */
#define RESERVED_GDT_BYTE       0xe000
#define HYPERVISOR_CS           0xe008
#define HYPERVISOR_DS           0xe010
#define HYPERVISOR_CS32         0xe038
#define TSS_SELECTOR            0xe040 /* 16-byte system descriptor */
#define GDT_ENTRIES             8192   /* 16 pages, like a PV guest's GDT */

#endif
