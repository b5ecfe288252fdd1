#!/usr/bin/env python3
"""Extracts the vmlinux ELF from an x86 bzImage whose payload is XZ (BCJ-x86 + LZMA2).

The setup header gives payload_offset/payload_length; the payload is an XZ stream followed by
its 4-byte uncompressed size. The decompressed data is the ELF followed by relocation data,
which is dropped: the output ends where the ELF's headers, segments and sections end.
Then the zeros that end the last segment in the file (the kernel's .bss and .brk, stored in
full: 24 MB of 65) are left to the loader, which zero-fills a segment past its file size: that
segment's p_filesz shrinks, the section headers after it go (a PV loader uses only program
headers and PT_NOTE), and every byte a loader puts in memory stays the same.
The ELF must carry the Xen ENTRY, VIRT_BASE and XEN_VERSION ("xen-3.0") notes.

usage: extract-vmlinux.py BZIMAGE OUT_ELF [--release-out FILE]
Exit status 0, or 1 with one line on stderr saying what is wrong with the input.
"""
import argparse
import lzma
import os
import struct
import sys

SETUP_SECTS = 0x1F1
HDR_MAGIC = 0x202
HDR_VERSION = 0x206
KERNEL_VERSION = 0x20E
PAYLOAD_OFFSET = 0x248
PAYLOAD_LENGTH = 0x24C
XZ_MAGIC = b"\xfd7zXZ\x00"
MAX_VMLINUX = 1 << 30


class BadImage(Exception):
    pass


def _u(fmt, data, off):
    if off < 0 or off + struct.calcsize(fmt) > len(data):
        raise BadImage(f"truncated: field at 0x{off:x} is past the end")
    return struct.unpack_from(fmt, data, off)


def bzimage_payload(img):
    """Returns (xz payload bytes, kernel version string) from a bzImage."""
    if _u("<4s", img, HDR_MAGIC)[0] != b"HdrS":
        raise BadImage("not a bzImage: no 'HdrS' setup header magic at 0x202")
    version = _u("<H", img, HDR_VERSION)[0]
    if version < 0x0208:
        raise BadImage(f"boot protocol 0x{version:04x} has no payload fields (need 2.08+)")
    sects = _u("<B", img, SETUP_SECTS)[0] or 4
    off, length = _u("<II", img, PAYLOAD_OFFSET)
    start = (sects + 1) * 512 + off
    if length < len(XZ_MAGIC) + 4 or start + length > len(img):
        raise BadImage(f"payload {start:#x}+{length:#x} lies outside the {len(img)}-byte file")
    payload = img[start:start + length]
    if not payload.startswith(XZ_MAGIC):
        raise BadImage(f"payload is not XZ (starts {payload[:6].hex()}); only XZ is handled")
    kv = ""
    kv_ptr = _u("<H", img, KERNEL_VERSION)[0]
    if kv_ptr:
        raw = img[kv_ptr + 0x200:kv_ptr + 0x200 + 256]
        kv = raw.split(b"\0", 1)[0].decode("ascii", "replace")
    return payload, kv


def xz_decompress(payload):
    """Decompresses one XZ stream; checks the trailing 4-byte size the kernel build appends."""
    dec = lzma.LZMADecompressor(format=lzma.FORMAT_XZ, memlimit=256 << 20)
    try:
        out = dec.decompress(payload, max_length=MAX_VMLINUX)
    except lzma.LZMAError as e:
        raise BadImage(f"XZ payload is corrupt: {e}") from None
    if not dec.eof:
        raise BadImage("XZ payload is truncated (or decompresses past 1 GiB)")
    trailer = dec.unused_data
    if len(trailer) != 4:
        raise BadImage(f"expected 4 bytes after the XZ stream, found {len(trailer)}")
    size = struct.unpack("<I", trailer)[0]
    if size != len(out):
        raise BadImage(f"XZ trailer says {size} bytes, stream gave {len(out)}")
    return out


def elf64_end(data):
    """Returns the end of an ELF64 little-endian x86-64 image: its last header, segment or section."""
    if len(data) < 64 or data[:4] != b"\x7fELF":
        raise BadImage("decompressed payload is not an ELF file")
    if data[4] != 2 or data[5] != 1:
        raise BadImage("decompressed ELF is not ELF64 little-endian")
    (e_machine,) = _u("<H", data, 18)
    if e_machine != 62:
        raise BadImage(f"decompressed ELF is for machine {e_machine}, not x86-64")
    phoff, shoff = _u("<QQ", data, 32)
    phentsize, phnum, shentsize, shnum = _u("<HHHH", data, 54)
    if phnum == 0 or phentsize < 56 or (shnum and shentsize < 64):
        raise BadImage("ELF header has bad program/section header sizes")
    end = max(64, phoff + phnum * phentsize, shoff + shnum * shentsize)
    for i in range(phnum):
        p_offset, _, _, p_filesz = _u("<QQQQ", data, phoff + i * phentsize + 8)
        end = max(end, p_offset + p_filesz)
    for i in range(shnum):
        base = shoff + i * shentsize
        (sh_type,) = _u("<I", data, base + 4)
        sh_offset, sh_size = _u("<QQ", data, base + 24)
        if sh_type != 8:  # SHT_NOBITS occupies no file space
            end = max(end, sh_offset + sh_size)
    if end > len(data):
        raise BadImage(f"ELF claims {end} bytes but only {len(data)} were decompressed")
    return end


def trim_trailing_zeros(data):
    """The ELF without the zero bytes at the end of its last segment in file order, and
    without section headers; unchanged if that segment is not PT_LOAD or has none."""
    phoff = _u("<Q", data, 32)[0]
    phentsize, phnum = _u("<HH", data, 54)
    segs = [(i, *_u("<IIQQQQ", data, phoff + i * phentsize)) for i in range(phnum)]
    last = max(segs, key=lambda s: s[3] + s[6])  # (i, type, flags, offset, vaddr, paddr, filesz)
    i, ptype, _, off, _, _, filesz = last
    seg = data[off:off + filesz]
    keep = len(seg.rstrip(b"\0"))
    if ptype != 1 or keep == filesz:
        return data
    end = off + keep
    if end < phoff + phnum * phentsize or any(s[3] + s[6] > end for s in segs if s[0] != i):
        return data  # something else lies past the kept bytes
    out = bytearray(data[:end])
    struct.pack_into("<Q", out, phoff + i * phentsize + 32, keep)  # p_filesz
    struct.pack_into("<Q", out, 40, 0)  # e_shoff
    struct.pack_into("<HHH", out, 58, 0, 0, 0)  # e_shentsize, e_shnum, e_shstrndx
    return bytes(out)


def elf64_xen_notes(data):
    """Returns {type: desc} of the "Xen" notes in the PT_NOTE segments of a checked ELF64."""
    phoff = _u("<Q", data, 32)[0]
    phentsize, phnum = _u("<HH", data, 54)
    notes = {}
    for i in range(phnum):
        base = phoff + i * phentsize
        if _u("<I", data, base)[0] != 4:  # PT_NOTE
            continue
        off, _, _, size = _u("<QQQQ", data, base + 8)
        pos, end = off, off + size
        while pos + 12 <= end:
            namesz, descsz, ntype = _u("<III", data, pos)
            name_at = pos + 12
            desc_at = name_at + ((namesz + 3) & ~3)
            pos = desc_at + ((descsz + 3) & ~3)
            if pos > end:
                raise BadImage("a PT_NOTE entry runs past its segment")
            if data[name_at:name_at + namesz].rstrip(b"\0") == b"Xen":
                notes[ntype] = data[desc_at:desc_at + descsz]
    return notes


def check_xen_notes(data):
    """The notes a PV loader cannot do without: ENTRY (1), VIRT_BASE (3), XEN_VERSION (5)."""
    notes = elf64_xen_notes(data)
    for ntype, what in ((1, "ENTRY"), (3, "VIRT_BASE"), (5, "XEN_VERSION")):
        if ntype not in notes:
            raise BadImage(f"ELF has no Xen {what} note: not a Xen PV kernel")
    if notes[5].rstrip(b"\0") != b"xen-3.0":
        raise BadImage(f"Xen XEN_VERSION note is {notes[5]!r}, not 'xen-3.0'")
    if len(notes[1]) != 8 or len(notes[3]) != 8:
        raise BadImage("Xen ENTRY/VIRT_BASE notes are not 8 bytes")
    return struct.unpack("<Q", notes[1])[0], struct.unpack("<Q", notes[3])[0]


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bzimage")
    ap.add_argument("out")
    ap.add_argument("--release-out", help="write the kernel release (first word of the "
                    "header's version string) here")
    args = ap.parse_args(argv)
    try:
        with open(args.bzimage, "rb") as f:
            img = f.read()
        payload, kv = bzimage_payload(img)
        raw = xz_decompress(payload)
        end = elf64_end(raw)
        elf = trim_trailing_zeros(raw[:end])
        entry, virt_base = check_xen_notes(elf)
    except BadImage as e:
        print(f"extract-vmlinux: {args.bzimage}: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"extract-vmlinux: {e}", file=sys.stderr)
        return 1
    release = kv.split(" ", 1)[0]
    if args.release_out and not release:
        print(f"extract-vmlinux: {args.bzimage}: no kernel version string", file=sys.stderr)
        return 1
    write_atomic(args.out, elf)
    if args.release_out:
        write_atomic(args.release_out, (release + "\n").encode())
    print(f"extract-vmlinux: {release or '?'}: ELF {len(elf)} bytes (dropped {len(raw) - end} "
          f"bytes after it, {end - len(elf)} zeros the loader fills), Xen entry {entry:#x}, "
          f"virt base {virt_base:#x}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
