/*
 * ACPI table walk: RSDP -> RSDT/XSDT -> MADT (CPUs, I/O APICs, overrides), FADT (PM timer,
 * power-off) and HPET. Runs early, through the boot map of the first 4 GiB.
 */
#include <tern/acpi.h>
#include <tern/bootinfo.h>
#include <tern/errno.h>
#include <tern/lib.h>
#include <tern/printk.h>
#include <asm/page.h>

struct acpi_info acpi_info;

struct __attribute__((packed)) sdt_header {
    char sig[4];
    uint32_t length;
    uint8_t revision, checksum;
    char oem[6], oem_table[8];
    uint32_t oem_rev, creator, creator_rev;
};

static bool checksum_ok(const void *p, size_t n)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += ((const uint8_t *)p)[i];
    return sum == 0;
}

static const void *phys(paddr_t pa)
{
    return pa < (4ul << 30) ? __va(pa) : NULL; /* the boot map covers 4 GiB */
}

static const uint8_t *find_rsdp(void)
{
    if (boot_info.have_rsdp)
        return boot_info.rsdp;
    /* multiboot1 gives no RSDP: search the EBDA and the BIOS area */
    paddr_t ebda = (paddr_t)(*(const uint16_t *)phys(0x40e)) << 4;
    paddr_t areas[2][2] = { { ebda, ebda + 1024 }, { 0xe0000, 0x100000 } };
    for (unsigned int a = 0; a < 2; a++)
        for (paddr_t p = areas[a][0]; p && p + 20 <= areas[a][1]; p += 16)
            if (!memcmp(phys(p), "RSD PTR ", 8) && checksum_ok(phys(p), 20))
                return phys(p);
    return NULL;
}

static void parse_madt(const struct sdt_header *h)
{
    const uint8_t *p = (const uint8_t *)h + 44, *end = (const uint8_t *)h + h->length;
    uint32_t lapic;

    memcpy(&lapic, (const uint8_t *)h + 36, 4);
    acpi_info.lapic_base = lapic;
    for (; p + 2 <= end && p[1] >= 2 && p + p[1] <= end; p += p[1]) {
        switch (p[0]) {
        case 0: { /* processor local APIC: enabled or online-capable */
            uint32_t flags;
            memcpy(&flags, p + 4, 4);
            if ((flags & 3) && acpi_info.nr_cpus < ARRAY_SIZE(acpi_info.cpu_apic_ids))
                acpi_info.cpu_apic_ids[acpi_info.nr_cpus++] = p[3];
            break;
        }
        case 1: /* I/O APIC */
            if (acpi_info.nr_ioapics < MAX_IOAPICS) {
                uint32_t addr, gsi;
                memcpy(&addr, p + 4, 4);
                memcpy(&gsi, p + 8, 4);
                acpi_info.ioapics[acpi_info.nr_ioapics].id = p[2];
                acpi_info.ioapics[acpi_info.nr_ioapics].base = addr;
                acpi_info.ioapics[acpi_info.nr_ioapics].gsi_base = gsi;
                acpi_info.nr_ioapics++;
            }
            break;
        case 2: /* interrupt source override */
            if (p[3] < 16) {
                memcpy(&acpi_info.isa_gsi[p[3]], p + 4, 4);
                memcpy(&acpi_info.isa_flags[p[3]], p + 8, 2);
            }
            break;
        case 5: /* 64-bit local APIC address */
            memcpy(&acpi_info.lapic_base, p + 4, 8);
            break;
        case 9: { /* processor local x2APIC */
            uint32_t id, flags;
            memcpy(&id, p + 4, 4);
            memcpy(&flags, p + 8, 4);
            if ((flags & 3) && acpi_info.nr_cpus < ARRAY_SIZE(acpi_info.cpu_apic_ids))
                acpi_info.cpu_apic_ids[acpi_info.nr_cpus++] = id;
            break;
        }
        }
    }
}

/* \_S5 in the DSDT: Name(_S5_, Package(){ a, b, ... }); we need the first value. */
static void find_s5(const struct sdt_header *dsdt)
{
    const uint8_t *p = (const uint8_t *)dsdt + 36, *end = (const uint8_t *)dsdt + dsdt->length;

    for (; p + 8 < end; p++) {
        if (memcmp(p, "_S5_", 4) || p[4] != 0x12) /* PackageOp */
            continue;
        const uint8_t *q = p + 5;
        q += ((*q >> 6) & 3) + 1; /* PkgLength */
        q++;                      /* NumElements */
        if (*q == 0x0a)           /* BytePrefix */
            q++;
        else if (*q > 1)
            continue;
        acpi_info.slp_typ_s5 = *q;
        acpi_info.have_s5 = true;
        return;
    }
}

static void parse_fadt(const struct sdt_header *h)
{
    const uint8_t *f = (const uint8_t *)h;
    uint32_t pm1a_cnt = 0, pm1b_cnt = 0, pm_tmr = 0, flags = 0, dsdt = 0;
    uint64_t xdsdt = 0;

    memcpy(&dsdt, f + 40, 4);
    memcpy(&pm1a_cnt, f + 64, 4);
    memcpy(&pm1b_cnt, f + 68, 4);
    memcpy(&pm_tmr, f + 76, 4);
    if (h->length >= 116)
        memcpy(&flags, f + 112, 4);
    if (h->length >= 148)
        memcpy(&xdsdt, f + 140, 8);
    acpi_info.pm1a_cnt_port = (uint16_t)pm1a_cnt;
    acpi_info.pm1b_cnt_port = (uint16_t)pm1b_cnt;
    acpi_info.pm_timer_port = (uint16_t)pm_tmr;
    acpi_info.pm_timer_32bit = flags & (1u << 8);
    const struct sdt_header *d = phys(xdsdt ? xdsdt : dsdt);
    if (d && !memcmp(d->sig, "DSDT", 4))
        find_s5(d);
}

static void parse_table(paddr_t pa)
{
    const struct sdt_header *h = phys(pa);

    if (!h || !checksum_ok(h, h->length)) {
        pr_warn("ACPI: bad table at %#lx\n", (unsigned long)pa);
        return;
    }
    if (!memcmp(h->sig, "APIC", 4))
        parse_madt(h);
    else if (!memcmp(h->sig, "FACP", 4))
        parse_fadt(h);
    else if (!memcmp(h->sig, "HPET", 4))
        memcpy(&acpi_info.hpet_base, (const uint8_t *)h + 44, 8);
}

int acpi_parse(void)
{
    const uint8_t *rsdp = find_rsdp();
    const struct sdt_header *root;
    uint32_t rsdt;
    uint64_t xsdt = 0;
    size_t esz;

    for (unsigned int i = 0; i < 16; i++)
        acpi_info.isa_gsi[i] = i;
    if (!rsdp)
        return -ENOENT;
    memcpy(&rsdt, rsdp + 16, 4);
    if (rsdp[15] >= 2)
        memcpy(&xsdt, rsdp + 24, 8);
    root = phys(xsdt ? xsdt : rsdt);
    esz = xsdt ? 8 : 4;
    if (!root || !checksum_ok(root, root->length))
        return -EINVAL;
    for (size_t off = sizeof(*root); off + esz <= root->length; off += esz) {
        uint64_t pa = 0;
        memcpy(&pa, (const uint8_t *)root + off, esz);
        parse_table(pa);
    }
    acpi_info.found = true;
    pr_info("ACPI: %u CPUs, %u I/O APICs, HPET %s, PM timer port %#x\n", acpi_info.nr_cpus,
            acpi_info.nr_ioapics, acpi_info.hpet_base ? "present" : "absent",
            acpi_info.pm_timer_port);
    return 0;
}
