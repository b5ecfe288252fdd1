/*
 * System control: __HYPERVISOR_sysctl(struct xen_sysctl *op), for the privileged control
 * domain only. Numbers and layouts are Xen 4.17's (interface version 0x15); Tern
 * implements the subset below and answers -ENOSYS to the rest. Errors as for domctl.
 */
#ifndef __XEN_PUBLIC_SYSCTL_H__
#define __XEN_PUBLIC_SYSCTL_H__

#include "xen.h"
#include "domctl.h"

#define XEN_SYSCTL_INTERFACE_VERSION 0x00000015

/* physinfo: OUT the host. */
#define XEN_SYSCTL_PHYSCAP_hvm       (1U << 0)
#define XEN_SYSCTL_PHYSCAP_pv        (1U << 1)
#define XEN_SYSCTL_PHYSCAP_directio  (1U << 2)
#define XEN_SYSCTL_PHYSCAP_hap       (1U << 3)
#define XEN_SYSCTL_PHYSCAP_shadow    (1U << 4)
#define XEN_SYSCTL_PHYSCAP_gnttab_v1 (1U << 8)
#define XEN_SYSCTL_PHYSCAP_gnttab_v2 (1U << 9)

struct xen_sysctl_physinfo {
    uint32_t threads_per_core;
    uint32_t cores_per_socket;
    uint32_t nr_cpus;             /* online CPUs */
    uint32_t max_cpu_id;
    uint32_t nr_nodes;
    uint32_t max_node_id;
    uint32_t cpu_khz;             /* TSC frequency */
    uint32_t capabilities;        /* XEN_SYSCTL_PHYSCAP_* */
    uint32_t arch_capabilities;
    uint32_t pad;
    uint64_t total_pages;         /* RAM the hypervisor manages */
    uint64_t free_pages;          /* of which free for domains */
    uint64_t scrub_pages;
    uint64_t outstanding_pages;
    uint64_t max_mfn;
    uint32_t hw_cap[8];           /* CPUID feature words */
};
XEN_ABI_SIZE(struct xen_sysctl_physinfo, 112);
XEN_ABI_OFFSET(struct xen_sysctl_physinfo, total_pages, 40);
XEN_ABI_OFFSET(struct xen_sysctl_physinfo, hw_cap, 80);

/*
 * getdomaininfolist: IN the first domain id to report and room for max_domains records
 * at buffer; OUT num_domains records, in increasing id order, from first_domain up.
 */
struct xen_sysctl_getdomaininfolist {
    domid_t first_domain;
    uint16_t _pad;
    uint32_t max_domains;
    XEN_GUEST_HANDLE_64(xen_domctl_getdomaininfo_t) buffer;
    uint32_t num_domains;
    uint32_t _pad2;
};
XEN_ABI_SIZE(struct xen_sysctl_getdomaininfolist, 24);

/*
 * stage (Tern's own): a restore's pages held by the hypervisor before their domain exists,
 * so that the file is read once: its pages are copied in while it is still being checked,
 * and handed to the new domain once all of it was found sound (or freed).
 *   CREATE: IN max_pages, max_pfn; OUT id. -ENOSPC when every slot is taken.
 *   PUT:    num pages at buffer into frames for the pfns at pfns (each < max_pfn). Each mfns
 *           entry is IN ~0 for a new frame or the frame an earlier PUT gave that pfn, OUT the
 *           frame. -ENOMEM (no free frame), -E2BIG (beyond max_pages).
 *   ADOPT:  the num frames at mfns become domid's, each at the pfn it was PUT for.
 *   DROP:   every frame still held is freed and the id forgotten.
 * A stage not used for 10 s is dropped by the hypervisor (its tool died); a later op on it
 * gets -ENOENT.
 */
struct xen_sysctl_stage {
    uint32_t op;                  /* XEN_SYSCTL_STAGE_* */
    uint32_t id;
    uint64_t max_pages;
    uint64_t max_pfn;
    uint32_t num;
    domid_t domid;
    uint16_t _pad;
    XEN_GUEST_HANDLE_64(xen_pfn_t) pfns;
    XEN_GUEST_HANDLE_64(xen_pfn_t) mfns;
    uint64_t buffer;
};
XEN_ABI_SIZE(struct xen_sysctl_stage, 56);
#define XEN_SYSCTL_STAGE_CREATE 0
#define XEN_SYSCTL_STAGE_PUT    1
#define XEN_SYSCTL_STAGE_ADOPT  2
#define XEN_SYSCTL_STAGE_DROP   3
#define XEN_SYSCTL_STAGE_BATCH  1024 /* num at most */

struct xen_sysctl {
    uint32_t cmd;                 /* XEN_SYSCTL_* */
    uint32_t interface_version;   /* XEN_SYSCTL_INTERFACE_VERSION */
    union {
        struct xen_sysctl_physinfo physinfo;
        struct xen_sysctl_getdomaininfolist getdomaininfolist;
        struct xen_sysctl_stage stage;
        uint8_t pad[128];
    } u;
};
XEN_ABI_SIZE(struct xen_sysctl, 136);
XEN_ABI_OFFSET(struct xen_sysctl, u, 8);

#define XEN_SYSCTL_physinfo           3
#define XEN_SYSCTL_getdomaininfolist  6
#define XEN_SYSCTL_stage              0x7e00 /* Tern's own */

#endif
