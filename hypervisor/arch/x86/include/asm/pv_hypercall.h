/* Hypercall handlers, one per Xen hypercall number Tern implements. */
#ifndef ASM_PV_HYPERCALL_H
#define ASM_PV_HYPERCALL_H

#include <tern/types.h>
#include <asm/regs.h>
#include <public/xen.h>

struct vcpu;

long hypercall_dispatch(unsigned long nr, unsigned long a1, unsigned long a2, unsigned long a3,
                        unsigned long a4, unsigned long a5);

/*
 * Long batches stop where work waits on this CPU (a softirq: timers, the scheduler;
 * or an event for the vCPU) and are issued again with what remains: the guest's
 * `syscall` runs once more with the arguments given to hypercall_continue. Entries
 * of a multicall never stop themselves (the multicall stops between entries).
 */
#define BATCH_PREEMPTED   (1ul << 31) /* in count: resumed; *done holds the work so far */
#define BATCH_CHECK_EVERY 64
bool hypercall_preempt_check(void);
long hypercall_continue(unsigned long a1, unsigned long a2, unsigned long a3, unsigned long a4);

long do_set_trap_table(uint64_t traps);
long do_mmu_update(uint64_t reqs, unsigned long count, uint64_t done, unsigned long domid);
long do_stack_switch(unsigned long ss, unsigned long sp);
long do_set_timer_op(uint64_t timeout);
long do_xen_version(unsigned long cmd, uint64_t arg);
long do_console_io(unsigned long cmd, unsigned long count, uint64_t buf);
long do_vm_assist(unsigned long cmd, unsigned long type);
long do_update_va_mapping(uint64_t va, uint64_t val, unsigned long flags);
long do_iret(unsigned long a1, unsigned long a2, unsigned long a3, unsigned long a4,
             unsigned long a5);
long do_set_segment_base(unsigned long which, uint64_t base);
long do_mmuext_op(uint64_t ops, unsigned long count, uint64_t done, unsigned long domid);
long do_sched_op(unsigned long cmd, uint64_t arg);
long do_multicall(uint64_t calls, unsigned long count);

long do_vcpu_op(unsigned long cmd, unsigned long vcpuid, uint64_t arg);
long do_callback_op(unsigned long cmd, uint64_t arg);
long do_set_callbacks(uint64_t event, uint64_t failsafe, uint64_t syscall);
long do_physdev_op(unsigned long cmd, uint64_t arg);
long do_memory_op(unsigned long cmd, uint64_t arg);
long memory_exchange(uint64_t arg); /* XENMEM_exchange, hc_exchange.c */
struct domain;
struct page_info;
/* A fresh frame joins d, scrubbed, at gpfn (~0: none yet); one of d's (unused) frames leaves
 * it, its allocation reference dropped (hc_memory.c). */
void memory_add_frame(struct domain *d, struct page_info *pg, uint64_t gpfn);
void memory_drop_frame(struct domain *d, struct page_info *pg);
/* A frame d owns already (frame_assign'ed to it) onto its page list, at gpfn. */
void memory_link_frame(struct domain *d, struct page_info *pg, uint64_t gpfn);
struct xen_sysctl_stage;
long pv_stage_op(struct xen_sysctl_stage *op);
long do_domctl(uint64_t arg);
long do_sysctl(uint64_t arg);
long do_fpu_taskswitch(unsigned long set);
long do_set_debugreg(unsigned long reg, uint64_t value);
long do_get_debugreg(unsigned long reg);

/* traps.c */
/* An exception to the guest's handler for vec (its kernel stack if it was in user mode);
 * the domain is crashed when it has none. */
void pv_inject_trap(struct vcpu *v, struct cpu_user_regs *regs, unsigned int vec, uint32_t error);
void pv_bounce_syscall(struct vcpu *v, struct cpu_user_regs *regs);
void pv_bounce_sysenter(struct vcpu *v, struct cpu_user_regs *regs);
bool pv_deliver_events(struct vcpu *v);
void pv_timer_event(struct vcpu *v);

#endif
