/* Memory reservation and layout: __HYPERVISOR_memory_op(uint cmd, void *arg). */
#ifndef __XEN_PUBLIC_MEMORY_H__
#define __XEN_PUBLIC_MEMORY_H__

#include "xen.h"

/*
 * Commands. Unless noted, arg points to the struct named and the result is
 * 0 or: -EFAULT (bad pointer), -EINVAL (bad field), -ESRCH (unknown domain),
 * -EPERM (foreign domain without privilege), -ENOSYS (unknown command).
 * Bits 6 and up of cmd carry a continuation offset the hypervisor uses to
 * restart long operations; guests pass 0 there.
 */
#define MEMOP_EXTENT_SHIFT 6 /* continuation offset above this bit */
#define MEMOP_CMD_MASK     ((1 << MEMOP_EXTENT_SHIFT) - 1)

/*
 * increase_reservation / decrease_reservation / populate_physmap:
 * arg = xen_memory_reservation. Returns the number of extents done
 * (< nr_extents means partial: out of memory or a bad entry).
 *  increase: allocate nr_extents extents; OUT: their MFNs in extent_start
 *            (may be NULL).
 *  decrease: IN: frames (GMFNs) in extent_start to give back.
 *  populate: IN: PFNs in extent_start to back with memory; OUT: the MFNs
 *            written over them; updates the M2P.
 */
#define XENMEM_increase_reservation 0
#define XENMEM_decrease_reservation 1
#define XENMEM_populate_physmap     6

/* mem_flags */
#define XENMEMF_address_bits(x)     (x)           /* allocate below 2^x */
#define XENMEMF_get_address_bits(x) ((x) & 0xffu)
#define XENMEMF_node(x)             (((x) + 1) << 8)
#define XENMEMF_get_node(x)         ((((x) >> 8) - 1) & 0xffu)
#define XENMEMF_populate_on_demand  (1 << 16)
#define XENMEMF_exact_node_request  (1 << 17)
#define XENMEMF_exact_node(n)       (XENMEMF_node(n) | XENMEMF_exact_node_request)
#define XENMEMF_vnode               (1 << 18)

/* maximum_ram_page: arg unused; returns the highest MFN of RAM. */
#define XENMEM_maximum_ram_page     2
/* current/maximum_reservation: arg = domid_t *; returns pages (>= 0). */
#define XENMEM_current_reservation  3
#define XENMEM_maximum_reservation  4
/* machphys_mfn_list: MFNs backing the M2P table, one per 2 MiB. */
#define XENMEM_machphys_mfn_list    5
/* add_to_physmap: auto-translated guests only; -ENOSYS for PV. */
#define XENMEM_add_to_physmap       7
/* memory_map: the domain's pseudo-physical E820 (set by the toolstack). */
#define XENMEM_memory_map           9
/* machine_memory_map: the host's E820; dom0 only. */
#define XENMEM_machine_memory_map   10
/* exchange: trade frames for others with different constraints. */
#define XENMEM_exchange             11
/* machphys_mapping: where the M2P is mapped and how far it reaches. */
#define XENMEM_machphys_mapping     12
/* set_memory_map: toolstack sets a domain's E820; privileged. */
#define XENMEM_set_memory_map       13
#define XENMEM_maximum_gpfn         14
#define XENMEM_remove_from_physmap  15
#define XENMEM_set_pod_target       16
#define XENMEM_get_pod_target       17
#define XENMEM_get_sharing_freed_pages  18
#define XENMEM_get_sharing_shared_pages 19
#define XENMEM_paging_op            20
#define XENMEM_access_op            21
#define XENMEM_sharing_op           22
#define XENMEM_add_to_physmap_batch 23
#define XENMEM_claim_pages          24
#define XENMEM_machphys_compat_mfn_list 25
#define XENMEM_get_vnumainfo        26
#define XENMEM_reserved_device_memory_map 27
#define XENMEM_acquire_resource     28

/* Spaces for add_to_physmap. */
#define XENMAPSPACE_shared_info  0
#define XENMAPSPACE_grant_table  1
#define XENMAPSPACE_gmfn         2
#define XENMAPSPACE_gmfn_range   3
#define XENMAPSPACE_gmfn_foreign 4
#define XENMAPSPACE_dev_mmio     5
#define XENMAPIDX_grant_table_status 0x80000000U

#ifndef __ASSEMBLER__

struct xen_memory_reservation {
    XEN_GUEST_HANDLE(xen_pfn_t) extent_start; /* IN/OUT, see the command */
    xen_ulong_t nr_extents;   /* IN: number of extents */
    uint32_t extent_order;    /* IN: each extent is 2^order pages */
    uint32_t mem_flags;       /* IN: XENMEMF_* */
    domid_t domid;            /* IN: DOMID_SELF unless privileged */
    uint16_t _pad0[3];
};
typedef struct xen_memory_reservation xen_memory_reservation_t;
XEN_ABI_SIZE(struct xen_memory_reservation, 32);
XEN_ABI_OFFSET(struct xen_memory_reservation, nr_extents, 8);
XEN_ABI_OFFSET(struct xen_memory_reservation, extent_order, 16);
XEN_ABI_OFFSET(struct xen_memory_reservation, mem_flags, 20);
XEN_ABI_OFFSET(struct xen_memory_reservation, domid, 24);

/*
 * exchange: give up `in` extents, receive `out` extents of the same total
 * size. nr_exchanged must be 0 on entry; OUT: extents done. Returns 0 only
 * when all were exchanged.
 */
struct xen_memory_exchange {
    struct xen_memory_reservation in;  /* IN */
    struct xen_memory_reservation out; /* IN/OUT */
    xen_ulong_t nr_exchanged;          /* IN (0) / OUT */
};
typedef struct xen_memory_exchange xen_memory_exchange_t;
XEN_ABI_SIZE(struct xen_memory_exchange, 72);
XEN_ABI_OFFSET(struct xen_memory_exchange, nr_exchanged, 64);

/* Argument of current/maximum_reservation (a bare domid_t works the same). */
struct xen_memory_domain {
    domid_t domid; /* IN */
};
XEN_ABI_SIZE(struct xen_memory_domain, 2);

struct xen_machphys_mfn_list {
    uint32_t max_extents;                     /* IN: room in extent_start */
    uint32_t _pad0;
    XEN_GUEST_HANDLE(xen_pfn_t) extent_start; /* OUT */
    uint32_t nr_extents;                      /* OUT */
    uint32_t _pad1;
};
typedef struct xen_machphys_mfn_list xen_machphys_mfn_list_t;
XEN_ABI_SIZE(struct xen_machphys_mfn_list, 24);
XEN_ABI_OFFSET(struct xen_machphys_mfn_list, nr_extents, 16);

/* machphys_mapping: all OUT (H writes). */
struct xen_machphys_mapping {
    xen_ulong_t v_start, v_end; /* VA range of the M2P */
    xen_ulong_t max_mfn;        /* highest MFN it covers */
};
typedef struct xen_machphys_mapping xen_machphys_mapping_t;
XEN_ABI_SIZE(struct xen_machphys_mapping, 24);

struct xen_add_to_physmap {
    domid_t domid;      /* IN */
    uint16_t size;      /* IN: pages, for XENMAPSPACE_gmfn_range */
    uint32_t space;     /* IN: XENMAPSPACE_* */
    xen_ulong_t idx;    /* IN: index in that space */
    xen_pfn_t gpfn;     /* IN: where it should appear */
};
typedef struct xen_add_to_physmap xen_add_to_physmap_t;
XEN_ABI_SIZE(struct xen_add_to_physmap, 24);

struct xen_remove_from_physmap {
    domid_t domid;      /* IN */
    uint16_t _pad0[3];
    xen_pfn_t gpfn;     /* IN */
};
typedef struct xen_remove_from_physmap xen_remove_from_physmap_t;
XEN_ABI_SIZE(struct xen_remove_from_physmap, 16);

/*
 * memory_map / machine_memory_map: IN nr_entries = room in buffer; OUT
 * nr_entries = entries written. buffer holds struct e820entry records (the
 * BIOS INT 15h E820 layout, 20 bytes, packed). -ENOSYS when the toolstack set
 * no map (the guest then assumes one RAM range of nr_pages).
 */
struct xen_memory_map {
    uint32_t nr_entries;            /* IN/OUT */
    uint32_t _pad0;
    XEN_GUEST_HANDLE(void) buffer;  /* OUT: written by H */
};
typedef struct xen_memory_map xen_memory_map_t;
XEN_ABI_SIZE(struct xen_memory_map, 16);
XEN_ABI_OFFSET(struct xen_memory_map, buffer, 8);

/* set_memory_map: the toolstack gives domain `domid` its E820. */
struct xen_foreign_memory_map {
    domid_t domid;          /* IN */
    uint16_t _pad0[3];
    struct xen_memory_map map; /* IN */
};
typedef struct xen_foreign_memory_map xen_foreign_memory_map_t;
XEN_ABI_SIZE(struct xen_foreign_memory_map, 24);

/* One E820 record. Unaligned by design: the array is packed at 20 bytes. */
#define E820_RAM      1
#define E820_RESERVED 2
#define E820_ACPI     3
#define E820_NVS      4
#define E820_UNUSABLE 5
struct e820entry {
    uint64_t addr; /* start of the range */
    uint64_t size; /* length in bytes */
    uint32_t type; /* E820_* */
} __attribute__((packed));
XEN_ABI_SIZE(struct e820entry, 20);
XEN_ABI_OFFSET(struct e820entry, type, 16);

#endif /* !__ASSEMBLER__ */

#endif /* __XEN_PUBLIC_MEMORY_H__ */
