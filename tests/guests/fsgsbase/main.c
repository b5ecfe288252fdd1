/*
 * fsgsbase: the FSGSBASE instructions as on Xen. CPUID shows them only where the CPU has
 * them; they are #UD until the guest kernel sets CR4.FSGSBASE (and again once it clears it).
 * With it set they read and write the very bases rdmsr and set_segment_base see, those
 * survive switches to other domains, and user mode has a GS base of its own that the kernel
 * reads back from the shadow MSR after user code changed it.
 */
#include "pv.h"

const char test_title[] = "rdfsbase/wrfsbase/rdgsbase/wrgsbase under the guest's CR4.FSGSBASE";

#define CR4_FSGSBASE (1ul << 16)
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_SHADOW_GS_BASE 0xc0000102

static uint8_t kernel_stack[8192] __attribute__((aligned(16)));

void probe_rdfsbase(void *unused);
__asm__(".text\nprobe_rdfsbase:\n\tlea 1f(%rip), %rax\n\tmov %rax, trap_recover_rip(%rip)\n\t"
        "rdfsbase %rax\n1:\tmovq $0, trap_recover_rip(%rip)\n\tret\n");

static uint64_t cr4_read(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}

static void cr4_write(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr4" ::"r"(v) : "memory");
}

static uint64_t msr_read(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return lo | ((uint64_t)hi << 32);
}

static uint64_t rdfsbase(void)
{
    uint64_t v;
    __asm__ volatile("rdfsbase %0" : "=r"(v));
    return v;
}

static uint64_t rdgsbase(void)
{
    uint64_t v;
    __asm__ volatile("rdgsbase %0" : "=r"(v));
    return v;
}

/* User mode: reads its GS base into %rax, writes 0x7000 into it, then ends with a #UD. */
static void __attribute__((used, naked)) user_gs(void)
{
    __asm__ volatile("rdgsbase %rax\n\tmov $0x7000, %rbx\n\twrgsbase %rbx\n\tud2");
}

static void on_user_ud(struct trap_frame *f)
{
    user_return((long)f->rax);
}

void test_main(void)
{
    uint32_t a = 7, b, c = 0, d;
    bool has;

    traps_install();
    __asm__ volatile("ud2; .ascii \"xen\"; cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    has = b & 1;
    ASSERT(!(cr4_read() & CR4_FSGSBASE));
    ASSERT_EQ(trap_probe(probe_rdfsbase, NULL), 6); /* off in CR4: #UD */
    cr4_write(cr4_read() | CR4_FSGSBASE);
    ASSERT(cr4_read() & CR4_FSGSBASE); /* the guest reads back what it wrote */
    if (!has) {
        ASSERT_EQ(trap_probe(probe_rdfsbase, NULL), 6); /* the CPU has none: still #UD */
        guest_printf("fsgsbase: not on this CPU: hidden, #UD\n");
        return;
    }
    ASSERT_EQ(trap_probe(probe_rdfsbase, NULL), -1);

    __asm__ volatile("wrfsbase %0" ::"r"(0x1000ul));
    __asm__ volatile("wrgsbase %0" ::"r"(0x2000ul));
    ASSERT_EQ(rdfsbase(), 0x1000);
    ASSERT_EQ(msr_read(MSR_FS_BASE), 0x1000);
    ASSERT_EQ(msr_read(MSR_GS_BASE), 0x2000);
    ASSERT_RC(hypercall2(__HYPERVISOR_set_segment_base, SEGBASE_GS_USER, 0x3000), 0);
    ASSERT_EQ(msr_read(MSR_SHADOW_GS_BASE), 0x3000);

    /* other domains run in between: the bases come back as they were */
    for (unsigned int i = 0; i < 50; i++) {
        ASSERT_RC(hypervisor_sched_op(SCHEDOP_yield, NULL), 0);
        if (rdfsbase() != 0x1000 || rdgsbase() != 0x2000)
            test_fail("after yield %u: fs %#llx gs %#llx", i, (unsigned long long)rdfsbase(),
                      (unsigned long long)rdgsbase());
    }

    /* user mode sees its own GS base and changes it behind the kernel's back */
    ASSERT_RC(hypercall2(__HYPERVISOR_stack_switch, FLAT_KERNEL_SS, kernel_stack + sizeof(kernel_stack)), 0);
    trap_hooks[6] = on_user_ud;
    ASSERT_EQ(user_enter((uint64_t)(uintptr_t)user_gs, 0), 0x3000);
    trap_hooks[6] = NULL;
    ASSERT_EQ(rdgsbase(), 0x2000);
    ASSERT_EQ(msr_read(MSR_SHADOW_GS_BASE), 0x7000);

    cr4_write(cr4_read() & ~CR4_FSGSBASE);
    ASSERT_EQ(trap_probe(probe_rdfsbase, NULL), 6); /* off again */
    guest_printf("fsgsbase: on this CPU: shown, off until CR4 says, bases kept\n");
    events_disable();
}
