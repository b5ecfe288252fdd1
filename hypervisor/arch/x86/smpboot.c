/* Bringing up the application processors with INIT-SIPI-SIPI through the trampoline. */
#include <tern/acpi.h>
#include <tern/bootinfo.h>
#include <tern/bug.h>
#include <tern/init.h>
#include <tern/lib.h>
#include <tern/mm.h>
#include <tern/percpu.h>
#include <tern/printk.h>
#include <tern/smp.h>
#include <tern/time.h>
#include <tern/timer.h>
#include <asm/apic.h>
#include <asm/desc.h>
#include <asm/page.h>
#include <asm/processor.h>
#include <asm/pv.h>
#include <tern/sched.h>

extern char trampoline_start[], trampoline_end[], trampoline_pm32[];
extern char trampoline_gdt[], trampoline_gdt_base[], trampoline_jump[];
extern unsigned long ap_boot_stack;
void start_secondary(void);

static void flush_tlb_all_local(void *unused)
{
    flush_tlb_local();
}

unsigned int nr_cpus_online = 1;
uint32_t cpu_apic_id[NR_CPUS];
static volatile bool cpu_up[NR_CPUS];
static unsigned int opt_maxcpus = NR_CPUS;
BOOT_PARAM_UINT("maxcpus", opt_maxcpus);

bool cpu_online(unsigned int cpu)
{
    return cpu < NR_CPUS && cpu_up[cpu];
}

/* A page of conventional memory for the trampoline, clear of the loader's data. */
static paddr_t trampoline_page(void)
{
    for (paddr_t pa = 0x9e000; pa >= 0x1000; pa -= PAGE_SIZE) {
        bool ok = false;
        for (unsigned int i = 0; i < boot_info.nr_ranges; i++) {
            const struct mem_range *r = &boot_info.ranges[i];
            if (r->type == MEM_USABLE && pa >= r->start && pa + PAGE_SIZE <= r->start + r->len)
                ok = true;
        }
        if (pa + PAGE_SIZE > boot_info.info_start && pa < boot_info.info_end)
            ok = false;
        if (ok)
            return pa;
    }
    panic("no conventional memory for the SMP trampoline");
}

void start_secondary(void)
{
    struct cpu_info *ci = get_cpu_info();

    write_cr3(idle_pml4_pa());
    write_cr4(read_cr4() | X86_CR4_PGE);
    if (cpu_desc_init(ci->cpu_id, ci))
        panic("CPU %u: no memory for descriptor tables", ci->cpu_id);
    apic_init_cpu();
    sched_init_cpu(ci->cpu_id);
    if (pv_cpu_init(ci->cpu_id))
        panic("CPU %u: cannot set up guest entry", ci->cpu_id);
    __atomic_store_n(&cpu_up[ci->cpu_id], true, __ATOMIC_RELEASE);
    idle_loop();
}

static int boot_one(unsigned int cpu, uint32_t apic_id, paddr_t tramp)
{
    char *stack = alloc_xenheap_pages(STACK_ORDER);
    struct cpu_info *ci;
    s_time_t deadline;

    if (!stack)
        return -1;
    ci = (struct cpu_info *)(stack + STACK_SIZE - CPU_INFO_SIZE);
    ci->cpu_id = cpu;
    ci->apic_id = apic_id;
    ci->per_cpu_offset = __per_cpu_offset[cpu];
    if (timers_init_cpu(cpu))
        return -1;
    cpu_apic_id[cpu] = apic_id;
    __atomic_store_n(&ap_boot_stack, (unsigned long)ci, __ATOMIC_RELEASE);

    apic_send_ipi(apic_id, APIC_DM_INIT);
    udelay(10000);
    for (int i = 0; i < 2; i++) {
        apic_send_ipi(apic_id, APIC_DM_STARTUP | (uint32_t)(tramp >> 12));
        udelay(200);
    }
    deadline = NOW() + SECONDS(2);
    while (!__atomic_load_n(&cpu_up[cpu], __ATOMIC_ACQUIRE) && NOW() < deadline)
        cpu_relax();
    return cpu_up[cpu] ? 0 : -1;
}

void smp_boot_cpus(void)
{
    paddr_t tramp = trampoline_page();
    char *t = __va(tramp);
    uint32_t gdt_base, jump;
    uint32_t self = apic_current_id();
    unsigned int next = 1;

    cpu_apic_id[0] = self;
    cpu_up[0] = true;
    memcpy(t, trampoline_start, trampoline_end - trampoline_start);
    gdt_base = (uint32_t)tramp + (uint32_t)(trampoline_gdt - trampoline_start);
    jump = (uint32_t)tramp + (uint32_t)(trampoline_pm32 - trampoline_start);
    memcpy(t + (trampoline_gdt_base - trampoline_start), &gdt_base, 4);
    memcpy(t + (trampoline_jump - trampoline_start), &jump, 4);

    for (unsigned int i = 0; i < acpi_info.nr_cpus; i++) {
        uint32_t id = acpi_info.cpu_apic_ids[i];
        if (id == self)
            continue;
        if (next >= NR_CPUS || next >= opt_maxcpus) {
            pr_warn("smp: CPU with APIC id %u not started (limit %u)\n", id,
                    min_t(unsigned int, NR_CPUS, opt_maxcpus));
            continue;
        }
        if (boot_one(next, id, tramp)) {
            pr_err("smp: CPU with APIC id %u did not come up\n", id);
            continue;
        }
        next++;
    }
    nr_cpus_online = next;
    /* Low memory belongs to guests from now on. */
    paging_drop_identity();
    smp_call_function(flush_tlb_all_local, NULL);
}
