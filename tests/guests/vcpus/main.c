/*
 * vcpus: VCPUOP_initialise and up for a second vCPU (run with tern.vcpus=2) that reports
 * back; is_up, down and up again; runstate area and vcpu_info registration; bad vcpu ids.
 * With one vCPU only the single-vCPU checks run.
 */
#include "desc.h"

const char test_title[] = "vcpu_op: initialise/up/is_up/down, runstate area, register_vcpu_info";

static struct vcpu_guest_context ctx;
static uint8_t ap_stack[8192] __attribute__((aligned(16)));
static uint8_t vinfo_page[4096] __attribute__((aligned(4096)));
static volatile uint64_t ap_counter, ap_reported;
static volatile int ap_stop;
static struct vcpu_runstate_info runstate;
static uint64_t ap_gdt[512] __attribute__((aligned(4096))); /* vCPU 1's GDT, from its context */
static volatile uint64_t ap_es;
#define AP_DATA_SEL ((5 << 3) | 3)

static void __attribute__((noreturn, used)) ap_main(uint64_t magic)
{
    uint16_t es;
    /* a selector of the GDT given in the context: it would fault without that GDT */
    asm volatile("mov %1, %%es; mov %%es, %0" : "=r"(es) : "r"((uint16_t)AP_DATA_SEL));
    ap_es = es;
    guest_printf("vcpus: vCPU 1 running (magic %#llx)\n", (unsigned long long)magic);
    ap_reported = magic;
    for (;;) {
        ap_counter++;
        if (ap_stop)
            hypervisor_vcpu_op(VCPUOP_down, 1, NULL); /* returns when brought up again */
        hypervisor_sched_op(SCHEDOP_yield, NULL);
    }
}

static bool wait_for(volatile uint64_t *p, uint64_t above)
{
    for (unsigned int i = 0; i < 200000; i++) {
        if (*p > above)
            return true;
        hypervisor_sched_op(SCHEDOP_yield, NULL);
    }
    return false;
}

static void check_single_vcpu_ops(void)
{
    struct vcpu_register_runstate_memory_area rs = { .addr.v = &runstate };
    struct vcpu_register_vcpu_info ri;

    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_is_up, 0, NULL), 1);
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_register_runstate_memory_area, 0, &rs), 0);
    ASSERT_EQ(runstate.state, RUNSTATE_running);
    ASSERT(runstate.state_entry_time != 0);
    /* off the CPU for a moment: the area is rewritten when the vCPU runs again */
    uint64_t entered = runstate.state_entry_time;
    struct sched_poll sleep = { .nr_ports = 0, .timeout = pv_now() + 2000000ULL };
    ASSERT_RC(hypervisor_sched_op(SCHEDOP_poll, &sleep), 0);
    ASSERT(runstate.state_entry_time > entered);
    ASSERT(runstate.time[RUNSTATE_running] != 0);
    rs.addr.p = 0xffff830000000000ULL;
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_register_runstate_memory_area, 0, &rs), -XEN_EINVAL);
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_register_runstate_memory_area, 0, NULL), -XEN_EFAULT);

    ri.mfn = pv_virt_to_mfn(vinfo_page);
    ri.offset = 4096 - 32; /* the structure would cross the page */
    ri.rsvd = 0;
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_register_vcpu_info, 0, &ri), -XEN_EINVAL);
    ri.offset = 0;
    ri.mfn = 1; /* not our frame */
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_register_vcpu_info, 0, &ri), -XEN_EINVAL);

    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_is_up, 8, NULL), -XEN_ENOENT);
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_up, 100, NULL), -XEN_ENOENT);
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_is_up, ~0U, NULL), -XEN_ENOENT);
    ASSERT_RC(hypervisor_vcpu_op(99, 0, NULL), -XEN_ENOSYS);
}

static void check_second_vcpu(void)
{
    struct vcpu_register_vcpu_info ri = { .mfn = pv_virt_to_mfn(vinfo_page), .offset = 128 };
    const struct vcpu_info *vi = (const struct vcpu_info *)(vinfo_page + 128);
    uint64_t seen;

    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_is_up, 1, NULL), 0);
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_up, 1, NULL), -XEN_EINVAL); /* no context yet */
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_initialise, 1, NULL), -XEN_EFAULT);
    ctx.user_regs.rip = 0x8000000000000000ULL;
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_initialise, 1, &ctx), -XEN_EINVAL);

    memset(&ctx, 0, sizeof(ctx));
    ctx.user_regs.rip = (uint64_t)(uintptr_t)ap_main;
    ctx.user_regs.rsp = (uint64_t)(uintptr_t)(ap_stack + sizeof(ap_stack) - 8);
    ctx.user_regs.rdi = 0xa11ce;
    ctx.ctrlreg[3] = xen_pfn_to_cr3(pv_virt_to_mfn((void *)(uintptr_t)start_info->pt_base));
    ctx.kernel_sp = ctx.user_regs.rsp;
    ap_gdt[5] = DATA(3);
    ASSERT_RC(pv_set_page_rw(ap_gdt, false), 0);
    ctx.gdt_frames[0] = pv_virt_to_mfn(ap_gdt);
    ctx.gdt_ents = 512;
    ctx.ldt_ents = 1; /* an LDT at an unaligned address is refused */
    ctx.ldt_base = 8;
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_initialise, 1, &ctx), -XEN_EINVAL);
    ctx.ldt_ents = 0;
    ctx.ldt_base = 0;
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_initialise, 1, &ctx), 0);
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_initialise, 1, &ctx), -XEN_EEXIST);
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_register_vcpu_info, 1, &ri), 0);
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_register_vcpu_info, 1, &ri), -XEN_EINVAL); /* once */
    ASSERT(vi->time.tsc_to_system_mul != 0);
    ASSERT_EQ(vi->time.version & 1, 0);

    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_up, 1, NULL), 0);
    if (!wait_for(&ap_counter, 0))
        test_failure_exit("vCPU 1 never ran");
    ASSERT_EQ(ap_reported, 0xa11ce);
    ASSERT_EQ(ap_es, AP_DATA_SEL);
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_is_up, 1, NULL), 1);

    /* down from inside: it stops counting; up again: it resumes where it stopped */
    ap_stop = 1;
    for (unsigned int i = 0; i < 100000 && hypervisor_vcpu_op(VCPUOP_is_up, 1, NULL); i++)
        hypervisor_sched_op(SCHEDOP_yield, NULL);
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_is_up, 1, NULL), 0);
    seen = ap_counter;
    for (unsigned int i = 0; i < 200; i++)
        hypervisor_sched_op(SCHEDOP_yield, NULL);
    ASSERT_EQ(ap_counter, seen);
    ap_stop = 0;
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_up, 1, NULL), 0);
    if (!wait_for(&ap_counter, seen))
        test_fail("vCPU 1 did not resume after VCPUOP_up");
    /* down from outside */
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_down, 1, NULL), 0);
    ASSERT_RC(hypervisor_vcpu_op(VCPUOP_is_up, 1, NULL), 0);
}

void test_main(void)
{
    pv_map_shared_info();
    check_single_vcpu_ops();
    if (hypervisor_vcpu_op(VCPUOP_is_up, 1, NULL) == -XEN_ENOENT) {
        guest_printf("vcpus: one vCPU; the second-vCPU checks need tern.vcpus=2\n");
        return;
    }
    check_second_vcpu();
}
