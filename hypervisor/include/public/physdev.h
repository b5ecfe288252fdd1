/* Physical-device operations: __HYPERVISOR_physdev_op(int cmd, void *arg). */
#ifndef __XEN_PUBLIC_PHYSDEV_H__
#define __XEN_PUBLIC_PHYSDEV_H__

#include "xen.h"

/*
 * Most commands manage physical IRQs and PCI devices and are for dom0
 * (-EPERM otherwise). Those any PV guest uses:
 *  set_iopl          physdev_set_iopl; virtual IOPL 0-3 for port access
 *                    from guest kernel mode. -EINVAL if iopl > 3.
 *  set_iobitmap      physdev_set_iobitmap; per-port permission bitmap.
 *  irq_status_query  physdev_irq_status_query (OUT flags).
 *  eoi, pirq_eoi_gmfn_v1/v2: end-of-interrupt protocol for PIRQs.
 * Unknown commands: -ENOSYS.
 */
#define PHYSDEVOP_IRQ_UNMASK_NOTIFY  4
#define PHYSDEVOP_irq_status_query   5
#define PHYSDEVOP_set_iopl           6
#define PHYSDEVOP_set_iobitmap       7
#define PHYSDEVOP_apic_read          8
#define PHYSDEVOP_apic_write         9
#define PHYSDEVOP_alloc_irq_vector   10
#define PHYSDEVOP_free_irq_vector    11
#define PHYSDEVOP_eoi                12
#define PHYSDEVOP_map_pirq           13
#define PHYSDEVOP_unmap_pirq         14
#define PHYSDEVOP_manage_pci_add     15
#define PHYSDEVOP_manage_pci_remove  16
#define PHYSDEVOP_pirq_eoi_gmfn_v1   17
#define PHYSDEVOP_restore_msi        19
#define PHYSDEVOP_manage_pci_add_ext 20
#define PHYSDEVOP_setup_gsi          21
#define PHYSDEVOP_get_free_pirq      23
#define PHYSDEVOP_pci_mmcfg_reserved 24
#define PHYSDEVOP_pci_device_add     25
#define PHYSDEVOP_pci_device_remove  26
#define PHYSDEVOP_restore_msi_ext    27
#define PHYSDEVOP_pirq_eoi_gmfn_v2   28
#define PHYSDEVOP_dbgp_op            29
#define PHYSDEVOP_prepare_msix       30
#define PHYSDEVOP_release_msix       31
#define PHYSDEVOP_pci_device_reset   32
#define PHYSDEVOP_pirq_eoi_gmfn      PHYSDEVOP_pirq_eoi_gmfn_v2

/* irq_status_query flags */
#define _XENIRQSTAT_needs_eoi (0)
#define XENIRQSTAT_needs_eoi  (1U << _XENIRQSTAT_needs_eoi) /* call PHYSDEVOP_eoi */
#define _XENIRQSTAT_shared    (1)
#define XENIRQSTAT_shared     (1U << _XENIRQSTAT_shared)    /* shared with others */

#ifndef __ASSEMBLER__

struct physdev_eoi {
    uint32_t irq; /* IN */
};
typedef struct physdev_eoi physdev_eoi_t;
XEN_ABI_SIZE(struct physdev_eoi, 4);

struct physdev_pirq_eoi_gmfn {
    xen_pfn_t gmfn; /* IN: page H uses as a needs-EOI bitmap */
};
typedef struct physdev_pirq_eoi_gmfn physdev_pirq_eoi_gmfn_t;
XEN_ABI_SIZE(struct physdev_pirq_eoi_gmfn, 8);

struct physdev_irq_status_query {
    uint32_t irq;   /* IN */
    uint32_t flags; /* OUT: XENIRQSTAT_* */
};
typedef struct physdev_irq_status_query physdev_irq_status_query_t;
XEN_ABI_SIZE(struct physdev_irq_status_query, 8);

struct physdev_set_iopl {
    uint32_t iopl; /* IN: 0-3 */
};
typedef struct physdev_set_iopl physdev_set_iopl_t;
XEN_ABI_SIZE(struct physdev_set_iopl, 4);

/* H reads 2 bytes of bitmap whenever nr_ports > 0 (like the TSS bitmap). */
struct physdev_set_iobitmap {
    XEN_GUEST_HANDLE(uint8_t) bitmap; /* IN: bit set = port denied */
    uint32_t nr_ports;                /* IN: ports covered */
    uint32_t _pad0;
};
typedef struct physdev_set_iobitmap physdev_set_iobitmap_t;
XEN_ABI_SIZE(struct physdev_set_iobitmap, 16);
XEN_ABI_OFFSET(struct physdev_set_iobitmap, nr_ports, 8);

/* alloc_irq_vector: a kernel IRQ number for a physical IRQ (dom0); H picks the vector. */
struct physdev_irq {
    uint32_t irq;    /* IN */
    uint32_t vector; /* OUT */
};
typedef struct physdev_irq physdev_irq_t;
XEN_ABI_SIZE(struct physdev_irq, 8);

/* apic_read / apic_write: an I/O APIC register, by the APIC's physical base. */
struct physdev_apic {
    uint64_t apic_physbase; /* IN */
    uint32_t reg;           /* IN */
    uint32_t value;         /* IN (write) / OUT (read) */
};
typedef struct physdev_apic physdev_apic_t;
XEN_ABI_SIZE(struct physdev_apic, 16);

/* map_pirq: makes a physical interrupt source a PIRQ of domid (then EVTCHNOP_bind_pirq). */
#define MAP_PIRQ_TYPE_MSI       0
#define MAP_PIRQ_TYPE_GSI       1
#define MAP_PIRQ_TYPE_UNKNOWN   2
#define MAP_PIRQ_TYPE_MSI_SEG   3
#define MAP_PIRQ_TYPE_MULTI_MSI 4
struct physdev_map_pirq {
    domid_t domid;       /* IN */
    uint16_t _pad0;
    int32_t type;        /* IN: MAP_PIRQ_TYPE_* */
    int32_t index;       /* IN: the GSI for TYPE_GSI */
    int32_t pirq;        /* IN: wanted PIRQ, or -1 for any / OUT: the PIRQ */
    int32_t bus;         /* IN (MSI): bus, segment in the high 16 bits for MSI_SEG */
    int32_t devfn;       /* IN (MSI) */
    int32_t entry_nr;    /* IN (MSI): vectors wanted / OUT (MULTI_MSI) */
    uint32_t _pad1;
    uint64_t table_base; /* IN (MSI-X): the table's address */
};
typedef struct physdev_map_pirq physdev_map_pirq_t;
XEN_ABI_SIZE(struct physdev_map_pirq, 40);
XEN_ABI_OFFSET(struct physdev_map_pirq, pirq, 12);
XEN_ABI_OFFSET(struct physdev_map_pirq, table_base, 32);

struct physdev_unmap_pirq {
    domid_t domid; /* IN */
    uint16_t _pad0;
    int32_t pirq;  /* IN */
};
typedef struct physdev_unmap_pirq physdev_unmap_pirq_t;
XEN_ABI_SIZE(struct physdev_unmap_pirq, 8);

/* setup_gsi: how a GSI signals, from the hardware domain's ACPI tables. */
struct physdev_setup_gsi {
    int32_t gsi;        /* IN */
    uint8_t triggering; /* IN: 0 edge, 1 level */
    uint8_t polarity;   /* IN: 0 active high, 1 active low */
    uint16_t _pad0;
};
typedef struct physdev_setup_gsi physdev_setup_gsi_t;
XEN_ABI_SIZE(struct physdev_setup_gsi, 8);

#endif /* !__ASSEMBLER__ */

#endif /* __XEN_PUBLIC_PHYSDEV_H__ */
