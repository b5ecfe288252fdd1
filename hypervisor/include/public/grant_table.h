/* Grant tables (v1 and v2): sharing pages between domains, __HYPERVISOR_grant_table_op. */
#ifndef __XEN_PUBLIC_GRANT_TABLE_H__
#define __XEN_PUBLIC_GRANT_TABLE_H__

#include "xen.h"

#ifndef __ASSEMBLER__

/*
 * A domain's grant table is an array of entries in frames it maps itself
 * (GNTTABOP_setup_table). Entry `ref` says: domain `domid` may map or copy
 * my frame `frame` (GTF_permit_access), read-only if GTF_readonly.
 * Protocol (granting side = G, hypervisor = H):
 *  grant:  G writes frame and domid, then (after a write barrier) flags.
 *  revoke: G clears flags with cmpxchg only if GTF_reading/GTF_writing are
 *          clear (H sets them while the grant is mapped or being copied).
 */
typedef uint32_t grant_ref_t;
typedef uint32_t grant_handle_t; /* names one mapping made by map_grant_ref */

struct grant_entry_v1 {
    uint16_t flags;  /* G: GTF_* type and permissions; H: GTF_reading/writing */
    domid_t domid;   /* G: domain allowed to use this grant */
    uint32_t frame;  /* G: the granted frame (MFN for PV) */
};
typedef struct grant_entry_v1 grant_entry_v1_t;
XEN_ABI_SIZE(struct grant_entry_v1, 8);

/*
 * Version 2 (GNTTABOP_set_version): 16-byte entries. The header holds the flags and
 * domid as in v1, but GTF_reading/GTF_writing live in a separate status array, one
 * grant_status_t an entry, in frames the guest finds with GNTTABOP_get_status_frames. A
 * GTF_sub_page grant lets domid copy (never map) bytes [page_off, page_off + length).
 * Revoking: clear the flags, then check the entry's status is 0.
 */
struct grant_entry_header {
    uint16_t flags;
    domid_t domid;
};
typedef struct grant_entry_header grant_entry_header_t;

union grant_entry_v2 {
    grant_entry_header_t hdr;
    struct {
        grant_entry_header_t hdr;
        uint32_t pad0;
        uint64_t frame;
    } full_page;
    struct {
        grant_entry_header_t hdr;
        uint16_t page_off;
        uint16_t length;
        uint64_t frame;
    } sub_page;
    struct {
        grant_entry_header_t hdr;
        domid_t trans_domid;
        uint16_t pad0;
        grant_ref_t gref;
    } transitive; /* Tern refuses these (map and copy alike) */
    uint32_t __spacer[4];
};
typedef union grant_entry_v2 grant_entry_v2_t;
XEN_ABI_SIZE(union grant_entry_v2, 16);
typedef uint16_t grant_status_t;

/* Entries the toolstack fills before boot. */
#define GNTTAB_NR_RESERVED_ENTRIES 8
#define GNTTAB_RESERVED_CONSOLE    0
#define GNTTAB_RESERVED_XENSTORE   1

#endif /* !__ASSEMBLER__ */

/* grant_entry_v1.flags: type in bits 0-1, then flags. */
#define GTF_invalid         (0U << 0)
#define GTF_permit_access   (1U << 0)
#define GTF_accept_transfer (2U << 0)
#define GTF_transitive      (3U << 0) /* v2 only */
#define GTF_type_mask       (3U << 0)
#define _GTF_readonly       (2)
#define GTF_readonly        (1U << _GTF_readonly)  /* G: no write mappings */
#define _GTF_reading        (3)
#define GTF_reading         (1U << _GTF_reading)   /* H: mapped or being read */
#define _GTF_writing        (4)
#define GTF_writing         (1U << _GTF_writing)   /* H: mapped writable or being written */
#define _GTF_PWT            (5)
#define GTF_PWT             (1U << _GTF_PWT)       /* cache attributes for the mapping */
#define _GTF_PCD            (6)
#define GTF_PCD             (1U << _GTF_PCD)
#define _GTF_PAT            (7)
#define GTF_PAT             (1U << _GTF_PAT)
#define _GTF_sub_page       (8)
#define GTF_sub_page        (1U << _GTF_sub_page)  /* v2 only */
/* For GTF_accept_transfer entries. */
#define _GTF_transfer_committed (2)
#define GTF_transfer_committed  (1U << _GTF_transfer_committed)
#define _GTF_transfer_completed (3)
#define GTF_transfer_completed  (1U << _GTF_transfer_completed)

/*
 * grant_table_op(cmd, args, count): args is an array of `count` structs of
 * the command's type. The hypercall returns 0 when it could walk the array
 * (-EFAULT otherwise, -EINVAL for a bad count, -ENOSYS unknown cmd); each
 * entry reports its own outcome in `status` (GNTST_*).
 */
#define GNTTABOP_map_grant_ref     0
#define GNTTABOP_unmap_grant_ref   1
#define GNTTABOP_setup_table       2
#define GNTTABOP_dump_table        3
#define GNTTABOP_transfer          4
#define GNTTABOP_copy              5
#define GNTTABOP_query_size        6
#define GNTTABOP_unmap_and_replace 7
#define GNTTABOP_set_version       8
#define GNTTABOP_get_status_frames 9
#define GNTTABOP_get_version       10
#define GNTTABOP_swap_grant_ref    11
#define GNTTABOP_cache_flush       12

/* map_grant_ref flags */
#define _GNTMAP_device_map      (0)
#define GNTMAP_device_map       (1 << _GNTMAP_device_map)      /* for DMA: fills dev_bus_addr */
#define _GNTMAP_host_map        (1)
#define GNTMAP_host_map         (1 << _GNTMAP_host_map)        /* map at host_addr */
#define _GNTMAP_readonly        (2)
#define GNTMAP_readonly         (1 << _GNTMAP_readonly)
#define _GNTMAP_application_map (3)
#define GNTMAP_application_map  (1 << _GNTMAP_application_map) /* user-accessible too */
#define _GNTMAP_contains_pte    (4)
#define GNTMAP_contains_pte     (1 << _GNTMAP_contains_pte)    /* host_addr is a PTE's MA */
#define _GNTMAP_guest_avail0    (16)
#define GNTMAP_guest_avail_mask ((uint32_t)~0 << _GNTMAP_guest_avail0)

/* Per-entry status codes. */
#define GNTST_okay              (0)
#define GNTST_general_error     (-1)
#define GNTST_bad_domain        (-2)  /* no such domain */
#define GNTST_bad_gntref        (-3)  /* ref out of range or not granted to us */
#define GNTST_bad_handle        (-4)  /* unknown mapping handle */
#define GNTST_bad_virt_addr     (-5)  /* cannot map at host_addr */
#define GNTST_bad_dev_addr      (-6)  /* dev_bus_addr does not match */
#define GNTST_no_device_space   (-7)  /* IOMMU full */
#define GNTST_permission_denied (-8)  /* e.g. write to a read-only grant */
#define GNTST_bad_page          (-9)  /* frame not usable for this */
#define GNTST_bad_copy_arg      (-10) /* copy crosses a page boundary */
#define GNTST_address_too_big   (-11) /* transfer target too high */
#define GNTST_eagain            (-12) /* try again */
#define GNTST_no_space          (-13) /* out of handles */

#ifndef __ASSEMBLER__

/*
 * map_grant_ref: map grant `ref` of domain `dom` at host_addr (a VA, or the
 * MA of a PTE with GNTMAP_contains_pte). OUT: status, handle for unmapping,
 * dev_bus_addr with GNTMAP_device_map.
 */
struct gnttab_map_grant_ref {
    uint64_t host_addr;    /* IN */
    uint32_t flags;        /* IN: GNTMAP_* */
    grant_ref_t ref;       /* IN */
    domid_t dom;           /* IN */
    int16_t status;        /* OUT: GNTST_* */
    grant_handle_t handle; /* OUT */
    uint64_t dev_bus_addr; /* OUT */
};
typedef struct gnttab_map_grant_ref gnttab_map_grant_ref_t;
XEN_ABI_SIZE(struct gnttab_map_grant_ref, 32);
XEN_ABI_OFFSET(struct gnttab_map_grant_ref, ref, 12);
XEN_ABI_OFFSET(struct gnttab_map_grant_ref, status, 18);
XEN_ABI_OFFSET(struct gnttab_map_grant_ref, handle, 20);
XEN_ABI_OFFSET(struct gnttab_map_grant_ref, dev_bus_addr, 24);

/* unmap_grant_ref: undo a mapping; host_addr/dev_bus_addr as given to map. */
struct gnttab_unmap_grant_ref {
    uint64_t host_addr;    /* IN (0: no host mapping to remove) */
    uint64_t dev_bus_addr; /* IN (0: no device mapping) */
    grant_handle_t handle; /* IN */
    int16_t status;        /* OUT: GNTST_* */
    uint16_t _pad0;
};
typedef struct gnttab_unmap_grant_ref gnttab_unmap_grant_ref_t;
XEN_ABI_SIZE(struct gnttab_unmap_grant_ref, 24);
XEN_ABI_OFFSET(struct gnttab_unmap_grant_ref, status, 20);

/*
 * setup_table: grow dom's table to nr_frames frames and return their MFNs in
 * frame_list (nr_frames entries). status GNTST_general_error when nr_frames
 * exceeds the maximum (see query_size).
 */
struct gnttab_setup_table {
    domid_t dom;                           /* IN */
    uint16_t _pad0;
    uint32_t nr_frames;                    /* IN */
    int16_t status;                        /* OUT: GNTST_* */
    uint16_t _pad1[3];
    XEN_GUEST_HANDLE(xen_pfn_t) frame_list; /* OUT: written by H */
};
typedef struct gnttab_setup_table gnttab_setup_table_t;
XEN_ABI_SIZE(struct gnttab_setup_table, 24);
XEN_ABI_OFFSET(struct gnttab_setup_table, status, 8);
XEN_ABI_OFFSET(struct gnttab_setup_table, frame_list, 16);

/* dump_table: print dom's table on the hypervisor console (debug). */
struct gnttab_dump_table {
    domid_t dom;    /* IN */
    int16_t status; /* OUT */
};
typedef struct gnttab_dump_table gnttab_dump_table_t;
XEN_ABI_SIZE(struct gnttab_dump_table, 4);

/* transfer: give page mfn to domid via its accept_transfer grant ref. */
struct gnttab_transfer {
    xen_pfn_t mfn;   /* IN */
    domid_t domid;   /* IN */
    uint16_t _pad0;
    grant_ref_t ref; /* IN */
    int16_t status;  /* OUT */
    uint16_t _pad1[3];
};
typedef struct gnttab_transfer gnttab_transfer_t;
XEN_ABI_SIZE(struct gnttab_transfer, 24);
XEN_ABI_OFFSET(struct gnttab_transfer, ref, 12);
XEN_ABI_OFFSET(struct gnttab_transfer, status, 16);

/*
 * copy: copy len bytes between two (frame, offset) places, either given by
 * grant ref (GNTCOPY_*_gref set) or by our own frame number. Neither side may
 * cross a page boundary (GNTST_bad_copy_arg).
 */
#define _GNTCOPY_source_gref (0)
#define GNTCOPY_source_gref  (1 << _GNTCOPY_source_gref)
#define _GNTCOPY_dest_gref   (1)
#define GNTCOPY_dest_gref    (1 << _GNTCOPY_dest_gref)
struct gnttab_copy_ptr {
    union {
        grant_ref_t ref;
        xen_pfn_t gmfn;
    } u;
    domid_t domid;
    uint16_t offset;
    uint32_t _pad0;
};
XEN_ABI_SIZE(struct gnttab_copy_ptr, 16);
struct gnttab_copy {
    struct gnttab_copy_ptr source, dest; /* IN */
    uint16_t len;                        /* IN */
    uint16_t flags;                      /* IN: GNTCOPY_* */
    int16_t status;                      /* OUT */
    uint16_t _pad0;
};
typedef struct gnttab_copy gnttab_copy_t;
XEN_ABI_SIZE(struct gnttab_copy, 40);
XEN_ABI_OFFSET(struct gnttab_copy, dest, 16);
XEN_ABI_OFFSET(struct gnttab_copy, len, 32);
XEN_ABI_OFFSET(struct gnttab_copy, status, 36);

/* query_size: current and maximum number of table frames of dom. */
struct gnttab_query_size {
    domid_t dom;            /* IN */
    uint16_t _pad0;
    uint32_t nr_frames;     /* OUT */
    uint32_t max_nr_frames; /* OUT */
    int16_t status;         /* OUT */
    uint16_t _pad1;
};
typedef struct gnttab_query_size gnttab_query_size_t;
XEN_ABI_SIZE(struct gnttab_query_size, 16);
XEN_ABI_OFFSET(struct gnttab_query_size, max_nr_frames, 8);
XEN_ABI_OFFSET(struct gnttab_query_size, status, 12);

/* unmap_and_replace: unmap handle at host_addr, moving new_addr's mapping there. */
struct gnttab_unmap_and_replace {
    uint64_t host_addr;    /* IN */
    uint64_t new_addr;     /* IN */
    grant_handle_t handle; /* IN */
    int16_t status;        /* OUT */
    uint16_t _pad0;
};
typedef struct gnttab_unmap_and_replace gnttab_unmap_and_replace_t;
XEN_ABI_SIZE(struct gnttab_unmap_and_replace, 24);

/*
 * set_version: choose the table format, 1 or 2 (else -EINVAL). -EBUSY while any entry
 * but the 8 reserved ones is pinned; -ERANGE going back to 1 with a reserved entry v1
 * cannot hold. Answers in the return value, not a status. OUT: the version in force.
 */
struct gnttab_set_version {
    uint32_t version; /* IN/OUT */
};
typedef struct gnttab_set_version gnttab_set_version_t;
XEN_ABI_SIZE(struct gnttab_set_version, 4);

/* get_status_frames: the frames of dom's v2 status array; status GNTST_general_error
 * for a v1 table or more frames than it has. */
struct gnttab_get_status_frames {
    uint32_t nr_frames;                    /* IN */
    domid_t dom;                           /* IN */
    int16_t status;                        /* OUT */
    XEN_GUEST_HANDLE(uint64_t) frame_list; /* OUT */
};
typedef struct gnttab_get_status_frames gnttab_get_status_frames_t;
XEN_ABI_SIZE(struct gnttab_get_status_frames, 16);

/* get_version: table format of dom. */
struct gnttab_get_version {
    domid_t dom;      /* IN */
    uint16_t pad;
    uint32_t version; /* OUT */
};
typedef struct gnttab_get_version gnttab_get_version_t;
XEN_ABI_SIZE(struct gnttab_get_version, 8);

/* swap_grant_ref: exchange two of our own entries. */
struct gnttab_swap_grant_ref {
    grant_ref_t ref_a; /* IN */
    grant_ref_t ref_b; /* IN */
    int16_t status;    /* OUT */
    uint16_t _pad0;
};
typedef struct gnttab_swap_grant_ref gnttab_swap_grant_ref_t;
XEN_ABI_SIZE(struct gnttab_swap_grant_ref, 12);

#endif /* !__ASSEMBLER__ */

#endif /* __XEN_PUBLIC_GRANT_TABLE_H__ */
