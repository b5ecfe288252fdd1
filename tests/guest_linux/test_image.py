"""Build checks of the Linux test guest (guest-linux/): the PV kernel ELF, the initramfs, the
workloads run on the host, and the same kernel and initramfs booted natively in QEMU (TCG)."""
import gzip
import lzma
import os
import re
import select
import shutil
import stat
import struct
import subprocess
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SRC = os.path.join(ROOT, "guest-linux")
NATIVE = os.path.join(ROOT, "scripts", "native-linux.sh")
APPLETS = ["memtouch", "clockcheck", "forkexec", "threads", "bench"]
TEST_SCRIPTS = ["uname", "xen", "meminfo", "clock", "memtouch", "forkexec", "threads",
                "poweroff", "all", "native", "bench"]
XEN_ENTRY, XEN_VIRT_BASE, XEN_XEN_VERSION, XEN_GUEST_OS = 1, 3, 5, 6


@pytest.fixture(scope="module")
def out(build_dir):
    d = os.path.join(build_dir, "guest-linux")
    for f in ("vmlinux", "vmlinuz", "kernel-release", "initramfs.cpio.gz"):
        assert os.path.isfile(os.path.join(d, f)), f"{f} not built (make guest-linux)"
    return d


def _read(path):
    with open(path, "rb") as f:
        return f.read()


# ---- independent ELF and cpio readers (not the build scripts' own) ----

def elf_phdrs(data):
    assert data[:4] == b"\x7fELF", "not ELF"
    phoff = struct.unpack_from("<Q", data, 32)[0]
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    return [struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize) for i in range(phnum)]


def elf_notes(data):
    """[(owner, type, desc)] from the PT_NOTE segments."""
    notes = []
    for p_type, _, p_offset, _, _, p_filesz, _, _ in elf_phdrs(data):
        if p_type != 4:
            continue
        pos, end = p_offset, p_offset + p_filesz
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
            name = data[pos + 12:pos + 12 + namesz].rstrip(b"\0").decode()
            desc_at = pos + 12 + (namesz + 3) // 4 * 4
            notes.append((name, ntype, data[desc_at:desc_at + descsz]))
            pos = desc_at + (descsz + 3) // 4 * 4
    return notes


def is_static(data):
    return data[:4] == b"\x7fELF" and all(p[0] != 3 for p in elf_phdrs(data))


def read_cpio(path):
    """{name: (mode, data, rdev_major, rdev_minor)} of a gzip'd newc archive."""
    raw = gzip.decompress(_read(path))
    entries, pos = {}, 0
    while True:
        assert raw[pos:pos + 6] == b"070701", f"bad cpio magic at {pos}"
        f = [int(raw[pos + 6 + 8 * i:pos + 14 + 8 * i], 16) for i in range(13)]
        mode, size, rmaj, rmin, namesize = f[1], f[6], f[9], f[10], f[11]
        name = raw[pos + 110:pos + 110 + namesize - 1].decode()
        pos = (pos + 110 + namesize + 3) // 4 * 4
        data = raw[pos:pos + size]
        pos = (pos + size + 3) // 4 * 4
        if name == "TRAILER!!!":
            return entries
        entries[name] = (mode, data, rmaj, rmin)


def bzimage_payload(img):
    sects = img[0x1F1]
    off, length = struct.unpack_from("<II", img, 0x248)
    start = (sects + 1) * 512 + off
    return img[start:start + length]


# ---- the kernel ----

def test_vmlinux_is_x86_64_elf64_with_xen_notes(out):
    data = _read(os.path.join(out, "vmlinux"))
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1  # ELF64, little-endian
    assert struct.unpack_from("<HH", data, 16) == (2, 62)  # ET_EXEC, x86-64
    xen = {t: d for owner, t, d in elf_notes(data) if owner == "Xen"}
    assert xen[XEN_XEN_VERSION].rstrip(b"\0") == b"xen-3.0"
    assert xen[XEN_GUEST_OS].rstrip(b"\0") == b"linux"
    virt_base = struct.unpack("<Q", xen[XEN_VIRT_BASE])[0]
    entry = struct.unpack("<Q", xen[XEN_ENTRY])[0]
    assert virt_base == 0xFFFFFFFF80000000
    # ENTRY lies in an executable segment, at VIRT_BASE + its physical address.
    execs = [p for p in elf_phdrs(data) if p[0] == 1 and p[1] & 1]
    assert any(virt_base + p[4] <= entry < virt_base + p[4] + p[7] for p in execs), hex(entry)
    listing = subprocess.run(["readelf", "-n", os.path.join(out, "vmlinux")], capture_output=True,
                             text=True, timeout=60, check=True).stdout
    assert re.search(r"^\s+Xen\s+0x", listing, re.M)


def test_vmlinux_loads_exactly_as_the_elf_of_the_payload(out):
    """The ELF at the start of the decompressed bzImage payload, without the relocs after it
    and without the zeros ending its last segment: every segment puts the same bytes in memory."""
    data = _read(os.path.join(out, "vmlinux"))
    payload = bzimage_payload(_read(os.path.join(out, "vmlinuz")))
    assert payload[:6] == b"\xfd7zXZ\x00"
    full = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(payload)
    assert len(full) == struct.unpack("<I", payload[-4:])[0]
    # the ELF header but for the section-header fields: ident, type, entry, phoff; flags to phnum
    assert len(data) < len(full) and data[:40] == full[:40] and data[48:58] == full[48:58]
    mine, theirs = elf_phdrs(data), elf_phdrs(full)
    assert len(mine) == len(theirs)
    trimmed = 0
    for a, b in zip(mine, theirs):
        # (type, flags, offset, vaddr, paddr, filesz, memsz, align): all equal but filesz
        assert a[:5] + a[6:] == b[:5] + b[6:], (a, b)
        assert a[5] <= b[5]
        trimmed += a[5] < b[5]
        loaded = data[a[2]:a[2] + a[5]] + bytes(a[6] - a[5])
        assert loaded == full[b[2]:b[2] + b[5]] + bytes(b[6] - b[5])
    assert trimmed == 1
    assert len(data) == max(p[2] + p[5] for p in mine)  # nothing after the segments


def test_kernel_release_matches_the_image(out):
    release = _read(os.path.join(out, "kernel-release")).decode().strip()
    assert re.fullmatch(r"\d+\.\d+\.\d+-\d+-amd64", release), release
    img = _read(os.path.join(out, "vmlinuz"))
    kv_ptr = struct.unpack_from("<H", img, 0x20E)[0] + 0x200
    assert img[kv_ptr:kv_ptr + len(release) + 1] == release.encode() + b" "
    initramfs = read_cpio(os.path.join(out, "initramfs.cpio.gz"))
    assert initramfs["etc/tern-kernel-release"][1].decode().strip() == release


def _corrupt(kind, img):
    img = bytearray(img)
    start = (img[0x1F1] + 1) * 512 + struct.unpack_from("<I", img, 0x248)[0]
    if kind == "truncated":
        return bytes(img[:len(img) // 2])
    if kind == "flipped":
        img[start + 4096] ^= 0xFF
    elif kind == "not-xz":
        img[start] = 0x1F
    elif kind == "no-header":
        img[0x202:0x206] = b"NOPE"
    return bytes(img)


@pytest.mark.parametrize("kind", ["truncated", "flipped", "not-xz", "no-header"])
def test_extract_rejects_bad_images(out, tmp_path, kind):
    bad = tmp_path / "vmlinuz"
    bad.write_bytes(_corrupt(kind, _read(os.path.join(out, "vmlinuz"))))
    res = subprocess.run(["python3", os.path.join(SRC, "extract-vmlinux.py"), str(bad),
                          str(tmp_path / "vmlinux"), "--release-out", str(tmp_path / "rel")],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 1
    assert res.stderr.startswith("extract-vmlinux: ") and "Traceback" not in res.stderr
    assert not (tmp_path / "vmlinux").exists() and not (tmp_path / "rel").exists()


def test_fetch_kernel_reports_unknown_package(tmp_path):
    env = dict(os.environ, KERNEL_META="tern-no-such-package-xyz")
    res = subprocess.run([os.path.join(SRC, "fetch-kernel.sh"), str(tmp_path)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 1 and "apt knows no version" in res.stderr
    assert os.listdir(tmp_path) == []


# ---- the initramfs ----

def test_initramfs_holds_init_busybox_workloads_and_tests(out):
    path = os.path.join(out, "initramfs.cpio.gz")
    ents = read_cpio(path)
    mode, data, _, _ = ents["init"]
    assert stat.S_ISREG(mode) and mode & 0o111 and data.startswith(b"#!/bin/sh\n")
    mode, data, _, _ = ents["bin/busybox"]
    assert stat.S_ISREG(mode) and is_static(data)
    for link in ("bin/sh", "usr/bin/setsid", "bin/cttyhack", "sbin/poweroff", "bin/mount",
                 "bin/dmesg", "bin/true", "usr/bin/awk", "bin/date", "bin/sleep"):
        assert stat.S_ISLNK(ents[link][0]) and ents[link][1] == b"/bin/busybox", link
    mode, data, _, _ = ents["bin/tern-work"]
    assert stat.S_ISREG(mode) and mode & 0o111 and is_static(data)
    for applet in APPLETS:
        assert stat.S_ISLNK(ents["bin/" + applet][0]) and ents["bin/" + applet][1] == b"tern-work"
    for name in TEST_SCRIPTS:
        assert stat.S_ISREG(ents[f"tests/{name}.sh"][0]), name
    mode, _, major, minor = ents["dev/console"]
    assert stat.S_ISCHR(mode) and (major, minor) == (5, 1)
    mode, _, major, minor = ents["dev/hvc0"]
    assert stat.S_ISCHR(mode) and (major, minor) == (229, 0)
    assert os.path.getsize(path) < 4 << 20  # GRUB reads modules slowly


def test_initramfs_scripts_parse(out, tmp_path):
    ents = read_cpio(os.path.join(out, "initramfs.cpio.gz"))
    busybox = tmp_path / "busybox"
    busybox.write_bytes(ents["bin/busybox"][1])
    busybox.chmod(0o755)
    scripts = ["init"] + [n for n in ents if n.startswith("tests/") and n.endswith(".sh")]
    for name in scripts:
        f = tmp_path / name.replace("/", "_")
        f.write_bytes(ents[name][1])
        res = subprocess.run([str(busybox), "sh", "-n", str(f)], capture_output=True,
                             text=True, timeout=30)
        assert res.returncode == 0, f"{name}: {res.stderr}"


# ---- the workloads, run on the host ----

def run_applet(out, applet, *args, timeout=120, prefix=()):
    exe = os.path.join(out, "workloads", applet)
    return subprocess.run(list(prefix) + [exe] + list(args), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def test_workload_binary_is_static(out):
    assert is_static(_read(os.path.join(out, "workloads", "tern-work")))


def test_memtouch_one_percent(out):
    res = run_applet(out, "memtouch", "1%")
    assert res.returncode == 0, res.stdout + res.stderr
    m = re.search(r"^MEMTOUCH PASS bytes=(\d+) .*bad_words=0 ", res.stdout, re.M)
    assert m and int(m.group(1)) > 0


def test_memtouch_explicit_size(out):
    res = run_applet(out, "memtouch", "8M", "3")
    assert res.returncode == 0
    assert re.search(r"^MEMTOUCH PASS bytes=8388608 MiB=8 passes=3 bad_words=0 ", res.stdout, re.M)


@pytest.mark.parametrize("args", [[], ["0"], ["101%"], ["5X"], ["-4M"], ["8M", "0"]])
def test_memtouch_rejects_bad_arguments(out, args):
    res = run_applet(out, "memtouch", *args)
    assert res.returncode == 2 and "usage" in res.stderr and "MEMTOUCH" not in res.stdout


def test_forkexec_fifty(out):
    res = run_applet(out, "forkexec", "50")
    assert res.returncode == 0
    assert re.search(r"^FORKEXEC PASS n=50 failures=0 ", res.stdout, re.M)


def test_forkexec_counts_failures(out):
    res = run_applet(out, "forkexec", "3", "/bin/false")
    assert res.returncode == 1
    assert re.search(r"^FORKEXEC FAIL n=3 failures=3 first_error=1 ", res.stdout, re.M)


def test_clockcheck_one_second(out):
    res = run_applet(out, "clockcheck", "1")
    assert res.returncode == 0, res.stdout
    m = re.search(r"^CLOCKCHECK PASS requested_ns=1000000000 monotonic_ns=(\d+) realtime_ns=(\d+)"
                  r" .*backsteps=0 ", res.stdout, re.M)
    assert m and int(m.group(1)) >= 1000000000


def test_threads_pinned_to_one_cpu(out):
    cpu = sorted(os.sched_getaffinity(0))[-1]
    res = run_applet(out, "threads", "0.3", prefix=["taskset", "-c", str(cpu)])
    assert res.returncode == 0, res.stdout
    assert re.search(rf"^THREADS PASS threads=1 cpus_online=\d+ cpus_seen={cpu}$", res.stdout, re.M)


def test_threads_one_per_cpu(out):
    """Where the host scheduler puts them is its business; each thread reports valid CPUs."""
    usable = os.sched_getaffinity(0)
    res = run_applet(out, "threads", "0.5")
    m = re.search(r"^THREADS (PASS|FAIL) threads=(\d+) cpus_online=(\d+) cpus_seen=([\d,]+)$",
                  res.stdout, re.M)
    assert m and int(m.group(2)) == len(usable)
    seen = {int(c) for c in m.group(4).split(",")}
    assert seen <= usable
    assert (m.group(1) == "PASS") == (seen == usable) == (res.returncode == 0)
    assert len(re.findall(r"^threads: thread \d+ ran on cpus [\d,]+$", res.stdout, re.M)) == \
        len(usable)


@pytest.mark.parametrize("args,names", [
    (["syscall", "1000"], ["syscall_getppid"]),
    (["forkexec", "5"], ["forkexec"]),
    (["pagefault", "4"], ["pagefault"]),
    (["membw", "8"], ["membw_write", "membw_read", "membw_copy"]),
])
def test_bench_lines(out, args, names):
    res = run_applet(out, "bench", *args)
    assert res.returncode == 0
    got = re.findall(r"^BENCH (\S+) (\d+\.\d+) (ns|us|MB/s)$", res.stdout, re.M)
    assert [g[0] for g in got] == names and all(float(g[1]) > 0 for g in got)


def test_unknown_applet(out):
    res = subprocess.run([os.path.join(out, "workloads", "tern-work"), "nope"],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 2 and "unknown applet" in res.stderr


# ---- the same kernel and initramfs, booted natively in QEMU ----

def native_cmd(out, *args):
    assert shutil.which("qemu-system-x86_64"), "qemu-system-x86_64 missing (scripts/deps.sh)"
    env = dict(os.environ, O=os.path.dirname(out))
    return [NATIVE, "--accel", "tcg", "--smp", "2", "--mem", "512"] + list(args), env


def test_native_boot_runs_the_checks(out):
    cmd, env = native_cmd(out, "--script", "native", "--timeout", "240")
    res = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                         text=True, timeout=300)
    with open(os.path.join(out, "native-boot.log"), "w") as f:
        f.write(res.stdout + res.stderr)
    log = res.stdout
    assert res.returncode == 0, log[-3000:]
    release = _read(os.path.join(out, "kernel-release")).decode().strip()
    assert f"TERN-GUEST-READY release={release} console=ttyS0 cpus=2" in log
    results = dict(re.findall(r"^TERN-TEST (\S+) (PASS|FAIL)", log, re.M))
    assert results == {n: "PASS" for n in
                       ("uname", "meminfo", "clock", "memtouch", "forkexec", "threads")}, log[-3000:]
    assert "TERN-TESTS passed=6 failed=0" in log
    assert "TERN-SCRIPT-DONE name=native rc=0" in log
    assert "reboot: Power down" in log


class Console:
    """Reads a child's stdout without blocking, up to a deadline."""

    def __init__(self, proc):
        self.proc, self.buf = proc, b""

    def expect(self, pattern, timeout):
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while not rx.search(self.buf):
            left = deadline - time.monotonic()
            assert left > 0, f"no {pattern!r} in: {self.buf[-2000:]!r}"
            ready, _, _ = select.select([self.proc.stdout], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                assert chunk, f"console closed before {pattern!r}: {self.buf[-2000:]!r}"
                self.buf += chunk
        return rx.search(self.buf)

    def send(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()


def test_native_boot_gives_a_shell_on_the_console(out):
    cmd, env = native_cmd(out, "--timeout", "180")
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        con = Console(proc)
        con.expect(rb"TERN-GUEST-READY .*console=ttyS0", 150)
        con.expect(rb"tern-guest:/# ", 60)
        con.send("echo shell-$((6*7)) $(cat /proc/sys/kernel/osrelease); tty")
        m = con.expect(rb"shell-42 (\S+)\r?\n(\S+)\r?\n", 60)
        release = _read(os.path.join(out, "kernel-release")).strip()
        assert m.group(1) == release and m.group(2) == b"/dev/ttyS0"
        con.send("poweroff -f")
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
