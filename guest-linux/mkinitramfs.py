#!/usr/bin/env python3
"""Builds the guest initramfs: a gzip'd newc cpio written directly, so no root is needed.

Contents: the rootfs/ tree (init, test scripts, /etc), a static busybox with one symlink per
applet it lists, the static workload binary with one symlink per applet, the kernel release
in /etc/tern-kernel-release, and the device nodes the kernel needs before devtmpfs is mounted.
Every entry is owned by root, with a fixed mtime, so the archive is reproducible.

usage: mkinitramfs.py --rootfs DIR [--rootfs DIR...] --busybox FILE --workload FILE
                      --applets "a b c" --release FILE --out FILE.cpio.gz [--list FILE]
                      [--add DEST=FILE...] [--add-elf DEST=FILE...]
Later --rootfs trees overlay earlier ones; --add puts one file (mode 0755) at DEST; --add-elf
puts a dynamically linked program there with the shared libraries it needs (found by ldd on
this machine, which runs the same Debian as dom0) at the paths the loader looks in.
"""
import argparse
import gzip
import os
import stat
import struct
import subprocess
import sys

DIRS = ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "proc", "sys", "tmp", "root",
        "etc", "tests", "run", "mnt"]
# Nodes the kernel and /init use before devtmpfs is mounted (char major, minor).
NODES = {"dev/console": (5, 1), "dev/hvc0": (229, 0), "dev/ttyS0": (4, 64), "dev/null": (1, 3)}


class Archive:
    """Collects entries by path; writes them sorted, parents first, as newc."""

    def __init__(self, mtime):
        self.entries = {}
        self.mtime = mtime

    def _parents(self, path):
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in self.entries:
                self.entries[d] = (stat.S_IFDIR | 0o755, b"", 0)

    def add_dir(self, path, perm=0o755):
        self._parents(path)
        self.entries[path] = (stat.S_IFDIR | perm, b"", 0)

    def add_file(self, path, data, perm):
        self._parents(path)
        self.entries[path] = (stat.S_IFREG | perm, data, 0)

    def add_symlink(self, path, target):
        self._parents(path)
        self.entries[path] = (stat.S_IFLNK | 0o777, target.encode(), 0)

    def add_chardev(self, path, major, minor, perm=0o600):
        self._parents(path)
        self.entries[path] = (stat.S_IFCHR | perm, b"", os.makedev(major, minor))

    def _record(self, ino, name, mode, data, rdev):
        nameb = name.encode() + b"\0"
        fields = [ino, mode, 0, 0, 2 if stat.S_ISDIR(mode) else 1, self.mtime, len(data),
                  0, 0, os.major(rdev), os.minor(rdev), len(nameb), 0]
        hdr = b"070701" + b"".join(b"%08x" % f for f in fields)
        out = hdr + nameb
        out += b"\0" * (-len(out) % 4)
        out += data + b"\0" * (-len(data) % 4)
        return out

    def serialize(self):
        chunks = []
        for ino, path in enumerate(sorted(self.entries), start=1):
            mode, data, rdev = self.entries[path]
            chunks.append(self._record(ino, path, mode, data, rdev))
        chunks.append(self._record(0, "TRAILER!!!", 0, b"", 0))
        return b"".join(chunks)

    def listing(self):
        lines = []
        for path in sorted(self.entries):
            mode, data, rdev = self.entries[path]
            extra = ""
            if stat.S_ISLNK(mode):
                extra = " -> " + data.decode()
            elif stat.S_ISCHR(mode):
                extra = f" c {os.major(rdev)} {os.minor(rdev)}"
            lines.append(f"{stat.filemode(mode)} {len(data):>9} /{path}{extra}")
        return "\n".join(lines) + "\n"


def is_static_elf(data):
    """True for an ELF64 with no PT_INTERP (so it needs no dynamic loader in the guest)."""
    if len(data) < 64 or data[:4] != b"\x7fELF" or data[4] != 2:
        return False
    phoff = struct.unpack_from("<Q", data, 32)[0]
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    if phoff + phnum * phentsize > len(data):
        return False
    return all(struct.unpack_from("<I", data, phoff + i * phentsize)[0] != 3
               for i in range(phnum))


def read_static(path, what):
    with open(path, "rb") as f:
        data = f.read()
    if not is_static_elf(data):
        raise ValueError(f"{what} {path} is not a static ELF64 executable")
    return data


def busybox_applets(busybox):
    """Paths (relative, e.g. 'usr/bin/awk') of busybox's applets, as it lists them."""
    out = subprocess.run([busybox, "--list-full"], capture_output=True, text=True,
                         timeout=30, check=True).stdout
    paths = [line.strip().lstrip("/") for line in out.splitlines() if line.strip()]
    if "bin/sh" not in paths:
        raise ValueError(f"{busybox} has no sh applet")
    return paths


def shared_libraries(path):
    """Absolute paths of the libraries and loader that ldd says `path` needs."""
    out = subprocess.run(["ldd", path], capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        raise ValueError(f"ldd {path}: {out.stderr.strip() or out.stdout.strip()}")
    libs = []
    for line in out.stdout.splitlines():
        words = line.split()
        if "=>" in words:  # "libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x...)"
            target = words[words.index("=>") + 1]
            if not target.startswith("/"):
                raise ValueError(f"{path} needs {words[0]}, which ldd cannot find")
            libs.append(target)
        elif words and words[0].startswith("/"):  # the loader itself
            libs.append(words[0])
    return libs


def add_elf(arc, dest, src):
    with open(src, "rb") as f:
        arc.add_file(dest, f.read(), 0o755)
    for lib in shared_libraries(src):
        with open(lib, "rb") as f:  # follows symlinks: the archive holds plain files
            arc.add_file(os.path.normpath(lib.lstrip("/")), f.read(), 0o755)


def add_rootfs(arc, rootfs):
    for top, dirs, files in os.walk(rootfs):
        dirs.sort()
        rel = os.path.relpath(top, rootfs)
        if rel != ".":
            arc.add_dir(rel)
        for name in sorted(files):
            src = os.path.join(top, name)
            dst = os.path.normpath(os.path.join(rel, name))
            with open(src, "rb") as f:
                data = f.read()
            perm = 0o755 if os.access(src, os.X_OK) or dst.startswith("tests/") else 0o644
            arc.add_file(dst, data, perm)


def build(args):
    arc = Archive(int(os.environ.get("SOURCE_DATE_EPOCH", "0")))
    for d in DIRS:
        arc.add_dir(d)
    arc.add_dir("tmp", 0o1777)
    for path, (major, minor) in NODES.items():
        arc.add_chardev(path, major, minor, 0o666 if path == "dev/null" else 0o600)
    for path in busybox_applets(args.busybox):
        if path != "bin/busybox":
            arc.add_symlink(path, "/bin/busybox")
    arc.add_file("bin/busybox", read_static(args.busybox, "busybox"), 0o755)
    arc.add_file("bin/tern-work", read_static(args.workload, "workload binary"), 0o755)
    for applet in args.applets.split():
        arc.add_symlink("bin/" + applet, "tern-work")
    for tree in args.rootfs:
        add_rootfs(arc, tree)
    for opt, specs in (("--add", args.add), ("--add-elf", args.add_elf)):
        for spec in specs or []:
            dest, sep, src = spec.partition("=")
            if not sep or not dest or not src:
                raise ValueError(f"{opt} wants DEST=FILE, not {spec!r}")
            dest = os.path.normpath(dest.lstrip("/"))
            if opt == "--add-elf":
                add_elf(arc, dest, src)
            else:
                with open(src, "rb") as f:
                    arc.add_file(dest, f.read(), 0o755)
    if "init" not in arc.entries:
        raise ValueError(f"{args.rootfs[0]} has no init")
    with open(args.release, "rb") as f:
        arc.add_file("etc/tern-kernel-release", f.read(), 0o644)
    return arc


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rootfs", required=True, action="append")
    for opt in ("--busybox", "--workload", "--applets", "--release", "--out"):
        ap.add_argument(opt, required=True)
    ap.add_argument("--list")
    ap.add_argument("--add", action="append")
    ap.add_argument("--add-elf", action="append")
    args = ap.parse_args(argv)
    try:
        arc = build(args)
    except (OSError, ValueError, subprocess.SubprocessError) as e:
        print(f"mkinitramfs: {e}", file=sys.stderr)
        return 1
    raw = arc.serialize()
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", compresslevel=9, mtime=0) as gz:
            gz.write(raw)
    os.replace(tmp, args.out)
    if args.list:
        with open(args.list, "w") as f:
            f.write(arc.listing())
    print(f"mkinitramfs: {len(arc.entries)} entries, {len(raw)} bytes, "
          f"{os.path.getsize(args.out)} compressed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
