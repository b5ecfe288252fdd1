/* Local APIC: x2APIC through MSRs when the CPU has it, else xAPIC through MMIO. */
#include <tern/bug.h>
#include <tern/init.h>
#include <tern/irq.h>
#include <tern/mm.h>
#include <tern/printk.h>
#include <asm/apic.h>
#include <asm/processor.h>

#define APIC_ID         0x020
#define APIC_TPR        0x080
#define APIC_EOI        0x0b0
#define APIC_SVR        0x0f0
#define APIC_ESR        0x280
#define APIC_ICR        0x300
#define APIC_ICR2       0x310
#define APIC_LVT_TIMER  0x320
#define APIC_LVT_LINT0  0x350
#define APIC_LVT_LINT1  0x360
#define APIC_LVT_ERROR  0x370
#define APIC_TMICT      0x380
#define APIC_TMCCT      0x390
#define APIC_TDCR       0x3e0

#define APIC_BASE_EXTD  (1ul << 10)
#define APIC_BASE_EN    (1ul << 11)
#define SVR_ENABLE      0x100
#define LVT_MASKED      0x10000
#define ICR_BUSY        0x1000

static volatile uint32_t *mmio;
static bool x2apic;
static bool opt_nox2apic;
BOOT_PARAM_BOOL("nox2apic", opt_nox2apic);

static uint32_t apic_read(unsigned int reg)
{
    return x2apic ? (uint32_t)rdmsr(0x800 + (reg >> 4)) : mmio[reg / 4];
}

static void apic_write(unsigned int reg, uint32_t v)
{
    if (x2apic)
        wrmsr(0x800 + (reg >> 4), v);
    else
        mmio[reg / 4] = v;
}

bool apic_x2apic_mode(void)
{
    return x2apic;
}

uint32_t apic_current_id(void)
{
    uint32_t id = apic_read(APIC_ID);
    return x2apic ? id : id >> 24;
}

void apic_eoi(void)
{
    apic_write(APIC_EOI, 0);
}

uint32_t apic_read_esr(void)
{
    apic_write(APIC_ESR, 0);
    return apic_read(APIC_ESR);
}

void apic_send_ipi(uint32_t apic_id, uint32_t mode_vector)
{
    unsigned long flags = local_irq_save();

    if (x2apic) {
        wrmsr(0x800 + (APIC_ICR >> 4), ((uint64_t)apic_id << 32) | mode_vector | 0x4000);
    } else {
        for (unsigned int i = 0; (apic_read(APIC_ICR) & ICR_BUSY) && i < 1000000; i++)
            cpu_relax();
        apic_write(APIC_ICR2, apic_id << 24);
        apic_write(APIC_ICR, mode_vector | 0x4000); /* level assert */
    }
    local_irq_restore(flags);
}

void apic_timer_oneshot(uint32_t ticks)
{
    apic_write(APIC_LVT_TIMER, TIMER_VECTOR);
    apic_write(APIC_TMICT, ticks);
}

uint32_t apic_timer_current(void)
{
    return apic_read(APIC_TMCCT);
}

void apic_timer_prepare_calibration(void)
{
    apic_write(APIC_TDCR, 0xb); /* divide by 1 */
    apic_write(APIC_LVT_TIMER, LVT_MASKED | TIMER_VECTOR);
    apic_write(APIC_TMICT, 0xffffffff);
}

void apic_init_cpu(void)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);

    if (x2apic)
        wrmsr(MSR_APIC_BASE, base | APIC_BASE_EN | APIC_BASE_EXTD);
    else
        wrmsr(MSR_APIC_BASE, base | APIC_BASE_EN);
    apic_write(APIC_TPR, 0);
    apic_write(APIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
    apic_write(APIC_LVT_TIMER, LVT_MASKED | TIMER_VECTOR);
    apic_write(APIC_TDCR, 0xb);
    apic_write(APIC_LVT_ERROR, ERROR_VECTOR);
    apic_write(APIC_ESR, 0);
    apic_write(APIC_ESR, 0);
    apic_eoi();
}

void apic_init_bsp(paddr_t mmio_base)
{
    uint32_t a, b, c, d;

    cpuid(1, &a, &b, &c, &d);
    x2apic = (c & (1u << 21)) && !opt_nox2apic;
    if (!x2apic) {
        mmio = ioremap(mmio_base, 4096);
        BUG_ON(!mmio);
    }
    /* The PIC stays masked: every interrupt comes through the APICs. */
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    apic_init_cpu();
    pr_info("APIC: %s mode, BSP APIC id %u\n", x2apic ? "x2APIC" : "xAPIC", apic_current_id());
}
