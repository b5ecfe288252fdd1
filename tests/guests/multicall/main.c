/*
 * multicall: a mixed batch with a result per entry; nesting refused; bad batches; an iret
 * to user mode ends the batch (nothing after it runs, the frame's %rax is the result).
 */
#include "pv.h"

const char test_title[] = "multicall: per-entry results, nested multicall refused, bad batches, iret ends it";

static uint8_t kernel_stack[8192] __attribute__((aligned(16)));
static uint8_t user_stack[8192] __attribute__((aligned(16)));
/* what the iret entry finds at %rsp: rax r11 rcx flags rip cs rflags rsp ss */
static uint64_t iret_frame[9] __attribute__((aligned(16)));
static uint64_t seen_rcx, seen_cs;

/*
 * long multicall_on_frame(uint64_t *frame, multicall_entry_t *mc, unsigned long n): the
 * multicall issued with %rsp at frame, where an iret entry reads its frame. Comes back
 * here (returning the multicall's %rax) only if the batch stayed in kernel mode; a user
 * system call ends in user_return instead, on the same saved stack.
 */
long multicall_on_frame(uint64_t *frame, multicall_entry_t *mc, unsigned long n);
__asm__(".text\n"
        ".globl multicall_on_frame\n"
        "multicall_on_frame:\n\t"
        "push %rbx\n\tpush %rbp\n\tpush %r12\n\tpush %r13\n\tpush %r14\n\tpush %r15\n\t"
        "mov %rsp, user_saved_rsp(%rip)\n\t"
        "mov %rdi, %rsp\n\t"
        "mov %rsi, %rdi\n\t"
        "mov %rdx, %rsi\n\t"
        "mov $13, %eax\n\t" /* __HYPERVISOR_multicall */
        "syscall\n\t"
        "mov user_saved_rsp(%rip), %rsp\n\t"
        "pop %r15\n\tpop %r14\n\tpop %r13\n\tpop %r12\n\tpop %rbp\n\tpop %rbx\n\t"
        "ret\n");

/* User mode after the batch's iret: hands back the %rax and %rcx it started with. */
static void __attribute__((used, naked)) user_side(void)
{
    __asm__ volatile("mov %rax, %rdi\n\tmov %rcx, %rsi\n\tsyscall\n\tud2");
}

static void on_user_syscall(struct trap_frame *f)
{
    seen_rcx = f->rsi;
    seen_cs = f->cs;
    user_return((long)f->rdi);
}

static void iret_ends_batch(void)
{
    static multicall_entry_t mc[4];
    static const char late[] = "multicall: this entry must not run\n";
    struct evtchn_bind_ipi ipi = { .vcpu = 0 };
    long rc;

    traps_install();
    ASSERT_RC(hypercall2(__HYPERVISOR_stack_switch, FLAT_KERNEL_SS, kernel_stack + sizeof(kernel_stack)), 0);
    trap_hooks[VEC_SYSCALL] = on_user_syscall;
    iret_frame[0] = 0x5ca1ab1e;            /* rax */
    iret_frame[1] = 0x202;                 /* r11 */
    iret_frame[2] = 0x1111;                /* rcx */
    iret_frame[3] = 0;                     /* flags: not from a syscall, rcx/r11 restored */
    iret_frame[4] = (uint64_t)(uintptr_t)user_side;
    iret_frame[5] = FLAT_USER_CS;
    iret_frame[6] = 0x202;
    iret_frame[7] = (uint64_t)(uintptr_t)(user_stack + sizeof(user_stack));
    iret_frame[8] = FLAT_USER_SS;
    mc[0].op = __HYPERVISOR_xen_version;
    mc[0].args[0] = XENVER_version;
    mc[1].op = __HYPERVISOR_iret;
    mc[2].op = __HYPERVISOR_event_channel_op;
    mc[2].args[0] = EVTCHNOP_bind_ipi;
    mc[2].args[1] = (uint64_t)(uintptr_t)&ipi;
    mc[3].op = __HYPERVISOR_console_io;
    mc[3].args[0] = CONSOLEIO_write;
    mc[3].args[1] = sizeof(late) - 1;
    mc[3].args[2] = (uint64_t)(uintptr_t)late;
    for (unsigned int i = 0; i < 4; i++)
        mc[i].result = 0xdeadbeef;

    rc = multicall_on_frame(iret_frame, mc, 4);
    ASSERT_EQ(rc, 0x5ca1ab1e);             /* user mode ran with the frame's %rax */
    ASSERT_EQ(seen_rcx, 0x1111);
    ASSERT_EQ(seen_cs & 3, 3);
    ASSERT_EQ(mc[0].result, hypervisor_xen_version(XENVER_version, NULL));
    ASSERT_EQ(mc[1].result, 0x5ca1ab1e);
    ASSERT_EQ(mc[2].result, 0xdeadbeef);   /* nothing after the iret ran */
    ASSERT_EQ(ipi.port, 0);
    ASSERT_EQ(mc[3].result, 0xdeadbeef);
    trap_hooks[VEC_SYSCALL] = NULL;
    events_disable();
}

static const char msg[] = "multicall: console write from inside a batch\n";

void test_main(void)
{
    static multicall_entry_t mc[8];
    struct evtchn_bind_ipi ipi = { .vcpu = 0 };
    struct evtchn_status st = { .dom = DOMID_SELF };

    mc[0].op = __HYPERVISOR_xen_version;
    mc[0].args[0] = XENVER_version;
    mc[1].op = __HYPERVISOR_console_io;
    mc[1].args[0] = CONSOLEIO_write;
    mc[1].args[1] = sizeof(msg) - 1;
    mc[1].args[2] = (uint64_t)(uintptr_t)msg;
    mc[2].op = 11; /* no such hypercall */
    mc[3].op = __HYPERVISOR_event_channel_op;
    mc[3].args[0] = EVTCHNOP_bind_ipi;
    mc[3].args[1] = (uint64_t)(uintptr_t)&ipi;
    mc[4].op = __HYPERVISOR_multicall;
    mc[4].args[0] = (uint64_t)(uintptr_t)mc;
    mc[4].args[1] = 1;
    mc[5].op = __HYPERVISOR_xen_version;
    mc[5].args[0] = XENVER_version;
    mc[6].op = __HYPERVISOR_console_io; /* a bad pointer fails this entry alone */
    mc[6].args[0] = CONSOLEIO_write;
    mc[6].args[1] = 8;
    mc[6].args[2] = 0xffff830000000000ULL;
    mc[7].op = __HYPERVISOR_vcpu_op;
    mc[7].args[0] = VCPUOP_is_up;
    mc[7].args[1] = 0;
    for (unsigned int i = 0; i < 8; i++)
        mc[i].result = 0xdeadbeef;

    ASSERT_RC(hypercall2(__HYPERVISOR_multicall, mc, 8), 0);
    ASSERT_EQ(mc[0].result, hypervisor_xen_version(XENVER_version, NULL));
    ASSERT_CONSOLE_WRITE_OK((long)mc[1].result, sizeof(msg) - 1);
    ASSERT_EQ((long)mc[2].result, -XEN_ENOSYS);
    ASSERT_EQ(mc[3].result, 0);
    ASSERT(ipi.port != 0);
    st.port = ipi.port;
    ASSERT_RC(hypervisor_event_channel_op(EVTCHNOP_status, &st), 0);
    ASSERT_EQ(st.status, EVTCHNSTAT_ipi); /* the batched bind really happened */
    ASSERT_EQ((long)mc[4].result, -XEN_EINVAL);
    ASSERT_EQ(mc[5].result, mc[0].result);
    ASSERT_EQ((long)mc[6].result, -XEN_EFAULT);
    ASSERT_EQ(mc[7].result, 1);

    ASSERT_RC(hypercall2(__HYPERVISOR_multicall, mc, 0), 0);
    ASSERT_RC(hypercall2(__HYPERVISOR_multicall, 0xffff830000000000ULL, 1), -XEN_EFAULT);
    ASSERT_RC(hypercall2(__HYPERVISOR_multicall, NULL, 1), -XEN_EFAULT);
    ASSERT_RC(hypercall2(__HYPERVISOR_multicall, mc, 1UL << 40), -XEN_EINVAL);

    iret_ends_batch();
}
