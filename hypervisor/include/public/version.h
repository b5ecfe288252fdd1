/* Version and feature queries: __HYPERVISOR_xen_version(int cmd, void *arg). */
#ifndef __XEN_PUBLIC_VERSION_H__
#define __XEN_PUBLIC_VERSION_H__

#include "xen.h"

/*
 * All commands return 0 on success except XENVER_version and
 * XENVER_pagesize, which return their value. Fixed-size string results are
 * NUL-terminated and zero-padded to their full size. -EFAULT for a bad arg,
 * -ENOSYS for unknown commands. XENVER_version with arg NULL doubles as a
 * cheap "deliver pending events now" call.
 */
#define XENVER_version             0  /* NULL; (major << 16) | minor */
#define XENVER_extraversion        1  /* xen_extraversion_t, e.g. ".0-tern" */
#define XENVER_compile_info        2  /* struct xen_compile_info */
#define XENVER_capabilities        3  /* xen_capabilities_info_t: "xen-3.0-x86_64 ..." */
#define XENVER_changeset           4  /* xen_changeset_info_t: source revision */
#define XENVER_platform_parameters 5  /* struct xen_platform_parameters */
#define XENVER_get_features        6  /* struct xen_feature_info */
#define XENVER_pagesize            7  /* NULL; returns 4096 */
#define XENVER_guest_handle        8  /* xen_domain_handle_t: the domain's UUID */
#define XENVER_commandline         9  /* xen_commandline_t; privileged (-EPERM) */
#define XENVER_build_id            10 /* struct xen_build_id; returns bytes written */
#define XENVER_extraversion2       11 /* struct xen_varbuf variants of 1, 3, 4, 9 */
#define XENVER_capabilities2       12
#define XENVER_changeset2          13
#define XENVER_commandline2        14

#ifndef __ASSEMBLER__

typedef char xen_extraversion_t[16];
#define XEN_EXTRAVERSION_LEN (sizeof(xen_extraversion_t))

struct xen_compile_info {
    char compiler[64];
    char compile_by[16];
    char compile_domain[32];
    char compile_date[32];
};
typedef struct xen_compile_info xen_compile_info_t;
XEN_ABI_SIZE(struct xen_compile_info, 144);

typedef char xen_capabilities_info_t[1024];
#define XEN_CAPABILITIES_INFO_LEN (sizeof(xen_capabilities_info_t))

typedef char xen_changeset_info_t[64];
#define XEN_CHANGESET_INFO_LEN (sizeof(xen_changeset_info_t))

/* OUT: lowest VA the hypervisor reserves (HYPERVISOR_VIRT_START on x86-64). */
struct xen_platform_parameters {
    xen_ulong_t virt_start;
};
typedef struct xen_platform_parameters xen_platform_parameters_t;
XEN_ABI_SIZE(struct xen_platform_parameters, 8);

/*
 * get_features: submap_idx selects bits [32*idx, 32*idx+31] of the XENFEAT_*
 * set (features.h). Indexes >= XENFEAT_NR_SUBMAPS: -EINVAL.
 */
struct xen_feature_info {
    uint32_t submap_idx; /* IN */
    uint32_t submap;     /* OUT */
};
typedef struct xen_feature_info xen_feature_info_t;
XEN_ABI_SIZE(struct xen_feature_info, 8);

typedef char xen_commandline_t[1024];

/* Variable-length results: IN len = room in buf; OUT bytes via the return. */
struct xen_build_id {
    uint32_t len;
    unsigned char buf[];
};
typedef struct xen_build_id xen_build_id_t;

struct xen_varbuf {
    uint32_t len;
    unsigned char buf[];
};
typedef struct xen_varbuf xen_varbuf_t;

#endif /* !__ASSEMBLER__ */

#include "features.h"

#endif /* __XEN_PUBLIC_VERSION_H__ */
