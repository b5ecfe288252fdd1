/*
 * desc_failsafe: a frame the CPU refuses on the way back goes to the failsafe callback; a
 * return to a non-canonical %rip is a #GP(0) at that address, to the trap table, as on Xen.
 */
#include "desc.h"

const char test_title[] = "failsafe callback for refused iret frames; #GP for a non-canonical return or jump";

#define NONCANONICAL 0x0000800000000000ULL

/* #GP hook for the non-canonical return: note the frame, land in kernel mode */
static void on_gp(struct trap_frame *f)
{
    f->rip = (uint64_t)(uintptr_t)desc_landing;
}

static void check_frame(uint64_t rip, uint64_t cs)
{
    ASSERT_EQ(desc_failsafe_frame[2], 0);        /* DS */
    ASSERT_EQ(desc_failsafe_frame[5], 0);        /* GS */
    ASSERT_EQ(desc_failsafe_frame[6], rip);
    ASSERT_EQ(desc_failsafe_frame[7] & 0xffff, cs);
    ASSERT_EQ(desc_failsafe_frame[10] | 3, FLAT_KERNEL_SS);
}

void test_main(void)
{
    struct callback_register fs = { .type = CALLBACKTYPE_failsafe,
                                    .address = (uint64_t)(uintptr_t)desc_failsafe_entry };
    uint64_t landing = (uint64_t)(uintptr_t)desc_landing;

    traps_install();
    ASSERT_RC(desc_jump_noncanonical(), 13);     /* #GP in the guest, to its handler */
    ASSERT_EQ(last_trap.vector, 13);

    ASSERT_RC(hypercall2(__HYPERVISOR_callback_op, CALLBACKOP_register, &fs), 0);
    /* the hypervisor's ring-0 code selector */
    ASSERT_RC(desc_iret_probe(landing, 0xe008, FLAT_KERNEL_SS), -1);
    check_frame(landing, 0xe008);
    /* a null code selector */
    memset((void *)desc_failsafe_frame, 0xff, sizeof(desc_failsafe_frame));
    ASSERT_RC(desc_iret_probe(landing, 0, FLAT_KERNEL_SS), -1);
    check_frame(landing, 0);
    /* a non-canonical %rip: #GP(0) with the frame of the target, not the failsafe */
    memset((void *)desc_failsafe_frame, 0xff, sizeof(desc_failsafe_frame));
    trap_hooks[13] = on_gp;
    ASSERT_EQ(desc_iret_probe(NONCANONICAL, FLAT_KERNEL_CS & ~3, FLAT_KERNEL_SS) & 0xffff, FLAT_KERNEL_CS);
    trap_hooks[13] = NULL;
    ASSERT_EQ(last_trap.vector, 13);
    ASSERT_EQ(last_trap.error, 0);
    ASSERT_EQ(last_trap.rip, NONCANONICAL);
    ASSERT_EQ(last_trap.cs & 0xffff, FLAT_KERNEL_CS & ~3);
    ASSERT_EQ(desc_failsafe_frame[6], ~0ULL); /* the failsafe callback did not run */
    /* and a good frame still lands */
    ASSERT_EQ(desc_iret_probe(landing, FLAT_KERNEL_CS & ~3, FLAT_KERNEL_SS) & 0xffff, FLAT_KERNEL_CS);
    pv_vcpu_info(0)->evtchn_upcall_mask = 0;
}
