/* traps: set_trap_table, exceptions bounced to the guest's handlers and the iret back. */
#include "pv.h"

const char test_title[] = "set_trap_table, bounced #BP #DE #UD #PF #GP, int $n with DPL checks, iret";

static uint8_t unmapped[4096] __attribute__((aligned(4096)));
static volatile unsigned int divisor;

/* Each fault site has a recovery label right after it. */
static long run_int3(void)
{
    long rip;

    __asm__ volatile("lea 1f(%%rip), %0\n\tint3\n1:" : "=r"(rip)::"memory");
    return rip;
}

static void skip_ud2(struct trap_frame *f)
{
    const uint8_t *p = (const uint8_t *)(uintptr_t)f->rip;

    if (p[0] == 0x0f && p[1] == 0x0b)
        f->rip += 2;
    f->rax = 0x5a5a; /* the iret restores the register file we hand back */
}

/* Traps that report the next instruction need nothing done to return. */
static void soft_int_skip(struct trap_frame *f)
{
    (void)f;
}

static void check_breakpoint(void)
{
    unsigned int before = trap_count;
    long after;

    trap_hooks[3] = soft_int_skip;
    after = run_int3();
    trap_hooks[3] = NULL;

    ASSERT_EQ(trap_count, before + 1);
    ASSERT_EQ(last_trap.vector, 3);
    ASSERT_EQ(last_trap.rip, after); /* #BP reports the instruction after int3 */
    ASSERT_EQ(last_trap.cs & 3, 0);  /* kernel frames carry RPL 0 */
}

static void check_divide_error(void)
{
    uint64_t q = 0;

    divisor = 0;
    trap_recover_rip = 0;
    __asm__ volatile("lea 1f(%%rip), %%rax\n\tmov %%rax, trap_recover_rip(%%rip)\n\t"
                     "xor %%edx, %%edx\n\tmov $7, %%eax\n\tdivl %1\n1:"
                     : "=a"(q) : "m"(divisor) : "rdx", "memory");
    ASSERT_EQ(last_trap.vector, 0);
    (void)q;
}

static void check_invalid_opcode(void)
{
    long rax;

    trap_hooks[6] = skip_ud2;
    __asm__ volatile("mov $1, %%eax\n\tud2" : "=a"(rax)::"memory");
    trap_hooks[6] = NULL;
    ASSERT_EQ(last_trap.vector, 6);
    ASSERT_EQ(rax, 0x5a5a);
}

static void check_page_fault(void)
{
    uint64_t v;
    long rc = hypervisor_update_va_mapping((uint64_t)(uintptr_t)unmapped, 0, UVMF_INVLPG);

    ASSERT_RC(rc, 0);
    ASSERT_EQ(probe_read(unmapped + 0x123, &v), 14);
    ASSERT_EQ(last_trap.cr2, (uint64_t)(uintptr_t)(unmapped + 0x123));
    ASSERT_EQ(last_trap.error & 1, 0); /* not present */
    ASSERT_EQ(last_trap.error & 4, 0); /* from guest kernel mode */
    ASSERT_EQ(probe_write(unmapped + 8, 1), 14);
    ASSERT_EQ(last_trap.error & 2, 2); /* a write */
    /* read-only mapping: a write faults with P set */
    ASSERT_RC(hypervisor_update_va_mapping((uint64_t)(uintptr_t)unmapped,
                                           pv_virt_to_mfn(unmapped) << 12 | PTE_RO_FLAGS,
                                           UVMF_INVLPG), 0);
    ASSERT_EQ(probe_read(unmapped, &v), 0);
    ASSERT_EQ(probe_write(unmapped, 1), 14);
    ASSERT_EQ(last_trap.error & 3, 3);
}

static void check_software_interrupts(void)
{
    unsigned int before = trap_count;
    long after;

    /* DPL 3 entry: any mode may raise it; the handler sees the next instruction */
    trap_hooks[0x80] = soft_int_skip;
    __asm__ volatile("lea 1f(%%rip), %0\n\tint $0x80\n1:" : "=r"(after)::"memory");
    trap_hooks[0x80] = NULL;
    ASSERT_EQ(trap_count, before + 1);
    ASSERT_EQ(last_trap.vector, 0x80);
    ASSERT_EQ(last_trap.rip, after);

    /* DPL 0 entry: the guest kernel counts as ring 1, so this is #GP(vector << 3 | 2) */
    trap_recover_rip = 0;
    __asm__ volatile("lea 1f(%%rip), %%rax\n\tmov %%rax, trap_recover_rip(%%rip)\n\t"
                     "int $0x81\n1:" ::: "rax", "memory");
    ASSERT_EQ(last_trap.vector, 13);
    ASSERT_EQ(last_trap.error, 0x81 << 3 | 2);

    /* no entry at all for 0x82: #GP too */
    __asm__ volatile("lea 1f(%%rip), %%rax\n\tmov %%rax, trap_recover_rip(%%rip)\n\t"
                     "int $0x82\n1:" ::: "rax", "memory");
    ASSERT_EQ(last_trap.vector, 13);
    ASSERT_EQ(last_trap.error, 0x82 << 3 | 2);
}

static void check_bad_tables(void)
{
    struct trap_info bad[2] = {
        { .vector = 3, .cs = FLAT_KERNEL_CS, .address = 0xffff830000000000ULL },
        { 0 },
    };

    ASSERT_RC(hypercall1(__HYPERVISOR_set_trap_table, 0xffff830000000000ULL), -XEN_EFAULT);
    ASSERT_RC(hypercall1(__HYPERVISOR_set_trap_table, 0x10), -XEN_EFAULT);
    ASSERT_RC(hypercall1(__HYPERVISOR_set_trap_table, bad), -XEN_EINVAL);
    bad[0].address = 0x8000000000000000ULL; /* non-canonical */
    ASSERT_RC(hypercall1(__HYPERVISOR_set_trap_table, bad), -XEN_EINVAL);
}

void test_main(void)
{
    traps_install();
    check_bad_tables();
    check_breakpoint();     /* the refused tables above left the real one in place */
    check_divide_error();
    check_invalid_opcode();
    check_page_fault();
    check_software_interrupts();
    /* the iret restored flags too: events are still masked as at boot */
    ASSERT_EQ(pv_vcpu_info(0)->evtchn_upcall_mask, 1);
}
