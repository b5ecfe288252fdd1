/* Log-dirty mode of PV domains on shadow page tables (arch/x86/pv/shadow.c). */
#ifndef ASM_PV_SHADOW_H
#define ASM_PV_SHADOW_H

#include <tern/types.h>
#include <tern/page.h>

struct domain;
struct vcpu;
struct xen_domctl_shadow_op;

/* XEN_DOMCTL_shadow_op on d (never the caller's own domain). */
long pv_shadow_op(struct domain *d, struct xen_domctl_shadow_op *sc);
/* What CR3 holds while v runs: its active table, or that table's shadow in log-dirty mode. */
paddr_t pv_guest_cr3(struct vcpu *v);
/* A page fault at va of v's (from the guest or from the hypervisor touching guest memory):
 * true when it was log-dirty's own and is fixed, so the access is retried. */
bool pv_shadow_fault(struct vcpu *v, uint64_t va, uint32_t error);
/* The frame was written other than through its owner's page tables (the hypervisor, a
 * grant or foreign mapping): dirty if its owner is in log-dirty mode. */
void pv_shadow_frame_written(mfn_t mfn);
/* Hooks from page-table validation: entry index of a validated table changed (called after
 * the new value is in, before the old one's references go), and a table lost its type. */
void pv_shadow_entry_changed(struct page_info *table, unsigned int index);
void pv_shadow_table_gone(struct page_info *table);
/* Teardown of a dying domain, its vCPUs off every CPU. */
void pv_shadow_domain_destroy(struct domain *d);

#endif
