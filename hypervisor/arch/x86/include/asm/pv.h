/* The PV guest layer: entry/exit, context, hypercalls and guest traps. */
#ifndef ASM_PV_H
#define ASM_PV_H

#include <tern/types.h>
#include <asm/regs.h>

struct vcpu;
struct domain;

/* entry.S */
void return_to_guest(void);

/* context.c */
int pv_init(void);
/* Flushes this CPU's TLB and every other CPU running a vCPU of the current domain. */
void pv_flush_domain_tlbs(void);
/* The L1 policy for frames a domain does not own: grant maps, and the control domain's
 * foreign mapping during its mmu_update for another domain. */
bool pv_may_map_foreign(uint32_t domid, mfn_t mfn, bool writable);
/* Flushes this CPU's TLB, and the other CPUs' too when domid is the current domain's. */
void pv_flush_guest_tlbs(uint32_t domid);
int pv_cpu_init(unsigned int cpu);
void pv_context_save(struct vcpu *prev);
/* Hardware CR4.FSGSBASE as v's own CR4 has it (v NULL: off). */
void pv_cr4_load(const struct vcpu *v);
void pv_context_load(struct vcpu *next);
void pv_switch_to_idle(void);
void pv_vcpu_destroy(struct vcpu *v);
void pv_domain_relinquish(struct domain *d);
void pv_vcpu_timer_fn(void *data);
struct vcpu_guest_context;
/* A whole context for a vCPU that is not running (VCPUOP_initialise, setvcpucontext). */
/* The vm_assist types offered: 4gb_segments (meaningless on 64-bit), writable_pagetables,
 * pae_extended_cr3. */
#define PV_VM_ASSISTS ((1ul << VMASST_TYPE_4gb_segments) | (1ul << VMASST_TYPE_writable_pagetables) | \
                       (1ul << VMASST_TYPE_pae_extended_cr3))
long pv_vcpu_set_context(struct vcpu *v, const struct vcpu_guest_context *c);
void pv_vcpu_get_context(struct vcpu *v, struct vcpu_guest_context *c);
struct xen_domctl_ext_vcpucontext;
void pv_vcpu_get_ext_context(struct vcpu *v, struct xen_domctl_ext_vcpucontext *e);
long pv_vcpu_set_ext_context(struct vcpu *v, const struct xen_domctl_ext_vcpucontext *e);
void guest_exit_checks(void);

/* fpu.c */
void pv_fpu_cpu_init(void);
int pv_fpu_vcpu_init(struct vcpu *v);
void pv_fpu_save(struct vcpu *v);
void pv_fpu_set_legacy(struct vcpu *v, const uint8_t img[512]);
void pv_fpu_load(struct vcpu *v);
bool pv_fpu_nm(struct vcpu *v);
uint64_t pv_guest_xcr0(void);       /* XCR0 while guests run */
uint32_t pv_guest_xsave_size(void); /* XSAVE area size for it */
void pv_debugreg_load(struct vcpu *v);
void pv_debugreg_off(void);
/* A #DB in the guest: the hardware's DR6 status bits into the vCPU's DR6, where the
 * guest's handler reads them (get_debugreg 6), and the hardware's cleared. */
void pv_debugreg_hit(struct vcpu *v);

/* stackfault.c: whether a guest's #GP(0) is a non-canonical access through SS (#SS(0)). */
bool pv_gp_is_stack_fault(const struct cpu_user_regs *regs);
#define PV_DR6_DEFAULT 0xffff0ff0ul /* architectural values after reset */
#define PV_DR7_DEFAULT 0x400ul
#define PV_DR7_ENABLED 0xfful       /* L0-3 and G0-3: a breakpoint is armed */

/* time.c */
void pv_update_time(struct vcpu *v);
void pv_update_runstate(struct vcpu *v);
struct vcpu_runstate_info;
void pv_runstate(const struct vcpu *v, struct vcpu_runstate_info *r);

/* hypercall.c */
void do_guest_syscall(struct cpu_user_regs *regs);
void do_guest_sysenter(struct cpu_user_regs *regs);

/* traps.c */
void do_guest_trap(struct cpu_user_regs *regs);

/* mm.c */
mfn_t pv_find_l1(struct vcpu *v, uint64_t va); /* PV_MFN_NONE when unmapped */

/* ptwr.c: writes to read-only L1 page tables, emulated (vm_assist writable_pagetables) */
bool pv_ptwr_emulate(struct vcpu *v, struct cpu_user_regs *regs, uint64_t addr);

/* m2p.c: the machine-to-phys table */
int m2p_init(mfn_t nr_frames);
void m2p_set(mfn_t mfn, uint64_t pfn);
uint64_t m2p_get(mfn_t mfn);

#endif
