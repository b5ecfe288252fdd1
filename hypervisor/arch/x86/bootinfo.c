/* Parses multiboot1 (QEMU -kernel) and multiboot2 (GRUB) handoffs into struct boot_info. */
#include <tern/bootinfo.h>
#include <tern/errno.h>
#include <tern/lib.h>
#include <tern/string.h>
#include <asm/page.h>

#define MB1_BOOT_MAGIC 0x2badb002
#define MB2_BOOT_MAGIC 0x36d76289

struct boot_info boot_info;

static void add_range(uint64_t start, uint64_t len, uint32_t type)
{
    if (boot_info.nr_ranges < MAX_MEM_RANGES && len) {
        struct mem_range *r = &boot_info.ranges[boot_info.nr_ranges++];
        r->start = start;
        r->len = len;
        r->type = type;
    }
}

static void add_module(paddr_t start, paddr_t end, const char *cmd)
{
    struct boot_module *m;

    if (boot_info.nr_modules >= MAX_MODULES || end <= start)
        return;
    m = &boot_info.modules[boot_info.nr_modules++];
    m->start = start;
    m->end = end;
    strlcpy(m->cmdline, cmd ? cmd : "", sizeof(m->cmdline));
}

/* multiboot1: flat structure, memory map entries prefixed by their size. */
struct mb1_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
};
struct mb1_mod { uint32_t start, end, string, reserved; };

static int parse_mb1(paddr_t pa)
{
    const struct mb1_info *mi = __va(pa);

    boot_info.protocol = "multiboot1";
    boot_info.info_start = pa;
    boot_info.info_end = pa + sizeof(*mi);
    if (mi->flags & (1u << 2) && mi->cmdline) {
        /* multiboot1 loaders put the image's file name first */
        const char *c = __va(mi->cmdline);
        while (*c && *c != ' ')
            c++;
        while (*c == ' ')
            c++;
        strlcpy(boot_info.cmdline, c, sizeof(boot_info.cmdline));
    }
    if (mi->flags & (1u << 3)) {
        const struct mb1_mod *mod = __va(mi->mods_addr);
        for (uint32_t i = 0; i < mi->mods_count; i++)
            add_module(mod[i].start, mod[i].end, mod[i].string ? __va(mod[i].string) : "");
    }
    if (mi->flags & (1u << 6)) {
        paddr_t p = mi->mmap_addr, end = p + mi->mmap_length;
        while (p < end) {
            const uint8_t *e = __va(p);
            uint32_t size;
            uint64_t base, len;
            uint32_t type;
            memcpy(&size, e, 4);
            memcpy(&base, e + 4, 8);
            memcpy(&len, e + 12, 8);
            memcpy(&type, e + 20, 4);
            add_range(base, len, type);
            p += size + 4;
        }
    } else if (mi->flags & 1u) {
        add_range(0, (uint64_t)mi->mem_lower << 10, MEM_USABLE);
        add_range(0x100000, (uint64_t)mi->mem_upper << 10, MEM_USABLE);
    }
    return 0;
}

/* multiboot2: a sequence of 8-byte aligned tags. */
enum { MB2_END = 0, MB2_CMDLINE = 1, MB2_MODULE = 3, MB2_MMAP = 6, MB2_ACPI_OLD = 14, MB2_ACPI_NEW = 15 };

static int parse_mb2(paddr_t pa)
{
    const uint8_t *base = __va(pa);
    uint32_t total;

    memcpy(&total, base, 4);
    boot_info.protocol = "multiboot2";
    boot_info.info_start = pa;
    boot_info.info_end = pa + total;
    for (uint32_t off = 8; off + 8 <= total;) {
        const uint8_t *t = base + off;
        uint32_t type, size;
        memcpy(&type, t, 4);
        memcpy(&size, t + 4, 4);
        if (type == MB2_END || size < 8)
            break;
        switch (type) {
        case MB2_CMDLINE:
            strlcpy(boot_info.cmdline, (const char *)t + 8, sizeof(boot_info.cmdline));
            break;
        case MB2_MODULE: {
            uint32_t s, e;
            memcpy(&s, t + 8, 4);
            memcpy(&e, t + 12, 4);
            add_module(s, e, (const char *)t + 16);
            break;
        }
        case MB2_MMAP: {
            uint32_t esize;
            memcpy(&esize, t + 8, 4);
            for (uint32_t o = 16; esize >= 24 && o + esize <= size; o += esize) {
                uint64_t b, l;
                uint32_t ty;
                memcpy(&b, t + o, 8);
                memcpy(&l, t + o + 8, 8);
                memcpy(&ty, t + o + 16, 4);
                add_range(b, l, ty);
            }
            break;
        }
        case MB2_ACPI_OLD:
        case MB2_ACPI_NEW:
            /* prefer the ACPI 2.0 copy when both are present */
            if (!boot_info.have_rsdp || type == MB2_ACPI_NEW) {
                size_t n = min_t(size_t, size - 8, sizeof(boot_info.rsdp));
                memcpy(boot_info.rsdp, t + 8, n);
                boot_info.have_rsdp = true;
            }
            break;
        }
        off += ALIGN_UP(size, 8u);
    }
    return 0;
}

int bootinfo_parse(uint32_t magic, paddr_t info)
{
    if (magic == MB2_BOOT_MAGIC)
        return parse_mb2(info);
    if (magic == MB1_BOOT_MAGIC)
        return parse_mb1(info);
    return -EINVAL;
}

uint64_t bootinfo_usable_bytes(void)
{
    uint64_t total = 0;

    for (unsigned int i = 0; i < boot_info.nr_ranges; i++)
        if (boot_info.ranges[i].type == MEM_USABLE)
            total += boot_info.ranges[i].len;
    return total;
}

paddr_t bootinfo_max_ram_addr(void)
{
    paddr_t top = 0;

    for (unsigned int i = 0; i < boot_info.nr_ranges; i++) {
        const struct mem_range *r = &boot_info.ranges[i];
        if (r->type != MEM_RESERVED && r->type != MEM_BAD)
            top = max(top, (paddr_t)(r->start + r->len));
    }
    return top;
}
