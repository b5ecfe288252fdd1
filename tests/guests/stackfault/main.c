/*
 * stackfault: a non-canonical memory operand based on %rsp or %rbp, or a push with a
 * non-canonical %rsp, is #SS(0); the same through any other base register, or with an FS
 * override, is #GP(0), as on hardware (an emulated CPU raises #GP for both: the hypervisor
 * tells them apart).
 */
#include "pv.h"

const char test_title[] = "#SS for non-canonical stack-segment operands, #GP for the others";

static uint8_t kernel_stack[8192] __attribute__((aligned(16)));

/* Each probe loads from a non-canonical address; trap_recover_rip resumes at 1: */
#define PROBE(name, body)                                                              \
    void name(void *unused);                                                           \
    __asm__(".text\n" #name ":\n\t"                                                    \
            "lea 1f(%rip), %rax\n\tmov %rax, trap_recover_rip(%rip)\n\t"               \
            body "\n1:\tmovq $0, trap_recover_rip(%rip)\n\tret\n")

PROBE(via_rbp, "push %rbp\n\tmovabs $0x0000800000000000, %rbp\n\tmov 8(%rbp), %rax\n1:\tpop %rbp\n\tjmp 2f\n2:");
PROBE(via_rbp_0f, "push %rbp\n\tmovabs $0xfff0000000000000, %rbp\n\tmovzwl -8(%rbp), %eax\n1:\tpop %rbp\n\tjmp 2f\n2:");
PROBE(via_rsp_index, "movabs $0x8000000000000000, %rax\n\tmov (%rsp,%rax), %rax");
PROBE(via_rax, "movabs $0x0000800000000000, %rax\n\tmov 8(%rax), %rax");
PROBE(via_r13, "push %r13\n\tmovabs $0x0000800000000000, %r13\n\tmov 8(%r13), %rax\n1:\tpop %r13\n\tjmp 2f\n2:");
PROBE(via_rbp_fs, "push %rbp\n\tmovabs $0x0000800000000000, %rbp\n\tmov %fs:8(%rbp), %rax\n1:\tpop %rbp\n\tjmp 2f\n2:");

static void __attribute__((used, naked)) user_push(void)
{
    __asm__ volatile("movabs $0x0000800000000010, %rsp\n\tpush %rax\n\tud2");
}

static void on_user_fault(struct trap_frame *f)
{
    user_return((long)f->vector);
}

static void expect(const char *what, void (*fn)(void *), long vector)
{
    long v = trap_probe(fn, NULL);

    if (v != vector || last_trap.error != 0)
        test_fail("%s: vector %ld error %#llx, expected vector %ld error 0", what, v,
                  (unsigned long long)last_trap.error, vector);
}

void test_main(void)
{
    traps_install();
    expect("8(%rbp)", via_rbp, 12);
    expect("movzwl -8(%rbp)", via_rbp_0f, 12);
    expect("(%rsp,%rax)", via_rsp_index, 12);
    expect("8(%rax)", via_rax, 13);
    expect("8(%r13)", via_r13, 13);
    expect("%fs:8(%rbp)", via_rbp_fs, 13);

    /* a push from user mode with a non-canonical %rsp: #SS on the kernel stack */
    ASSERT_RC(hypercall2(__HYPERVISOR_stack_switch, FLAT_KERNEL_SS, kernel_stack + sizeof(kernel_stack)), 0);
    trap_hooks[12] = trap_hooks[13] = on_user_fault;
    ASSERT_EQ(user_enter((uint64_t)(uintptr_t)user_push, 0), 12);
    ASSERT_EQ(last_trap.error, 0);
    trap_hooks[12] = trap_hooks[13] = NULL;
    events_disable();
}
