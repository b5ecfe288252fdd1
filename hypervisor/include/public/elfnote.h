/* Types of the "Xen" ELF notes a PV kernel carries to tell the domain builder how to load it. */
#ifndef __XEN_PUBLIC_ELFNOTE_H__
#define __XEN_PUBLIC_ELFNOTE_H__

/*
 * Notes live in a PT_NOTE segment, owner name "Xen". "numeric" notes hold a
 * little-endian 4- or 8-byte value; "string" notes a NUL-terminated string.
 */
#define XEN_ELFNOTE_INFO               0  /* unused */
#define XEN_ELFNOTE_ENTRY              1  /* numeric: entry VA (overrides e_entry) */
#define XEN_ELFNOTE_HYPERCALL_PAGE     2  /* numeric: VA of a page H fills with stubs */
#define XEN_ELFNOTE_VIRT_BASE          3  /* numeric: VA of pseudo-physical 0 */
#define XEN_ELFNOTE_PADDR_OFFSET       4  /* numeric: load VA = virt_base + p_paddr - this */
#define XEN_ELFNOTE_XEN_VERSION        5  /* string: must be "xen-3.0" */
#define XEN_ELFNOTE_GUEST_OS           6  /* string: e.g. "linux" */
#define XEN_ELFNOTE_GUEST_VERSION      7  /* string: informational */
#define XEN_ELFNOTE_LOADER             8  /* string: must be "generic" */
#define XEN_ELFNOTE_PAE_MODE           9  /* string: "yes", "no", "bimodal" (32-bit only) */
#define XEN_ELFNOTE_FEATURES           10 /* string: "name|!required|..." from features.h */
#define XEN_ELFNOTE_BSD_SYMTAB         11 /* string: "yes" to load the symbol table */
#define XEN_ELFNOTE_HV_START_LOW       12 /* numeric: lowest VA the hypervisor may own */
#define XEN_ELFNOTE_L1_MFN_VALID       13 /* numeric: mask, value of valid L1 PTEs (tools) */
#define XEN_ELFNOTE_SUSPEND_CANCEL     14 /* numeric: guest supports suspend cancel */
#define XEN_ELFNOTE_INIT_P2M           15 /* numeric: VA where the p2m list may be put */
#define XEN_ELFNOTE_MOD_START_PFN      16 /* numeric: 1 = accepts SIF_MOD_START_PFN */
#define XEN_ELFNOTE_SUPPORTED_FEATURES 17 /* numeric: XENFEAT_* bitmap the guest supports */
#define XEN_ELFNOTE_PHYS32_ENTRY       18 /* numeric: 32-bit PVH entry; ignored for PV */
#define XEN_ELFNOTE_PHYS32_RELOC       19 /* numeric: PVH relocation; ignored for PV */
#define XEN_ELFNOTE_MAX                XEN_ELFNOTE_PHYS32_RELOC

/* Notes in crash dumps written by the hypervisor or tools. */
#define XEN_ELFNOTE_CRASH_INFO              0x1000001
#define XEN_ELFNOTE_CRASH_REGS              0x1000002
#define XEN_ELFNOTE_DUMPCORE_NONE           0x2000000
#define XEN_ELFNOTE_DUMPCORE_HEADER         0x2000001
#define XEN_ELFNOTE_DUMPCORE_XEN_VERSION    0x2000002
#define XEN_ELFNOTE_DUMPCORE_FORMAT_VERSION 0x2000003

#endif /* __XEN_PUBLIC_ELFNOTE_H__ */
