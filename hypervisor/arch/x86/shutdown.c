/* Powering off: QEMU's isa-debug-exit (with a status) or ACPI S5, then halt; resetting. */
#include <tern/acpi.h>
#include <tern/init.h>
#include <tern/lib.h>
#include <tern/printk.h>
#include <tern/shutdown.h>
#include <asm/processor.h>

#define DEBUG_EXIT_PORT 0xf4

static char opt_exit[16] = "acpi";
BOOT_PARAM_STR("exit", opt_exit);

void machine_halt_forever(void)
{
    local_irq_disable();
    for (;;)
        halt();
}

static void acpi_poweroff(void)
{
    uint16_t v = (uint16_t)((acpi_info.slp_typ_s5 << 10) | (1u << 13)); /* SLP_TYP | SLP_EN */

    if (!acpi_info.pm1a_cnt_port || !acpi_info.have_s5)
        return;
    outw(acpi_info.pm1a_cnt_port, v);
    if (acpi_info.pm1b_cnt_port)
        outw(acpi_info.pm1b_cnt_port, v);
}

void machine_exit(int status)
{
    local_irq_disable();
    printk(KERN_ALWAYS "Exiting with status %d\n", status);
    if (!strcmp(opt_exit, "debug"))
        outb(DEBUG_EXIT_PORT, (uint8_t)status); /* QEMU exits with (status << 1) | 1 */
    acpi_poweroff();
    printk("Power-off did not happen: halting\n");
    machine_halt_forever();
}

void machine_reboot(void)
{
    local_irq_disable();
    outb(0xcf9, 0x02); /* the PCI reset control register: a hard reset */
    outb(0xcf9, 0x06);
    outb(0x64, 0xfe);  /* then the keyboard controller's reset line */
    printk("Reset did not happen: halting\n");
    machine_halt_forever();
}
