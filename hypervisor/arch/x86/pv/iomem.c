/*
 * Machine memory for the hardware domain: which frames are I/O space (any frame the
 * firmware's E820 does not wholly call usable RAM), which of those the hardware domain may map
 * (all but the interrupt controllers; the HPET, the hypervisor's timer, read-only), and the
 * machine memory map it reads to find them.
 */
#include <tern/acpi.h>
#include <tern/bootinfo.h>
#include <tern/domain.h>
#include <tern/errno.h>
#include <tern/lib.h>
#include <asm/current.h>
#include <asm/page.h>
#include <asm/pv_hypercall.h>
#include <asm/pv_iomem.h>
#include <asm/uaccess.h>
#include <public/memory.h>

bool iomem_is_io_frame(mfn_t mfn)
{
    paddr_t pa = (paddr_t)mfn << PAGE_SHIFT;

    for (unsigned int i = 0; i < boot_info.nr_ranges; i++) {
        const struct mem_range *r = &boot_info.ranges[i];
        if (r->type == MEM_USABLE && pa >= r->start && pa - r->start + PAGE_SIZE <= r->len)
            return false;
    }
    return true;
}

bool iomem_read_only(mfn_t mfn)
{
    return acpi_info.hpet_base && mfn == PFN_DOWN(acpi_info.hpet_base);
}

/* The hypervisor's own devices: the local APIC and the I/O APICs; the HPET read-only. */
static bool hypervisor_owns(mfn_t mfn, bool writable)
{
    mfn_t lapic = PFN_DOWN(acpi_info.lapic_base ? acpi_info.lapic_base : 0xFEE00000);

    if (mfn == lapic || (writable && iomem_read_only(mfn)))
        return true;
    for (unsigned int i = 0; i < acpi_info.nr_ioapics; i++)
        if (mfn == PFN_DOWN(acpi_info.ioapics[i].base))
            return true;
    return false;
}

static bool is_hardware_domain(uint32_t domid)
{
    struct domain *d = domain_by_id((uint16_t)domid);
    return d && d->is_privileged;
}

bool iomem_may_map(uint32_t domid, mfn_t mfn, bool writable)
{
    return !hypervisor_owns(mfn, writable) && is_hardware_domain(domid);
}

bool iomem_may_set_cache_attrs(uint32_t domid)
{
    return is_hardware_domain(domid);
}

/* XENMEM_machine_memory_map: the firmware's E820 as the boot loader passed it, cut to
 * the guest's buffer as Xen does. */
long iomem_machine_memory_map(uint64_t arg)
{
    struct xen_memory_map map;
    unsigned int n = 0;

    if (!current->domain->is_privileged)
        return -EPERM;
    if (copy_from_guest(&map, arg, sizeof(map)))
        return -EFAULT;
    for (unsigned int i = 0; i < boot_info.nr_ranges && n < map.nr_entries; i++, n++) {
        const struct mem_range *r = &boot_info.ranges[i];
        struct e820entry e = { r->start, r->len, r->type };
        if (copy_to_guest((uint64_t)map.buffer + n * sizeof(e), &e, sizeof(e)))
            return -EFAULT;
    }
    map.nr_entries = n;
    return copy_to_guest(arg, &map, sizeof(map));
}
