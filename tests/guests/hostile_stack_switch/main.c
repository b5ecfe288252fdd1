/*
 * hostile_stack_switch: point the kernel stack for bounces (stack_switch) into the
 * hypervisor, then make a system call from user mode: the bounce frame cannot be
 * written there, so the domain is crashed (never the hypervisor).
 */
#include "pv.h"

const char test_title[] = "a bounce onto a hypervisor kernel stack crashes the domain";

static uint8_t user_stack[4096] __attribute__((aligned(16)));

static void __attribute__((used, naked)) user_code(void)
{
    __asm__ volatile("syscall\n\tud2");
}

void test_main(void)
{
    long rc;

    traps_install();
    rc = hypercall2(__HYPERVISOR_stack_switch, FLAT_KERNEL_SS, 0xffff830000100000ULL);
    guest_printf("hostile_stack_switch: stack_switch returned %ld; entering user mode\n", rc);
    user_enter((uint64_t)(uintptr_t)user_code, (uint64_t)(uintptr_t)(user_stack + sizeof(user_stack)));
    test_failure_exit("came back from user mode");
}
