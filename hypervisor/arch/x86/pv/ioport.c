/*
 * Port I/O of the hardware domain: its kernel's in/out (emulated, as it runs without a real
 * IOPL) reach the machine, except the ports of the devices the hypervisor drives itself.
 */
#include <tern/types.h>
#include <asm/processor.h>
#include <asm/pv_iomem.h>

static const struct {
    uint16_t first, last;
} hypervisor_ports[] = {
    { 0x20, 0x23 },   /* master PIC, IMCR */
    { 0x40, 0x43 },   /* PIT */
    { 0x61, 0x61 },   /* PIT gate and speaker */
    { 0xa0, 0xa1 },   /* slave PIC */
    { 0xf4, 0xf4 },   /* QEMU's debug exit: the host's exit status */
    { 0x3f8, 0x3ff }, /* COM1, the hypervisor's console */
    { 0x4d0, 0x4d1 }, /* ELCR: edge/level of ISA IRQs */
    { 0xcf9, 0xcf9 }, /* reset control */
};

bool ioport_hw_allowed(uint16_t port, unsigned int size)
{
    unsigned int last = port + size - 1;

    if (last > 0xffff)
        return false;
    for (unsigned int i = 0; i < sizeof(hypervisor_ports) / sizeof(hypervisor_ports[0]); i++)
        if (port <= hypervisor_ports[i].last && last >= hypervisor_ports[i].first)
            return false;
    return true;
}

uint32_t ioport_hw_read(uint16_t port, unsigned int size)
{
    return size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
}

void ioport_hw_write(uint16_t port, unsigned int size, uint32_t v)
{
    if (size == 1)
        outb(port, (uint8_t)v);
    else if (size == 2)
        outw(port, (uint16_t)v);
    else
        outl(port, v);
}
