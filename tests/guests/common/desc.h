/* Descriptor-table helpers for test guests: building descriptors, set_gdt, selectors, iret probes. */
#ifndef GUEST_DESC_H
#define GUEST_DESC_H

#include "pv.h"

/* Descriptor high-word flags, shifted into a 64-bit descriptor. */
#define D_P (1ULL << 47)
#define D_S (1ULL << 44)
#define D_DPL(n) ((uint64_t)(n) << 45)
#define D_ACCESSED (1ULL << 40)
#define D_L (1ULL << 53)
#define D_DB (1ULL << 54)
#define D_G (1ULL << 55)
#define D_TYPE(t) ((uint64_t)(t) << 40)

/* A flat code (L=1) or data segment with the given DPL. */
#define CODE64(dpl) (D_P | D_S | D_DPL(dpl) | D_TYPE(0xa) | D_L | D_G | 0xf00000000ffffULL)
#define DATA(dpl) (D_P | D_S | D_DPL(dpl) | D_TYPE(0x2) | D_DB | D_G | 0xf00000000ffffULL)
/* The low half of a 64-bit call gate to sel:offset (offset < 4 GiB here). */
#define CALL_GATE(sel, off, dpl)                                                          \
    (D_P | D_DPL(dpl) | D_TYPE(0xc) | ((uint64_t)(sel) << 16) | ((off) & 0xffffULL) |     \
     (((uint64_t)(off) & 0xffff0000ULL) << 32))

static inline long set_gdt(const uint64_t *frames, unsigned int entries)
{
    return hypercall2(__HYPERVISOR_set_gdt, frames, entries);
}

static inline long update_descriptor(uint64_t maddr, uint64_t desc)
{
    return hypercall2(__HYPERVISOR_update_descriptor, maddr, desc);
}

static inline long set_ldt(const void *va, unsigned int ents)
{
    mmuext_op_t op = { .cmd = MMUEXT_SET_LDT, .arg1.linear_addr = (uint64_t)(uintptr_t)va,
                       .arg2.nr_ents = ents };
    return hypervisor_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

/* Access rights of a selector through `lar` (bits 8-23 of the high word), or -1 if refused. */
static inline int64_t selector_rights(uint16_t sel)
{
    uint64_t r = 0;
    uint8_t ok;

    __asm__ volatile("lar %2, %0; setz %1" : "=r"(r), "=q"(ok) : "r"((uint64_t)sel), "0"(r) : "cc");
    return ok ? (int64_t)r : -1;
}

static inline uint16_t read_ds(void)
{
    uint16_t s;
    __asm__ volatile("mov %%ds, %0" : "=r"(s));
    return s;
}

/* Loads %ds (or %fs) with the trap table's recovery armed: 0, or the vector it took. */
long load_ds(uint16_t sel);
long load_fs(uint16_t sel);

/*
 * iret hypercall to cs:rip with ss (a scratch stack), kernel mode unless cs has RPL 3.
 * At desc_landing the code records %cs | %ss << 16 and comes back; if the CPU refuses
 * the frame and desc_failsafe_entry is the failsafe callback, the failsafe frame is
 * copied to desc_failsafe_frame and the result is -1. Without a failsafe callback a
 * refused frame crashes the domain.
 */
long desc_iret_probe(uint64_t rip, uint64_t cs, uint64_t ss);
extern char desc_landing[], desc_failsafe_entry[];
extern volatile uint64_t desc_failsafe_frame[11]; /* RCX R11 DS ES FS GS RIP CS RFLAGS RSP SS */

/* Jumps to a non-canonical address with the trap table's recovery armed: 0 or the vector. */
long desc_jump_noncanonical(void);

#endif
