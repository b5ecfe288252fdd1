/* Hypercalls from a test guest: bare `syscall` (as Linux 6.1 does) or through the hypercall page. */
#ifndef GUEST_HYPERCALL_H
#define GUEST_HYPERCALL_H

#include <public/xen.h>
#include <public/errno.h>
#include <public/sched.h>
#include <public/version.h>
#include <public/vcpu.h>
#include <public/event_channel.h>
#include <public/memory.h>

/* Filled by the hypervisor: stub for hypercall n at hypercall_page + n * 32. */
extern uint8_t hypercall_page[4096];
#define HYPERCALL_STUB_SIZE 32

/*
 * The raw call. All five argument registers are treated as clobbered (the
 * ABI allows it), and %rcx/%r11 are destroyed by `syscall`.
 */
static inline long hypercall_syscall(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3,
                                     uint64_t a4, uint64_t a5)
{
    register uint64_t r10 __asm__("r10") = a4;
    register uint64_t r8 __asm__("r8") = a5;
    long ret;

    __asm__ volatile("syscall"
                     : "=a"(ret), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10), "+r"(r8)
                     : "0"(nr)
                     : "rcx", "r11", "memory", "cc");
    return ret;
}

/* Same call through the hypercall page; the stub loads %eax itself. */
static inline long hypercall_page_call(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3,
                                       uint64_t a4, uint64_t a5)
{
    register uint64_t r10 __asm__("r10") = a4;
    register uint64_t r8 __asm__("r8") = a5;
    const void *stub = hypercall_page + nr * HYPERCALL_STUB_SIZE;
    long ret;

    __asm__ volatile("call *%[stub]"
                     : "=a"(ret), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10), "+r"(r8)
                     : [stub] "r"(stub)
                     : "rcx", "r11", "memory", "cc");
    return ret;
}

#define HC_ARG(x) ((uint64_t)(x))
#define hypercall0(nr) hypercall_syscall(nr, 0, 0, 0, 0, 0)
#define hypercall1(nr, a) hypercall_syscall(nr, HC_ARG(a), 0, 0, 0, 0)
#define hypercall2(nr, a, b) hypercall_syscall(nr, HC_ARG(a), HC_ARG(b), 0, 0, 0)
#define hypercall3(nr, a, b, c) hypercall_syscall(nr, HC_ARG(a), HC_ARG(b), HC_ARG(c), 0, 0)
#define hypercall4(nr, a, b, c, d)                                             \
    hypercall_syscall(nr, HC_ARG(a), HC_ARG(b), HC_ARG(c), HC_ARG(d), 0)
#define hypercall5(nr, a, b, c, d, e)                                          \
    hypercall_syscall(nr, HC_ARG(a), HC_ARG(b), HC_ARG(c), HC_ARG(d), HC_ARG(e))

#define hypercall_page0(nr) hypercall_page_call(nr, 0, 0, 0, 0, 0)
#define hypercall_page1(nr, a) hypercall_page_call(nr, HC_ARG(a), 0, 0, 0, 0)
#define hypercall_page2(nr, a, b) hypercall_page_call(nr, HC_ARG(a), HC_ARG(b), 0, 0, 0)
#define hypercall_page3(nr, a, b, c)                                           \
    hypercall_page_call(nr, HC_ARG(a), HC_ARG(b), HC_ARG(c), 0, 0)
#define hypercall_page4(nr, a, b, c, d)                                        \
    hypercall_page_call(nr, HC_ARG(a), HC_ARG(b), HC_ARG(c), HC_ARG(d), 0)
#define hypercall_page5(nr, a, b, c, d, e)                                     \
    hypercall_page_call(nr, HC_ARG(a), HC_ARG(b), HC_ARG(c), HC_ARG(d), HC_ARG(e))

/* Typed helpers (all through `syscall`). */
static inline long hypervisor_console_io(int cmd, uint64_t count, const void *buf)
{
    return hypercall3(__HYPERVISOR_console_io, (uint64_t)(int64_t)cmd, count, buf);
}

static inline long hypervisor_console_write(const char *buf, uint64_t len)
{
    return hypervisor_console_io(CONSOLEIO_write, len, buf);
}

static inline long hypervisor_sched_op(int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_sched_op, (uint64_t)(int64_t)cmd, arg);
}

static inline long hypervisor_sched_shutdown(unsigned int reason)
{
    struct sched_shutdown s = { .reason = reason };
    return hypervisor_sched_op(SCHEDOP_shutdown, &s);
}

static inline long hypervisor_xen_version(int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_xen_version, (uint64_t)(int64_t)cmd, arg);
}

static inline long hypervisor_mmu_update(mmu_update_t *req, unsigned int count,
                                         unsigned int *done, domid_t dom)
{
    return hypercall4(__HYPERVISOR_mmu_update, req, count, done, dom);
}

static inline long hypervisor_mmuext_op(mmuext_op_t *op, unsigned int count,
                                        unsigned int *done, domid_t dom)
{
    return hypercall4(__HYPERVISOR_mmuext_op, op, count, done, dom);
}

static inline long hypervisor_update_va_mapping(uint64_t va, uint64_t pte, uint64_t flags)
{
    return hypercall3(__HYPERVISOR_update_va_mapping, va, pte, flags);
}

static inline long hypervisor_memory_op(unsigned int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_memory_op, cmd, arg);
}

static inline long hypervisor_event_channel_op(int cmd, void *arg)
{
    return hypercall2(__HYPERVISOR_event_channel_op, (uint64_t)(int64_t)cmd, arg);
}

static inline long hypervisor_vcpu_op(int cmd, unsigned int vcpu, void *arg)
{
    return hypercall3(__HYPERVISOR_vcpu_op, (uint64_t)(int64_t)cmd, vcpu, arg);
}

/* Page-table entry bits the guest uses when asking for mappings. */
#define GUEST_PTE_PRESENT  0x001ULL
#define GUEST_PTE_RW       0x002ULL
#define GUEST_PTE_USER     0x004ULL
#define GUEST_PTE_ACCESSED 0x020ULL
#define GUEST_PTE_DIRTY    0x040ULL
#define GUEST_PTE_NX       (1ULL << 63)

#endif
