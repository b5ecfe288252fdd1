/* Feature bits reported by XENVER_get_features and named in XEN_ELFNOTE_FEATURES. */
#ifndef __XEN_PUBLIC_FEATURES_H__
#define __XEN_PUBLIC_FEATURES_H__

/*
 * Bit numbers in the feature set; submap i of XENVER_get_features holds bits
 * 32*i .. 32*i+31. A guest kernel's FEATURES note names them without the
 * XENFEAT_ prefix, '!' marking those it cannot run without.
 * For a 64-bit PV domU Linux 6.1 needs mmu_pt_update_preserve_ad and
 * gnttab_map_avail_bits set, and auto_translated_physmap,
 * supervisor_mode_kernel and hvm_callback_vector clear.
 */
#define XENFEAT_writable_page_tables       0  /* guest page tables writable (no validation) */
#define XENFEAT_writable_descriptor_tables 1  /* GDT/LDT writable */
#define XENFEAT_auto_translated_physmap    2  /* hypervisor translates PFN->MFN (not PV) */
#define XENFEAT_supervisor_mode_kernel     3  /* guest kernel in ring 0 */
#define XENFEAT_pae_pgdir_above_4gb        4  /* PAE top table may be above 4 GiB */
#define XENFEAT_mmu_pt_update_preserve_ad  5  /* MMU_PT_UPDATE_PRESERVE_AD provided */
#define XENFEAT_highmem_assist             6  /* MMUEXT_CLEAR_PAGE / COPY_PAGE provided */
#define XENFEAT_gnttab_map_avail_bits      7  /* GNTMAP_guest_avail bits honoured */
#define XENFEAT_hvm_callback_vector        8  /* HVM only */
#define XENFEAT_hvm_safe_pvclock           9  /* HVM only */
#define XENFEAT_hvm_pirqs                  10 /* HVM only */
#define XENFEAT_dom0                       11 /* guest may run as dom0 */
#define XENFEAT_grant_map_identity         12 /* ARM only */
#define XENFEAT_memory_op_vnode_supported  13 /* XENMEMF_vnode accepted */
#define XENFEAT_ARM_SMCCC_supported        14 /* ARM only */
#define XENFEAT_linux_rsdp_unrestricted    15 /* dom0 RSDP above 1 MiB is fine */
#define XENFEAT_not_direct_mapped          16 /* ARM only */
#define XENFEAT_direct_mapped              17 /* dom0 pseudo-physical == machine */
#define XENFEAT_runstate_phys_area         18 /* VCPUOP_register_runstate_phys_area */
#define XENFEAT_vcpu_time_phys_area        19 /* VCPUOP_register_vcpu_time_phys_area */
#define XENFEAT_dm_msix_all_writes         20 /* HVM device model only */

#define XENFEAT_NR_SUBMAPS 1

#endif /* __XEN_PUBLIC_FEATURES_H__ */
