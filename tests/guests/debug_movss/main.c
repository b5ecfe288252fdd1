/*
 * debug_movss: a data breakpoint on the selector `mov ss` loads, followed by `syscall`
 * (a hypercall, and a user system call), `int $0x80` or `int3`: the interrupt-shadow cases
 * of the 2018 `mov ss` advisories. On hardware the #DB waits for the next instruction and
 * reaches the hypervisor in ring 0 (on the guest's %rsp after a syscall: hence #DB's own
 * stack), where it is absorbed, as on Xen; an emulated CPU raises it at once, to the guest.
 * Either way: at most one #DB, at the instruction after the `mov ss`, and everything else
 * as without the breakpoint. Last, the hypervisor reading watched memory for a hypercall:
 * absorbed, the guest sees nothing.
 */
#include "pv.h"

const char test_title[] = "mov ss + syscall/int with a data breakpoint on the selector";

static volatile uint16_t ss_var = FLAT_KERNEL_SS;
static uint8_t kernel_stack[8192] __attribute__((aligned(16)));
static uint8_t user_stack[8192] __attribute__((aligned(16)));
static unsigned int n_db, n_80, n_bp;
static uint64_t db_rip;
extern char at_syscall[], at_int80[], at_int3[], at_user_syscall[];

static void on_db(struct trap_frame *f)
{
    n_db++;
    db_rip = f->rip;
    hypercall2(__HYPERVISOR_set_debugreg, 6, 0);
}

static void on_80(struct trap_frame *f)
{
    (void)f;
    n_80++;
}

static void on_bp(struct trap_frame *f)
{
    (void)f;
    n_bp++;
}

static void on_user_syscall(struct trap_frame *f)
{
    user_return((long)f->rax);
}

static void __attribute__((used, naked)) user_movss(void)
{
    __asm__ volatile("mov $0x5a5a, %eax\n\t"
                     "mov ss_var(%rip), %ss\n"
                     "at_user_syscall:\n\t"
                     "syscall\n\t"
                     "ud2");
}

/* At most one #DB, and at the instruction after the `mov ss` (not later, not twice). */
static void check_db(const char *what, const void *at)
{
    if (n_db > 1 || (n_db == 1 && db_rip != (uint64_t)(uintptr_t)at))
        test_fail("%s: %u #DB, the last at %#llx (the instruction after mov ss is at %p)", what,
                  n_db, (unsigned long long)db_rip, at);
    guest_printf("debug_movss: %s: %u #DB delivered\n", what, n_db);
    n_db = 0;
}

void test_main(void)
{
    long rc, version = hypervisor_xen_version(XENVER_version, NULL);

    traps_install();
    ASSERT_RC(hypercall2(__HYPERVISOR_stack_switch, FLAT_KERNEL_SS, kernel_stack + sizeof(kernel_stack)), 0);
    trap_hooks[1] = on_db;
    trap_hooks[0x80] = on_80;
    trap_hooks[3] = on_bp;
    trap_hooks[VEC_SYSCALL] = on_user_syscall;
    ASSERT_RC(hypercall2(__HYPERVISOR_set_debugreg, 0, (uint64_t)(uintptr_t)&ss_var), 0);
    /* L0, RW0 = 11 (read or write), LEN0 = 01 (2 bytes) */
    ASSERT_RC(hypercall2(__HYPERVISOR_set_debugreg, 7, 1 | (3ULL << 16) | (1ULL << 18)), 0);

    /* a hypercall right after the mov ss */
    __asm__ volatile("mov %1, %%eax\n\t"
                     "xor %%edi, %%edi\n\t"
                     "xor %%esi, %%esi\n\t"
                     "mov ss_var(%%rip), %%ss\n"
                     "at_syscall:\n\t"
                     "syscall\n\t"
                     : "=a"(rc) : "i"(__HYPERVISOR_xen_version) : "rcx", "r11", "rdi", "rsi", "memory");
    ASSERT_EQ(rc, version);
    check_db("hypercall", at_syscall);

    __asm__ volatile("mov ss_var(%%rip), %%ss\n"
                     "at_int80:\n\t"
                     "int $0x80\n\t" : : : "memory");
    ASSERT_EQ(n_80, 1);
    check_db("int $0x80", at_int80);

    __asm__ volatile("mov ss_var(%%rip), %%ss\n"
                     "at_int3:\n\t"
                     "int3\n\t" : : : "memory");
    ASSERT_EQ(n_bp, 1);
    check_db("int3", at_int3);

    /* a system call from guest user mode: the syscall callback */
    rc = user_enter((uint64_t)(uintptr_t)user_movss, (uint64_t)(uintptr_t)(user_stack + sizeof(user_stack)));
    ASSERT_EQ(rc, 0x5a5a);
    check_db("user syscall", at_user_syscall);

    /* the hypervisor reads the watched word for a console write: nothing for the guest */
    ASSERT_CONSOLE_WRITE_OK(hypervisor_console_write((const char *)&ss_var, 1), 1);
    guest_puts("\n");
    ASSERT_EQ(n_db, 0);
    ASSERT_EQ(hypercall1(__HYPERVISOR_get_debugreg, 6) & 0xf, 0);

    ASSERT_RC(hypercall2(__HYPERVISOR_set_debugreg, 7, 0), 0);
    trap_hooks[1] = trap_hooks[3] = trap_hooks[0x80] = trap_hooks[VEC_SYSCALL] = NULL;
    events_disable();
}
