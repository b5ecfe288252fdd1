/* Address-to-symbol lookup over the table the build links in (scripts/gensyms.py). */
#include <tern/printk.h>
#include <tern/symbols.h>
#include <tern/types.h>

extern const uint64_t symtab_count;
extern const uint64_t symtab_addrs[];
extern const uint32_t symtab_offsets[];
extern const char symtab_names[];
extern char __text_end[];

const char *symbol_lookup(unsigned long addr, unsigned long *offset)
{
    uint64_t lo = 0, hi = symtab_count;

    if (!hi || addr < symtab_addrs[0] || addr >= (unsigned long)__text_end)
        return NULL;
    while (hi - lo > 1) { /* last entry with address <= addr */
        uint64_t mid = (lo + hi) / 2;
        if (symtab_addrs[mid] <= addr)
            lo = mid;
        else
            hi = mid;
    }
    *offset = addr - symtab_addrs[lo];
    return &symtab_names[symtab_offsets[lo]];
}

void print_symbol(const char *prefix, unsigned long addr)
{
    unsigned long off;
    const char *name = symbol_lookup(addr, &off);

    if (name)
        printk(KERN_ERR "%s[<%016lx>] %s+0x%lx\n", prefix, addr, name, off);
    else
        printk(KERN_ERR "%s[<%016lx>] ?\n", prefix, addr);
}
