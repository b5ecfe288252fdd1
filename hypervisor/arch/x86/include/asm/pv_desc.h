/* PV descriptor tables: guest GDT and LDT frames, their validation and loading (pv/descriptor.c). */
#ifndef ASM_PV_DESC_H
#define ASM_PV_DESC_H

#include <tern/types.h>
#include <tern/page.h>
#include <asm/regs.h>

struct vcpu;

#define PV_GDT_MAX_FRAMES 14   /* FIRST_RESERVED_GDT_PAGE */
#define PV_LDT_MAX_ENTS 8192   /* 64 KiB */

/*
 * Descriptor rules (Xen's for 64-bit PV): not-present entries pass as they are;
 * code and data segments pass with their DPL raised to 3 (the guest kernel runs in
 * ring 3) and the accessed bit set (the CPU never writes the read-only window); a
 * system entry of type 0 passes (the upper half of a 16-byte gate); a 64-bit call
 * gate passes if it targets a guest selector (GDT below the reserved page, any
 * LDT selector, or FLAT_KERNEL_CS) with its reserved bits clear, and gets DPL 0,
 * so every use from ring 3 faults; everything else (TSS, LDT, interrupt and trap
 * gates) is refused. Returns false when refused; *d holds the fixed-up value.
 */
bool pv_desc_check(uint64_t *d);

/* Frame-table hooks for PGT_seg_desc_page: checks and fixes up all 512 entries. */
int pv_desc_validate_page(struct page_info *pg, uint64_t type);
void pv_desc_invalidate_page(struct page_info *pg, uint64_t type);

/* Hypercalls. */
long do_set_gdt(uint64_t frame_list, unsigned long entries);
long do_update_descriptor(uint64_t maddr, uint64_t desc);
/* set_gdt for v (also from VCPUOP_initialise): 0 or -EINVAL; the old frames are let go. */
int pv_set_gdt(struct vcpu *v, const mfn_t *frames, unsigned int ents);
/* MMUEXT_SET_LDT: 0, -EINVAL (alignment, size, range, a page not mapped read-only). */
int pv_set_ldt(struct vcpu *v, uint64_t linear, unsigned int ents);

/* Context switch: maps v's tables into this CPU's windows and loads its selectors
 * (returns false if one would not load: the caller bounces to the failsafe
 * callback once the rest of the state is in place); unload puts the zero page back. */
bool pv_desc_load(struct vcpu *v);
void pv_desc_save(struct vcpu *v);
void pv_desc_unload(void);
void pv_desc_failsafe(struct vcpu *v);
/* Drops the GDT and LDT frames of a vCPU that no CPU runs. */
void pv_desc_destroy(struct vcpu *v);

/* traps.c: the failsafe bounce frame (RCX R11 DS ES FS GS RIP CS RFLAGS RSP SS);
 * false when the domain was crashed instead. */
bool pv_bounce_failsafe(struct vcpu *v, struct cpu_user_regs *regs, const uint16_t sel[4]);

/* What the CPU may not check the same way everywhere (a non-canonical %rip faults the
 * iretq on some, the first fetch on others): false has the guest take #GP(0) there. */
bool pv_exit_frame_ok(const struct cpu_user_regs *regs);

/* The iret back to a guest faulted (entry.S fixup); regs is the guest frame again. */
void pv_exit_fault(struct cpu_user_regs *regs);

#endif
