/* What the boot loader told us, copied out of its structures early in boot. */
#ifndef TERN_BOOTINFO_H
#define TERN_BOOTINFO_H

#include <tern/types.h>

#define MAX_MEM_RANGES  128
#define MAX_MODULES     32
#define MODULE_CMDLINE  256

/* E820 memory types, as multiboot reports them. */
enum { MEM_USABLE = 1, MEM_RESERVED = 2, MEM_ACPI = 3, MEM_NVS = 4, MEM_BAD = 5 };

struct mem_range {
    uint64_t start;
    uint64_t len;
    uint32_t type;
};

struct boot_module {
    paddr_t start;
    paddr_t end; /* exclusive */
    char cmdline[MODULE_CMDLINE];
};

struct boot_info {
    const char *protocol;
    char cmdline[1024];
    unsigned int nr_ranges;
    struct mem_range ranges[MAX_MEM_RANGES];
    unsigned int nr_modules;
    struct boot_module modules[MAX_MODULES];
    bool have_rsdp;
    uint8_t rsdp[36];          /* a copy: multiboot2 hands us the bytes, not an address */
    paddr_t info_start, info_end; /* the loader's structure, kept until parsed */
};

extern struct boot_info boot_info;

/* Returns 0, or -EINVAL when magic is not a multiboot handoff we know. */
int bootinfo_parse(uint32_t magic, paddr_t info);
uint64_t bootinfo_usable_bytes(void);
paddr_t bootinfo_max_ram_addr(void);

#endif
