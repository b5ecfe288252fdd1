/* Machine I/O memory and the hardware domain (arch/x86/pv/iomem.c). */
#ifndef ASM_PV_IOMEM_H
#define ASM_PV_IOMEM_H

#include <tern/types.h>

/* Not usable RAM in the firmware's memory map: I/O space, firmware, holes. */
bool iomem_is_io_frame(mfn_t mfn);
/* The hardware domain may map every I/O frame but the hypervisor's own devices. */
bool iomem_may_map(uint32_t domid, mfn_t mfn, bool writable);
bool iomem_may_set_cache_attrs(uint32_t domid);
/* The HPET: the hypervisor's timer, which dom0's ACPI tables read (mapped read-only). */
bool iomem_read_only(mfn_t mfn);
long iomem_machine_memory_map(uint64_t arg);

/* PCI configuration space through the conf1 ports, for the hardware domain (pci_conf.c). */
struct domain;
bool pci_conf_port(uint16_t port, unsigned int size);
uint32_t pci_conf_read(struct domain *d, uint16_t port, unsigned int size);
void pci_conf_write(struct domain *d, uint16_t port, unsigned int size, uint32_t v);

/* Port I/O the hardware domain may do on the machine (ioport.c). */
bool ioport_hw_allowed(uint16_t port, unsigned int size);
uint32_t ioport_hw_read(uint16_t port, unsigned int size);
void ioport_hw_write(uint16_t port, unsigned int size, uint32_t v);

#endif
