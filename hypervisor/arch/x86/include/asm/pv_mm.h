/* PV guest page tables: validation, updates and pinning (arch/x86/pv/ptvalidate.c). */
#ifndef ASM_PV_MM_H
#define ASM_PV_MM_H

#include <tern/types.h>
#include <tern/page.h>

/*
 * Errors, one meaning each:
 *   -EINVAL     bad argument (level, index), disallowed PTE bits, an address
 *               beyond the machine, pinning a pinned table or unpinning an
 *               unpinned one
 *   -EPERM      the frame is not RAM owned by the domain (and no foreign
 *               mapping was allowed), or a write to a hypervisor L4 slot
 *   -EBUSY      the frame is in use with a conflicting type (e.g. a page
 *               table mapped writable, an L2 entry naming a writable page)
 *   -EOVERFLOW  a reference count is saturated
 *   -EAGAIN     an entry kept changing under pv_mod_entry; try again
 * All calls leave every count and entry unchanged when they fail.
 */

#define PV_PT_ENTRIES 512U
/* L4 slots 256..271 (0xFFFF800000000000 up) belong to the hypervisor. */
#define PV_L4_XEN_FIRST 256U
#define PV_L4_XEN_SLOTS 16U

#define PV_PAGE_PAT_L1 (1ULL << 7)   /* PAT in an L1 entry; PSE above L1 */
#define PV_PAGE_AVAIL (7ULL << 9)    /* bits 9-11: the guest's own use */
#define PV_PAGE_AVAIL_HIGH (0x7FFULL << 52) /* bits 52-62: the guest's own use */
#define PV_PTE_ADDR_MASK 0x000FFFFFFFFFF000ULL

#define PV_MFN_NONE (~(mfn_t)0)
/* WB WT UC- UC WC WP UC UC: Xen's PAT, which PV guests expect and every CPU runs with. */
#define PV_GUEST_PAT 0x0000050100070406ULL
#define PV_PAGE_CACHE_BITS (_PAGE_PWT | _PAGE_PCD | PV_PAGE_PAT_L1)

struct pv_mm_ops {
    /* A hypervisor pointer to the 4 KiB frame's contents, and its release.
     * Both required. */
    void *(*map_frame)(mfn_t mfn);
    void (*unmap_frame)(void *va);
    /* May `domid` map `mfn`, which it does not own, from an L1 entry
     * (grant and foreign mappings)? NULL denies every such mapping. */
    bool (*may_map_foreign)(uint32_t domid, mfn_t mfn, bool writable);
    /* Is mfn machine I/O space (not RAM), whose mappings hold no references? Must
     * answer the same for a frame for ever. NULL: nothing is. */
    bool (*is_io_frame)(mfn_t mfn);
    /* May `domid` map the I/O frame mfn, and choose cache attributes (PWT/PCD/PAT) in
     * its L1 entries? NULL: no domain may. */
    bool (*may_map_io)(uint32_t domid, mfn_t mfn, bool writable);
    /* I/O frames a writable L1 entry maps read-only instead, as Xen does for devices the
     * hypervisor keeps but the hardware domain's firmware tables read. NULL: none. */
    bool (*io_read_only)(mfn_t mfn);
    bool (*may_set_cache_attrs)(uint32_t domid);
    /* Passed through to the frame table, which has one set of hooks. */
    void (*free_page)(struct page_info *pg);
    /* Validation of the non-page-table types (descriptor pages); NULL
     * accepts, like the frame table's own default. */
    int (*validate_other)(struct page_info *pg, uint64_t type);
    void (*invalidate_other)(struct page_info *pg, uint64_t type);
    /* Called before a frame is validated as a page table: the guest may still hold a
     * writable translation of it in some TLB, from a mapping it just downgraded
     * without a flush. NULL on the host. */
    void (*flush_guest_tlbs)(uint32_t domid);
    /* Log-dirty: entry index of a validated table changed (after the new value is in,
     * before the old one's references go); a table lost its type; a frame was written
     * other than through its owner's tables, or got a writable mapping from another
     * domain. NULL: nothing to tell. */
    void (*entry_changed)(struct page_info *table, unsigned int index);
    void (*table_gone)(struct page_info *table);
    void (*frame_written)(mfn_t mfn);
    /* Physical address width of the machine; 0 means the architectural 52. */
    unsigned int paddr_bits;
};

/* Installs the ops and registers validate/invalidate with the frame table.
 * -EINVAL when a required op is missing or paddr_bits is out of range. */
int pv_mm_init(const struct pv_mm_ops *ops);

/* The hypervisor's own entries for L4 slots 256..271, copied into every
 * guest L4 when it is validated. */
void pv_set_l4_template(const uint64_t slots[PV_L4_XEN_SLOTS]);

/* MMU_NORMAL_PT_UPDATE: entry `index` of table_mfn (owned by domid) becomes
 * new_val. In a validated page table the new entry is checked and its
 * references taken before the write, the old entry's dropped after; in any
 * other page of the domain the value is simply written. preserve_ad keeps
 * the Accessed/Dirty bits already set in the entry. */
int pv_mod_entry(uint32_t domid, mfn_t table_mfn, unsigned int index,
                 uint64_t new_val, bool preserve_ad);
/* The same, with the entry's value before the update in *prev (on success). */
int pv_mod_entry_prev(uint32_t domid, mfn_t table_mfn, unsigned int index,
                      uint64_t new_val, bool preserve_ad, uint64_t *prev);

/* MMUEXT_PIN_L<level>_TABLE / MMUEXT_UNPIN_TABLE: a pinned table keeps its
 * type (and so its validation) without being referenced from anywhere. */
int pv_pin_table(uint32_t domid, mfn_t mfn, unsigned int level);
int pv_unpin_table(uint32_t domid, mfn_t mfn);

/* New base pointer (CR3) for a vCPU: takes a general and an L4 type
 * reference on l4mfn, then stores it in *base and the previous value
 * (PV_MFN_NONE when there was none) in *old_out. The caller switches CR3
 * and then drops the old one with pv_put_baseptr(). */
int pv_new_baseptr(uint32_t domid, mfn_t l4mfn, mfn_t *base, mfn_t *old_out);
void pv_put_baseptr(mfn_t l4mfn);

#endif /* ASM_PV_MM_H */
