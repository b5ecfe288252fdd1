/*
 * fpu_switch: fills all 16 XMM registers and the x87 control word with a pattern unique to
 * this domain, yields many times and checks them after each yield. Run two copies on one
 * CPU so the hypervisor switches FPU state between them.
 */
#include "pv.h"

const char test_title[] = "FPU/SSE state preserved across context switches with another FPU user";

static uint64_t pattern[16][2] __attribute__((aligned(16)));
static uint64_t readback[16][2] __attribute__((aligned(16)));

#define XMM_ALL(op, base)                                                       \
    __asm__ volatile(op " 0(%0), %%xmm0\n\t" op " 16(%0), %%xmm1\n\t"           \
                     op " 32(%0), %%xmm2\n\t" op " 48(%0), %%xmm3\n\t"          \
                     op " 64(%0), %%xmm4\n\t" op " 80(%0), %%xmm5\n\t"          \
                     op " 96(%0), %%xmm6\n\t" op " 112(%0), %%xmm7\n\t"         \
                     op " 128(%0), %%xmm8\n\t" op " 144(%0), %%xmm9\n\t"        \
                     op " 160(%0), %%xmm10\n\t" op " 176(%0), %%xmm11\n\t"      \
                     op " 192(%0), %%xmm12\n\t" op " 208(%0), %%xmm13\n\t"      \
                     op " 224(%0), %%xmm14\n\t" op " 240(%0), %%xmm15"          \
                     ::"r"(base) : "memory")

static void store_all(void *base)
{
    __asm__ volatile("movdqa %%xmm0, 0(%0)\n\tmovdqa %%xmm1, 16(%0)\n\t"
                     "movdqa %%xmm2, 32(%0)\n\tmovdqa %%xmm3, 48(%0)\n\t"
                     "movdqa %%xmm4, 64(%0)\n\tmovdqa %%xmm5, 80(%0)\n\t"
                     "movdqa %%xmm6, 96(%0)\n\tmovdqa %%xmm7, 112(%0)\n\t"
                     "movdqa %%xmm8, 128(%0)\n\tmovdqa %%xmm9, 144(%0)\n\t"
                     "movdqa %%xmm10, 160(%0)\n\tmovdqa %%xmm11, 176(%0)\n\t"
                     "movdqa %%xmm12, 192(%0)\n\tmovdqa %%xmm13, 208(%0)\n\t"
                     "movdqa %%xmm14, 224(%0)\n\tmovdqa %%xmm15, 240(%0)"
                     ::"r"(base) : "memory");
}

void test_main(void)
{
    unsigned int dom = pv_domid(), bad = 0;
    uint16_t cw = (uint16_t)(0x027f | ((dom & 1) << 10)), cw_now; /* rounding mode per domain */
    uint64_t deadline;

    for (unsigned int i = 0; i < 16; i++) {
        pattern[i][0] = 0x0101010101010101ULL * (dom & 0xff) ^ ((uint64_t)i << 56);
        pattern[i][1] = ~pattern[i][0] + i;
    }
    XMM_ALL("movdqa", pattern);
    __asm__ volatile("fldcw %0" ::"m"(cw));
    /* a fixed number of yields, and long enough in time that the other copy runs too */
    deadline = pv_now() + 300000000ULL;
    for (unsigned int n = 0; n < 2000 || pv_now() < deadline; n++) {
        if (n > 200000)
            break;
        hypervisor_sched_op(SCHEDOP_yield, NULL);
        store_all(readback);
        __asm__ volatile("fnstcw %0" : "=m"(cw_now));
        if (memcmp(readback, pattern, sizeof(pattern)) || cw_now != cw) {
            bad++;
            XMM_ALL("movdqa", pattern);
            __asm__ volatile("fldcw %0" ::"m"(cw));
        }
    }
    ASSERT_EQ(bad, 0);
}
