#!/usr/bin/env python3
"""Turns `nm -n` output into an assembly symbol table for the hypervisor's stack traces."""
import sys


def main():
    syms = []
    for line in sys.stdin:
        parts = line.split()
        if len(parts) != 3 or parts[1] not in "tTwW":
            continue
        name = parts[2]
        if name.startswith((".L", "__symtab")):
            continue
        syms.append((int(parts[0], 16), name))
    out = sys.stdout
    out.write('\t.section .rodata\n\t.balign 8\n\t.globl symtab_addrs, symtab_count, symtab_offsets, symtab_names\n')
    out.write("symtab_count:\n\t.quad %d\n" % len(syms))
    out.write("symtab_addrs:\n")
    for addr, _ in syms:
        out.write("\t.quad 0x%x\n" % addr)
    out.write("symtab_offsets:\n")
    off = 0
    for _, name in syms:
        out.write("\t.long %d\n" % off)
        off += len(name) + 1
    out.write("symtab_names:\n")
    for _, name in syms:
        out.write('\t.asciz "%s"\n' % name)


if __name__ == "__main__":
    main()
