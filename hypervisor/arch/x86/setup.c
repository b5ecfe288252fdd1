/* start_hypervisor: the boot sequence of the bootstrap processor, in order. */
#include <tern/acpi.h>
#include <tern/event.h>
#include <tern/bootinfo.h>
#include <tern/bug.h>
#include <tern/cpufeature.h>
#include <tern/init.h>
#include <tern/ioapic.h>
#include <asm/pv_irq.h>
#include <tern/irq.h>
#include <tern/lib.h>
#include <tern/mm.h>
#include <tern/percpu.h>
#include <tern/printk.h>
#include <tern/selftest.h>
#include <tern/serial.h>
#include <tern/shutdown.h>
#include <tern/smp.h>
#include <tern/time.h>
#include <tern/timer.h>
#include <asm/apic.h>
#include <asm/desc.h>
#include <asm/page.h>
#include <asm/processor.h>
#include <asm/pv.h>
#include <asm/pv_build.h>
#include <tern/sched.h>

extern char __image_start[], __image_end[], __bss_start[], __bss_end[];
extern char boot_stack_top[];
void start_hypervisor(uint32_t magic, paddr_t info);

static void report_param_error(const char *msg, const char *word)
{
    pr_warn("cmdline: %s: '%s'\n", msg, word);
}

void boot_params_parse(const char *cmdline)
{
    extern const struct boot_param __boot_params_start[], __boot_params_end[];

    cmdline_parse(cmdline, __boot_params_start,
                  (size_t)(__boot_params_end - __boot_params_start), report_param_error);
}

/* Boot allocations start above everything the loader put in memory. */
static paddr_t first_free_address(void)
{
    paddr_t end = __pa(__image_end);

    end = max(end, boot_info.info_end);
    for (unsigned int i = 0; i < boot_info.nr_modules; i++)
        end = max(end, boot_info.modules[i].end);
    return ALIGN_UP(end, PAGE_SIZE);
}

static paddr_t usable_end_from(paddr_t start)
{
    for (unsigned int i = 0; i < boot_info.nr_ranges; i++) {
        const struct mem_range *r = &boot_info.ranges[i];
        if (r->type == MEM_USABLE && start >= r->start && start < r->start + r->len)
            return min((paddr_t)(r->start + r->len), (paddr_t)(4ul << 30));
    }
    panic("no usable memory after the hypervisor image at %#lx", (unsigned long)start);
}

static void describe_modules(void)
{
    for (unsigned int i = 0; i < boot_info.nr_modules; i++) {
        const struct boot_module *m = &boot_info.modules[i];
        pr_info("module %u: %#lx-%#lx (%lu bytes) '%s'\n", i, (unsigned long)m->start,
                (unsigned long)m->end, (unsigned long)(m->end - m->start), m->cmdline);
    }
}

static void print_memory_map(void)
{
    for (unsigned int i = 0; i < boot_info.nr_ranges; i++) {
        const struct mem_range *r = &boot_info.ranges[i];
        pr_debug(" %016lx-%016lx type %u\n", (unsigned long)r->start,
                 (unsigned long)(r->start + r->len), r->type);
    }
}

static void serial_rx_interrupt(struct cpu_user_regs *regs)
{
    int c;
    /* Input has no consumer until guests exist; drain it so the UART keeps interrupting. */
    while ((c = serial_getc()) >= 0)
        console_serial_input(c);
}

void start_hypervisor(uint32_t magic, paddr_t info)
{
    struct cpu_info *ci = get_cpu_info();
    int rc;

    ci->cpu_id = 0;
    serial_init(115200);
    rc = bootinfo_parse(magic, info);
    printk(KERN_ALWAYS "Tern hypervisor %s booting (%s)\n", TERN_VERSION, rc ? "unknown loader" : boot_info.protocol);
    if (rc)
        panic("not started by a multiboot loader (magic %#x)", magic);
    printk("Command line: %s\n", boot_info.cmdline);
    boot_params_parse(boot_info.cmdline);
    cpu_detect_features(&boot_cpu);
    cpu_print_features(&boot_cpu);
    print_memory_map();
    describe_modules();

    acpi_parse(); /* while the boot map still covers low memory */
    {
        paddr_t start = first_free_address();
        early_alloc_init(start, usable_end_from(start));
    }
    paging_init();
    frames_init();
    idt_init();
    BUG_ON(cpu_desc_init(0, ci));
    BUG_ON(percpu_alloc(0));
    ci->per_cpu_offset = __per_cpu_offset[0];

    irq_init();
    apic_init_bsp(acpi_info.lapic_base ? acpi_info.lapic_base : 0xfee00000);
    ci->apic_id = apic_current_id();
    ioapic_init();
    time_init_hpet();
    time_calibrate();
    rtc_init();
    timers_init();
    sched_init();
    BUG_ON(pv_init());
    BUG_ON(pv_cpu_init(0));
    smp_init_ipis();
    pirq_init();
    set_irq_handler(ISA_IRQ_VECTOR(SERIAL_IRQ), serial_rx_interrupt);
    if (!ioapic_route_isa_irq(SERIAL_IRQ, ISA_IRQ_VECTOR(SERIAL_IRQ), ci->apic_id))
        serial_enable_rx_irq();
    local_irq_enable();

    for (unsigned int cpu = 1; cpu < NR_CPUS && cpu < acpi_info.nr_cpus; cpu++)
        BUG_ON(percpu_alloc(cpu));
    smp_boot_cpus();

    printk(KERN_ALWAYS "Tern %s: %lu KiB RAM usable (%lu MiB), %lu KiB free; %u of %u CPUs online\n",
           TERN_VERSION, (unsigned long)(bootinfo_usable_bytes() >> 10),
           (unsigned long)(bootinfo_usable_bytes() >> 20),
           (unsigned long)(frames_free_pages() * 4), nr_cpus_online,
           acpi_info.nr_cpus ? acpi_info.nr_cpus : 1);
    printk(KERN_ALWAYS "hypervisor ready (%lu ms since the TSC was calibrated)\n",
           (unsigned long)(NOW() / 1000000));

    selftests_start();
    pv_boot_domains();
    idle_loop();
}
