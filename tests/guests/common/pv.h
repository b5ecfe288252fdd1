/* PV helpers for test guests: shared info, frame numbers, trap and event handlers, user mode. */
#ifndef GUEST_PV_H
#define GUEST_PV_H

#include "test.h"
#include <public/callback.h>
#include <public/physdev.h>

#define PTE_RW_FLAGS (GUEST_PTE_PRESENT | GUEST_PTE_RW | GUEST_PTE_ACCESSED | GUEST_PTE_DIRTY)
#define PTE_RO_FLAGS (GUEST_PTE_PRESENT | GUEST_PTE_ACCESSED)
#define PTE_ADDR 0x000ffffffffff000ULL

/* Pseudo vectors of the two callbacks, after the 256 trap vectors. */
#define VEC_EVENT 0x100
#define VEC_SYSCALL 0x101

/* What a bounce left on the stack, with the registers the entry code saved below it. */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r10, r9, r8, rbp, rdi, rsi, rdx, rbx, rax;
    uint64_t vector;
    uint64_t rcx, r11, error, rip, cs, rflags, rsp, ss;
};

struct trap_record {
    uint64_t vector, error, rip, cs, cr2, rflags;
};

extern struct shared_info *shared;             /* after pv_map_shared_info() */
extern volatile unsigned int trap_count;
extern volatile struct trap_record last_trap;
extern volatile uint64_t trap_recover_rip;     /* resume here after the next trap */
/* Optional per-vector hooks; they may edit the frame (rip, rax, ...). */
typedef void (*trap_hook_t)(struct trap_frame *f);
extern trap_hook_t volatile trap_hooks[VEC_SYSCALL + 1];
/* Called for each pending, unmasked port by the default event handler. */
extern void (*volatile event_port_hook)(unsigned int port);

void pv_map_shared_info(void);
struct vcpu_info *pv_vcpu_info(unsigned int vcpu);
uint64_t pv_pfn_to_mfn(uint64_t pfn);
uint64_t pv_virt_to_mfn(const void *va);
void *pv_mfn_to_virt(uint64_t mfn);              /* through the M2P; NULL if not ours */
unsigned int pv_domid(void);
/* Remaps a page of ours read-only (so it can become a page table) or back writable. */
long pv_set_page_rw(void *page, bool writable);

/* Installs the trap table (all exceptions, int $0x80 DPL 3, int $0x81 DPL 0) and callbacks. */
void traps_install(void);
/* Runs fn(arg); returns the vector of a trap it took (recovering right after it), or -1. */
long trap_probe(void (*fn)(void *), void *arg);
/* Memory accesses that report a fault instead of dying: 0 or the vector. */
long probe_read(const volatile void *p, uint64_t *val);
long probe_write(volatile void *p, uint64_t val);

/* Events: 2-level upcall handling. */
void evt_mask(unsigned int port);
void evt_unmask(unsigned int port);      /* through EVTCHNOP_unmask */
void evt_clear(unsigned int port);
bool evt_pending(unsigned int port);
/* Clears the upcall mask and lets a pending upcall run. */
void events_enable(void);
void events_disable(void);

/* pvclock: system time in ns from the vCPU's time info. */
uint64_t pvclock_read(const struct vcpu_time_info *t);
uint64_t pv_now(void);

/* Guest user mode: runs fn in user mode on stack; a handler ends it with user_return(v). */
long user_enter(uint64_t rip, uint64_t rsp);
void user_return(long value) __attribute__((noreturn));

/* Test-and-log shorthands. */
#define ASSERT_RC(expr, expected) ASSERT_EQ((long)(expr), (long)(expected))

#endif
