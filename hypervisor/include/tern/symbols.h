/* The hypervisor's own symbol table, for stack traces. */
#ifndef TERN_SYMBOLS_H
#define TERN_SYMBOLS_H

/* Finds the symbol containing addr; returns its name or NULL, and the offset. */
const char *symbol_lookup(unsigned long addr, unsigned long *offset);
void print_symbol(const char *prefix, unsigned long addr);
void dump_stack_trace(const void *frame);

#endif
