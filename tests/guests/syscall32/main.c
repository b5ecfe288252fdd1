/*
 * syscall32: the syscall32 and sysenter callbacks register; a `syscall` from compat-mode
 * user code (CS FLAT_USER_CS32) reaches the syscall32 callback with the 64-bit frame (the
 * return address after the instruction, CS 0xe023), events masked as registered; with the
 * callback at 0 it is a #UD at the instruction, as on Xen. `sysenter` from compat user code:
 * on a CPU with sysenter in long mode (Intel's), the sysenter callback with the syscall
 * frame carrying no return address (RIP and RSP 0, a null CS, as on Xen), or #GP(0) with the
 * callback at 0; on others (AMD's), #UD at the instruction. The 32-bit code runs from an
 * alias of the image below 4 GiB: a new L3 in slot 0 of the L4 pointing at the image's L2.
 */
#include "pv.h"

const char test_title[] = "syscall32/sysenter callbacks; syscall from compat user mode";

static uint64_t low_l3[512] __attribute__((aligned(4096)));
static uint8_t kernel_stack[8192] __attribute__((aligned(16)));
static uint8_t user_stack[8192] __attribute__((aligned(16)));
static uint64_t seen_cs, seen_rax, seen_rip, seen_mask, seen_rcx, seen_rsp;

/* The image seen from below 4 GiB (L4 slot 0, L3 slot 0 = the image's L2). */
#define LOW(p) ((uint64_t)(uintptr_t)(p) - GUEST_VIRT_BASE)

extern char compat_user[], compat_syscall[], compat_after[], compat_user_se[], compat_sysenter[];
__asm__(".text\n"
        ".code32\n"
        "compat_user:\n\t"
        "movl $0x1234, %edi\n\t"
        "movl $0x32, %eax\n"
        "compat_syscall:\n\t"
        "syscall\n"
        "compat_after:\n\t"
        "ud2\n"
        "compat_user_se:\n\t"
        "movl $0x5678, %edi\n\t"
        "movl $0x33, %eax\n\t"
        "movl $0xc1c1, %ecx\n"
        "compat_sysenter:\n\t"
        "sysenter\n\t"
        "ud2\n"
        ".code64\n");

/* long user_enter32(uint64_t rip, uint64_t rsp): iret to compat-mode user code. */
long user_enter32(uint64_t rip, uint64_t rsp);
__asm__(".text\n"
        ".globl user_enter32\n"
        "user_enter32:\n\t"
        "push %rbx\n\tpush %rbp\n\tpush %r12\n\tpush %r13\n\tpush %r14\n\tpush %r15\n\t"
        "mov %rsp, user_saved_rsp(%rip)\n\t"
        "pushq $0xe02b\n\t"     /* FLAT_USER_SS32 */
        "push %rsi\n\t"
        "pushq $0x202\n\t"
        "pushq $0xe023\n\t"     /* FLAT_USER_CS32 */
        "push %rdi\n\t"
        "pushq $0\n\t"          /* flags */
        "jmp hypercall_page + 23 * 32\n"); /* __HYPERVISOR_iret */

static void on_user(struct trap_frame *f)
{
    seen_cs = f->cs;
    seen_rax = f->rax;
    seen_rip = f->rip;
    seen_mask = shared->vcpu_info[0].evtchn_upcall_mask;
    seen_rcx = f->rcx;
    seen_rsp = f->rsp;
    user_return((long)f->rdi);
}

static void map_low_alias(void)
{
    uint64_t *kl4 = (uint64_t *)(uintptr_t)start_info->pt_base;
    const uint64_t *kl3 = pv_mfn_to_virt((kl4[511] & PTE_ADDR) >> 12);
    mmu_update_t u;

    ASSERT(kl3 != NULL);
    low_l3[0] = kl3[510]; /* the image's L2 (the first GiB from GUEST_VIRT_BASE) */
    ASSERT_RC(pv_set_page_rw(low_l3, false), 0);
    u.ptr = (pv_virt_to_mfn(kl4) << 12) | MMU_NORMAL_PT_UPDATE;
    u.val = (pv_virt_to_mfn(low_l3) << 12) | (kl4[511] & 0xfff);
    ASSERT_RC(hypervisor_mmu_update(&u, 1, NULL, DOMID_SELF), 0);
}

static long register_cb(unsigned int type, const void *address);

/* Intel's CPUs (and those that follow them) have sysenter in long mode. */
static bool sysenter_in_long_mode(void)
{
    uint32_t a = 0, b, c, d;

    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
    return (b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e) || /* GenuineIntel */
           (b == 0x746e6543 && d == 0x48727561 && c == 0x736c7561);   /* CentaurHauls */
}

/* Real AMD CPUs make sysenter #UD in long mode; Intel's run it, and so does QEMU from
 * compatibility mode whatever vendor it shows. */
static void check_sysenter(uint64_t stack)
{
    long rc;

    ASSERT_RC(register_cb(CALLBACKTYPE_sysenter, NULL), 0);
    trap_hooks[6] = trap_hooks[13] = on_user;
    rc = user_enter32(LOW(compat_user_se), stack);  /* no callback: #GP(0), or the CPU's #UD */
    ASSERT_EQ(rc, 0x5678);
    if (last_trap.vector == 6 && !sysenter_in_long_mode()) {
        ASSERT_EQ(seen_rip, LOW(compat_sysenter));
        guest_printf("syscall32: sysenter is #UD on this CPU\n");
        return;
    }
    ASSERT_EQ(last_trap.vector, 13);
    ASSERT_EQ(last_trap.error, 0);
    ASSERT_EQ(seen_rip, 0);
    extern char syscall_entry[];
    ASSERT_RC(register_cb(CALLBACKTYPE_sysenter, syscall_entry), 0);
    seen_mask = 0;
    rc = user_enter32(LOW(compat_user_se), stack);
    ASSERT_EQ(rc, 0x5678);
    ASSERT_EQ(last_trap.vector, VEC_SYSCALL);
    ASSERT_EQ(seen_rax, 0x33);
    ASSERT_EQ(seen_rcx, 0xc1c1);
    ASSERT_EQ(seen_rip, 0);
    ASSERT_EQ(seen_rsp, 0);
    ASSERT_EQ(seen_cs & 0xffff, 3);
    ASSERT_EQ(seen_mask, 1);
    guest_printf("syscall32: sysenter reached its callback\n");
}

static long register_cb(unsigned int type, const void *address)
{
    struct callback_register cb = { .type = type, .flags = CALLBACKF_mask_events,
                                    .address = (uint64_t)(uintptr_t)address };

    return hypercall2(__HYPERVISOR_callback_op, CALLBACKOP_register, &cb);
}

void test_main(void)
{
    extern char syscall_entry[];
    struct callback_unregister un = { .type = CALLBACKTYPE_syscall32 };
    uint64_t stack = LOW(user_stack + sizeof(user_stack));
    long rc;

    traps_install();
    ASSERT_RC(hypercall2(__HYPERVISOR_stack_switch, FLAT_KERNEL_SS, kernel_stack + sizeof(kernel_stack)), 0);
    map_low_alias();

    ASSERT_RC(register_cb(CALLBACKTYPE_syscall32, syscall_entry), 0);
    ASSERT_RC(register_cb(CALLBACKTYPE_sysenter, syscall_entry), 0);
    ASSERT_RC(hypercall2(__HYPERVISOR_callback_op, CALLBACKOP_unregister, &un), -XEN_EINVAL);

    trap_hooks[VEC_SYSCALL] = on_user;
    rc = user_enter32(LOW(compat_user), stack);
    ASSERT_EQ(rc, 0x1234);
    ASSERT_EQ(seen_cs & 0xffff, FLAT_USER_CS32);
    ASSERT_EQ(seen_rax, 0x32);
    ASSERT_EQ(seen_rip, LOW(compat_after));
    ASSERT_EQ(seen_mask, 1);

    /* a 64-bit user syscall still goes to the 64-bit callback: covered by usermode */

    /* with the syscall32 callback at 0, the instruction is #UD */
    ASSERT_RC(register_cb(CALLBACKTYPE_syscall32, NULL), 0);
    trap_hooks[6] = on_user;
    rc = user_enter32(LOW(compat_user), stack);
    ASSERT_EQ(last_trap.vector, 6);
    ASSERT_EQ(seen_rip, LOW(compat_syscall));
    ASSERT_EQ(seen_cs & 0xffff, FLAT_USER_CS32);
    check_sysenter(stack);
    trap_hooks[6] = trap_hooks[13] = NULL;
    trap_hooks[VEC_SYSCALL] = NULL;
    events_disable();
}
