/*
 * usermode: a user L4 (MMUEXT_NEW_USER_BASEPTR), iret to guest user mode, the user's
 * syscall bounced to the syscall callback, int $0x80 (DPL 3) and int $0x81 (DPL 0) from
 * user mode, and stack_switch.
 */
#include "pv.h"

const char test_title[] = "user L4, iret to user mode, syscall callback, int $n from user mode";

static uint64_t user_l4[512] __attribute__((aligned(4096)));
static uint8_t kernel_stack[8192] __attribute__((aligned(16)));
static uint8_t user_stack[8192] __attribute__((aligned(16)));
static volatile uint64_t marker = 0x1122334455667788ULL;
static uint64_t marker_alias __attribute__((used));

/* The user L4 also maps the image's L3 at slot 0, so user mode sees it low too. */
#define LOW_ALIAS(p) ((uint64_t)(uintptr_t)(p) - GUEST_VIRT_BASE + (510ULL << 30))

/* User-mode code: only registers and the low alias, then a system call. */
static void __attribute__((used, naked)) user_syscall(void)
{
    __asm__ volatile("mov marker_alias(%rip), %rdi\n\t"
                     "mov (%rdi), %rdi\n\t"
                     "mov $0x1234, %eax\n\t"
                     "syscall\n\t"
                     "ud2");
}

static void __attribute__((used, naked)) user_int80(void)
{
    __asm__ volatile("mov $0x80, %eax\n\tint $0x80\n\tud2");
}

static void __attribute__((used, naked)) user_int81(void)
{
    __asm__ volatile("mov $0x81, %eax\n\tint $0x81\n\tud2");
}

static uint64_t seen_cs, seen_rax, seen_mask;

static void on_user_event(struct trap_frame *f)
{
    seen_cs = f->cs;
    seen_rax = f->rax;
    seen_mask = shared->vcpu_info[0].evtchn_upcall_mask;
    user_return((long)f->rdi);
}

static void build_user_l4(void)
{
    const uint64_t *kl4 = (const uint64_t *)(uintptr_t)start_info->pt_base;
    mmuext_op_t op[2];

    user_l4[511] = kl4[511];
    user_l4[0] = kl4[511];
    ASSERT_RC(pv_set_page_rw(user_l4, false), 0);
    op[0].cmd = MMUEXT_PIN_L4_TABLE;
    op[0].arg1.mfn = pv_virt_to_mfn(user_l4);
    op[1].cmd = MMUEXT_NEW_USER_BASEPTR;
    op[1].arg1.mfn = pv_virt_to_mfn(user_l4);
    ASSERT_RC(hypervisor_mmuext_op(op, 2, NULL, DOMID_SELF), 0);
}

void test_main(void)
{
    uint64_t v;
    long rc;

    marker_alias = LOW_ALIAS(&marker);
    traps_install();
    ASSERT_RC(hypercall2(__HYPERVISOR_stack_switch, FLAT_KERNEL_SS,
                         kernel_stack + sizeof(kernel_stack)), 0);
    build_user_l4();
    /* the low alias exists only in the user table */
    ASSERT_EQ(probe_read((const void *)(uintptr_t)LOW_ALIAS(&marker), &v), 14);

    trap_hooks[VEC_SYSCALL] = on_user_event;
    rc = user_enter((uint64_t)(uintptr_t)user_syscall, (uint64_t)(uintptr_t)(user_stack + sizeof(user_stack)));
    ASSERT_EQ(rc, (long)marker);
    ASSERT_EQ(seen_cs & 3, 3);
    ASSERT_EQ(seen_rax, 0x1234);
    ASSERT_EQ(seen_mask, 1); /* registered with CALLBACKF_mask_events */

    trap_hooks[0x80] = on_user_event;
    rc = user_enter((uint64_t)(uintptr_t)user_int80, (uint64_t)(uintptr_t)(user_stack + sizeof(user_stack)));
    ASSERT_EQ(seen_cs & 3, 3);
    ASSERT_EQ(seen_rax, 0x80);
    ASSERT_EQ(last_trap.vector, 0x80);

    trap_hooks[13] = on_user_event;
    rc = user_enter((uint64_t)(uintptr_t)user_int81, (uint64_t)(uintptr_t)(user_stack + sizeof(user_stack)));
    ASSERT_EQ(last_trap.vector, 13);
    ASSERT_EQ(last_trap.error, 0x81 << 3 | 2);
    ASSERT_EQ(seen_rax, 0x81);
    /* user mode cannot raise int $0x80 with a DPL-0 entry either: covered by 0x81 */

    /* without a syscall callback a user syscall is #UD */
    struct callback_unregister un = { .type = CALLBACKTYPE_syscall };
    ASSERT_RC(hypercall2(__HYPERVISOR_callback_op, CALLBACKOP_unregister, &un), 0);
    trap_hooks[6] = on_user_event;
    rc = user_enter((uint64_t)(uintptr_t)user_syscall, (uint64_t)(uintptr_t)(user_stack + sizeof(user_stack)));
    ASSERT_EQ(last_trap.vector, 6);
    ASSERT_EQ(seen_cs & 3, 3);
    (void)rc;
    events_disable();
}
