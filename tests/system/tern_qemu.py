"""Boots the hypervisor under QEMU (TCG) for system tests and benchmarks, bounded in time."""
import hashlib
import os
import selectors
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("O", os.path.join(ROOT, "build"))
ELF = os.path.join(BUILD, "hypervisor", "tern.elf")

# QEMU's isa-debug-exit turns the hypervisor's status s into exit code (s << 1) | 1.
EXIT_SUCCESS = 1
EXIT_FAILURE = 3


class Run:
    """One finished boot: exit code, serial lines, and host time (s) each line arrived."""

    def __init__(self, rc, lines, stamps, timed_out):
        self.rc, self.lines, self.stamps, self.timed_out = rc, lines, stamps, timed_out

    @property
    def text(self):
        return "\n".join(self.lines)

    def find(self, needle):
        """Index of the first line containing needle, or -1."""
        for i, line in enumerate(self.lines):
            if needle in line:
                return i
        return -1

    def line(self, needle):
        i = self.find(needle)
        assert i >= 0, f"no line containing {needle!r} in:\n{self.text}"
        return self.lines[i]


def iso_for(cmdline, modules=()):
    """A GRUB ISO for this command line, built once and cached in the build dir."""
    files = [ELF, os.path.join(ROOT, "scripts", "mkiso.sh")] + [m.split("|")[0] for m in modules]
    stamps = [os.path.getmtime(f) for f in files]  # a rebuilt module makes a new ISO
    key = hashlib.sha256(repr((cmdline, modules, stamps)).encode()).hexdigest()[:16]
    path = os.path.join(BUILD, "test-isos", key + ".iso")
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        subprocess.run([os.path.join(ROOT, "scripts", "mkiso.sh"), ELF, path, cmdline, *modules],
                       check=True, timeout=120)
    return path


def boot(cmdline, path="direct", smp=2, mem=512, timeout=60, machine="q35", cpu="qemu64",
         modules=(), until=None, send=(), qemu=()):
    """Boots and collects serial output until QEMU exits, `until` appears, or timeout.

    qemu: more QEMU arguments, as they are (NICs, disks).

    send: (trigger, bytes) pairs; the bytes are typed on the serial line once a line
    containing trigger has appeared, in order; each trigger is looked for only in the
    lines after the one that fired the trigger before it."""
    cmd = [os.path.join(ROOT, "scripts", "qemu.sh"), "--smp", str(smp), "--mem", str(mem),
           "--machine", machine, "--cpu", cpu, "--accel", os.environ.get("ACCEL", "tcg")]
    for a in qemu:
        cmd += ["--qemu", a]
    if path == "iso":
        cmd += ["--iso", iso_for(cmdline, tuple(modules))]
    else:
        cmd += ["--kernel", ELF, "--append", cmdline]
        if modules:
            cmd += ["--initrd", ",".join(m.replace("|", " ") for m in modules)]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if send else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    pending = list(send)
    seen = 0  # lines before this index fired earlier triggers
    lines, stamps, buf, timed_out = [], [], b"", False
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    try:
        while True:
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                timed_out = True
                break
            if not sel.select(min(left, 1.0)):
                if proc.poll() is not None:
                    break
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            now = time.monotonic() - start
            buf += chunk
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                lines.append(raw.decode(errors="replace").rstrip("\r"))
                stamps.append(now)
            while pending:
                hit = next((i for i in range(seen, len(lines)) if pending[0][0] in lines[i]), None)
                if hit is None:
                    break
                seen = hit + 1
                proc.stdin.write(pending.pop(0)[1])
                proc.stdin.flush()
            if until and any(until in l for l in lines[-20:]):
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        rc = proc.wait(timeout=10)
        sel.close()
        if proc.stdin:
            proc.stdin.close()
        proc.stdout.close()
    if buf:
        lines.append(buf.decode(errors="replace").rstrip("\r"))
        stamps.append(time.monotonic() - start)
    return Run(rc, lines, stamps, timed_out)
