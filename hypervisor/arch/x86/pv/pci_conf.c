/*
 * PCI configuration space for the hardware domain through the conf1 ports (0xCF8 address,
 * 0xCFC-0xCFF data). The address register is shadowed per domain and every data access is
 * carried out under one lock with the domain's address, so dom0's vCPUs and the hypervisor
 * never interleave. Reads pass through; writes only reach the registers enumeration needs
 * (command, cache line and latency, BARs and bridge bus numbers, expansion ROM, interrupt
 * line): interrupt delivery (MSI, MSI-X capabilities) stays the hypervisor's to program.
 * A 32-bit memory BAR (or expansion ROM) may not be placed over RAM: Linux in dom0 sees the
 * RAM it was not given as a hole free for devices, and firmware like qboot leaves BARs for it
 * to assign. (64-bit BARs are not checked yet.)
 */
#include <tern/domain.h>
#include <tern/printk.h>
#include <tern/spinlock.h>
#include <asm/page.h>
#include <asm/processor.h>
#include <asm/pv_iomem.h>

#define CONF_ADDR 0xcf8
#define CONF_DATA 0xcfc
#define CONF_ENABLE (1u << 31)

static DEFINE_SPINLOCK(conf_lock);

bool pci_conf_port(uint16_t port, unsigned int size)
{
    return (port == CONF_ADDR && size == 4) || (port >= CONF_DATA && port + size <= CONF_DATA + 4);
}

/* Registers 0x04-0x0f (command, status, class, cache line, latency, header type, BIST) and
 * 0x10-0x3f (BARs, bridge bus numbers and windows, ROM, interrupt line/pin) of the header. */
static bool write_allowed(uint32_t reg, unsigned int size)
{
    return reg >= 0x04 && reg + size <= 0x40;
}

/* Caller holds conf_lock; addr selects the register. */
static uint32_t raw_read(uint32_t addr)
{
    outl(CONF_ADDR, addr & ~3u);
    return inl(CONF_DATA);
}

/* A dword write that would move a 32-bit memory BAR or the ROM over RAM. */
static bool bar_over_ram(uint32_t addr, uint32_t v)
{
    uint32_t reg = addr & 0xfc, header = (raw_read((addr & ~0xffu) | 0x0c) >> 16) & 0x7f;
    uint32_t cur = raw_read(addr), base;
    bool rom = reg == (header == 1 ? 0x38u : 0x30u);
    bool bar = reg >= 0x10 && reg < (header == 1 ? 0x18u : 0x28u);

    if (!rom && (!bar || (cur & 1) || (cur & 6) != 0))
        return false; /* not a BAR, an I/O BAR, or a 64-bit one */
    base = v & (rom ? 0xfffff800u : 0xfffffff0u);
    if (!base || v == 0xffffffffu || (rom && v == 0xfffff800u))
        return false; /* cleared, or sized */
    return !iomem_is_io_frame(PFN_DOWN((paddr_t)base));
}

uint32_t pci_conf_read(struct domain *d, uint16_t port, unsigned int size)
{
    uint32_t addr = __atomic_load_n(&d->pci_cf8, __ATOMIC_RELAXED), v;
    unsigned long flags;

    if (port == CONF_ADDR)
        return addr;
    if (!(addr & CONF_ENABLE))
        return ~0u;
    spin_lock_irqsave(&conf_lock, flags);
    outl(CONF_ADDR, addr & ~3u);
    v = ioport_hw_read(port, size);
    spin_unlock_irqrestore(&conf_lock, flags);
    return v;
}

void pci_conf_write(struct domain *d, uint16_t port, unsigned int size, uint32_t v)
{
    uint32_t addr = __atomic_load_n(&d->pci_cf8, __ATOMIC_RELAXED);
    unsigned long flags;

    if (port == CONF_ADDR) {
        __atomic_store_n(&d->pci_cf8, v, __ATOMIC_RELAXED);
        return;
    }
    if (!(addr & CONF_ENABLE) || !write_allowed((addr & 0xfc) + (port & 3u), size))
        return; /* dropped, as a write to a register that is not there */
    spin_lock_irqsave(&conf_lock, flags);
    if (size == 4 && port == CONF_DATA && bar_over_ram(addr, v)) {
        spin_unlock_irqrestore(&conf_lock, flags);
        printk(KERN_WARN "d%u: PCI %02x:%02x.%u register %#x: BAR at %#x refused, that is RAM\n",
               d->domid, (addr >> 16) & 0xff, (addr >> 11) & 0x1f, (addr >> 8) & 7, addr & 0xfc, v);
        return;
    }
    outl(CONF_ADDR, addr & ~3u);
    ioport_hw_write(port, size, v);
    spin_unlock_irqrestore(&conf_lock, flags);
}
