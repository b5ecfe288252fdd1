/* segbase: set_segment_base for fs, kernel gs, user gs and the user gs selector. */
#include "pv.h"

const char test_title[] = "set_segment_base: fs and gs bases take effect; bad requests refused";

static volatile uint64_t fs_word = 0xf5f5f5f5f5f5f5f5ULL, gs_word = 0x6565656565656565ULL;
static volatile uint64_t other_word = 0x0123456789abcdefULL;

static uint64_t read_fs0(void)
{
    uint64_t v;

    __asm__ volatile("mov %%fs:0, %0" : "=r"(v));
    return v;
}

static uint64_t read_gs0(void)
{
    uint64_t v;

    __asm__ volatile("mov %%gs:0, %0" : "=r"(v));
    return v;
}

void test_main(void)
{
    ASSERT_RC(hypercall2(__HYPERVISOR_set_segment_base, SEGBASE_FS, &fs_word), 0);
    ASSERT_EQ(read_fs0(), fs_word);
    ASSERT_RC(hypercall2(__HYPERVISOR_set_segment_base, SEGBASE_GS_KERNEL, &gs_word), 0);
    ASSERT_EQ(read_gs0(), gs_word);
    /* the user base does not disturb the kernel's, and survives a reschedule */
    ASSERT_RC(hypercall2(__HYPERVISOR_set_segment_base, SEGBASE_GS_USER, &other_word), 0);
    ASSERT_EQ(read_gs0(), gs_word);
    ASSERT_RC(hypervisor_sched_op(SCHEDOP_yield, NULL), 0);
    ASSERT_EQ(read_gs0(), gs_word);
    ASSERT_EQ(read_fs0(), fs_word);
    ASSERT_RC(hypercall2(__HYPERVISOR_set_segment_base, SEGBASE_FS, &other_word), 0);
    ASSERT_EQ(read_fs0(), other_word);
    ASSERT_RC(hypercall2(__HYPERVISOR_set_segment_base, SEGBASE_GS_USER_SEL, 0), 0);

    ASSERT_RC(hypercall2(__HYPERVISOR_set_segment_base, SEGBASE_GS_USER_SEL, 0x2b), -XEN_EINVAL);
    ASSERT_RC(hypercall2(__HYPERVISOR_set_segment_base, SEGBASE_FS, 0x8000000000000000ULL), -XEN_EINVAL);
    ASSERT_RC(hypercall2(__HYPERVISOR_set_segment_base, SEGBASE_GS_KERNEL, 0x0000800000000000ULL), -XEN_EINVAL);
    ASSERT_RC(hypercall2(__HYPERVISOR_set_segment_base, 4, 0), -XEN_EINVAL);
    ASSERT_EQ(read_fs0(), other_word); /* refused calls changed nothing */
    ASSERT_EQ(read_gs0(), gs_word);
}
