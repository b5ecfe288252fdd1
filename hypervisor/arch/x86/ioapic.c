/* I/O APICs from the MADT: everything masked at boot, ISA IRQs routed on request. */
#include <tern/acpi.h>
#include <tern/errno.h>
#include <tern/irq.h>
#include <tern/mm.h>
#include <tern/printk.h>
#include <tern/ioapic.h>
#include <tern/spinlock.h>

#define IOREGSEL 0x00
#define IOWIN    0x10
#define REG_VER  0x01
#define REG_RTE(n) (0x10 + 2 * (n))
#define RTE_MASKED      (1u << 16)
#define RTE_LEVEL       (1u << 15)
#define RTE_ACTIVE_LOW  (1u << 13)

static struct {
    volatile uint32_t *mmio;
    uint32_t gsi_base;
    unsigned int nr_pins;
} ioapics[MAX_IOAPICS];
static unsigned int nr_ioapics;
static DEFINE_SPINLOCK(ioapic_lock);
/* The low word of each GSI's entry as last written, and the GSIs the hypervisor drives. */
static uint32_t gsi_lo[MAX_GSIS];
static bool gsi_hypervisor[MAX_GSIS];

static uint32_t io_read(unsigned int i, uint32_t reg)
{
    ioapics[i].mmio[IOREGSEL / 4] = reg;
    return ioapics[i].mmio[IOWIN / 4];
}

static void io_write(unsigned int i, uint32_t reg, uint32_t v)
{
    ioapics[i].mmio[IOREGSEL / 4] = reg;
    ioapics[i].mmio[IOWIN / 4] = v;
}

static void write_rte(unsigned int i, unsigned int pin, uint32_t lo, uint32_t hi)
{
    unsigned long flags;
    uint32_t gsi = ioapics[i].gsi_base + pin;

    spin_lock_irqsave(&ioapic_lock, flags);
    if (gsi < MAX_GSIS)
        gsi_lo[gsi] = lo;
    io_write(i, REG_RTE(pin), RTE_MASKED); /* mask while the halves disagree */
    io_write(i, REG_RTE(pin) + 1, hi);
    io_write(i, REG_RTE(pin), lo);
    spin_unlock_irqrestore(&ioapic_lock, flags);
}

void ioapic_init(void)
{
    for (unsigned int i = 0; i < acpi_info.nr_ioapics && i < MAX_IOAPICS; i++) {
        ioapics[i].mmio = ioremap(acpi_info.ioapics[i].base, 4096);
        ioapics[i].gsi_base = acpi_info.ioapics[i].gsi_base;
        ioapics[i].nr_pins = ((io_read(i, REG_VER) >> 16) & 0xff) + 1;
        for (unsigned int pin = 0; pin < ioapics[i].nr_pins; pin++)
            write_rte(i, pin, RTE_MASKED, 0);
        pr_info("IOAPIC %u: base %#lx, GSI %u-%u\n", i, (unsigned long)acpi_info.ioapics[i].base,
                ioapics[i].gsi_base, ioapics[i].gsi_base + ioapics[i].nr_pins - 1);
        nr_ioapics++;
    }
}

int ioapic_route_isa_irq(unsigned int irq, unsigned int vector, uint32_t dest_apic_id)
{
    uint32_t gsi = acpi_info.isa_gsi[irq & 15];
    uint16_t fl = acpi_info.isa_flags[irq & 15];
    uint32_t lo = vector;

    /* MPS flags: polarity bits 0-1 (3 = active low), trigger bits 2-3 (3 = level) */
    if ((fl & 3) == 3)
        lo |= RTE_ACTIVE_LOW;
    if (((fl >> 2) & 3) == 3)
        lo |= RTE_LEVEL;
    for (unsigned int i = 0; i < nr_ioapics; i++) {
        if (gsi >= ioapics[i].gsi_base && gsi < ioapics[i].gsi_base + ioapics[i].nr_pins) {
            write_rte(i, gsi - ioapics[i].gsi_base, lo, dest_apic_id << 24);
            if (gsi < MAX_GSIS)
                gsi_hypervisor[gsi] = true;
            return 0;
        }
    }
    return -ENODEV;
}

static int find_pin(uint32_t gsi, unsigned int *io, unsigned int *pin)
{
    for (unsigned int i = 0; i < nr_ioapics; i++)
        if (gsi >= ioapics[i].gsi_base && gsi < ioapics[i].gsi_base + ioapics[i].nr_pins) {
            *io = i;
            *pin = gsi - ioapics[i].gsi_base;
            return 0;
        }
    return -ENODEV;
}

void ioapic_reserve_gsi(uint32_t gsi)
{
    if (gsi < MAX_GSIS)
        gsi_hypervisor[gsi] = true;
}

bool ioapic_gsi_available(uint32_t gsi)
{
    unsigned int io, pin;

    return gsi < MAX_GSIS && !gsi_hypervisor[gsi] && !find_pin(gsi, &io, &pin);
}

int ioapic_route_gsi(uint32_t gsi, unsigned int vector, uint32_t dest_apic_id, bool level, bool active_low)
{
    unsigned int io, pin;
    uint32_t lo = vector | RTE_MASKED | (level ? RTE_LEVEL : 0) | (active_low ? RTE_ACTIVE_LOW : 0);

    if (!ioapic_gsi_available(gsi) || find_pin(gsi, &io, &pin))
        return -ENODEV;
    write_rte(io, pin, lo, dest_apic_id << 24);
    return 0;
}

void ioapic_mask_gsi(uint32_t gsi, bool masked)
{
    unsigned int io, pin;
    unsigned long flags;

    if (gsi >= MAX_GSIS || find_pin(gsi, &io, &pin))
        return;
    spin_lock_irqsave(&ioapic_lock, flags);
    gsi_lo[gsi] = masked ? gsi_lo[gsi] | RTE_MASKED : gsi_lo[gsi] & ~RTE_MASKED;
    io_write(io, REG_RTE(pin), gsi_lo[gsi]);
    spin_unlock_irqrestore(&ioapic_lock, flags);
}
