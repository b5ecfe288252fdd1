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


class _Serial:
    """QEMU's serial line: what it printed so far, line by line, and typing into it."""

    def __init__(self, proc):
        self.proc, self.lines, self.stamps, self.buf, self.closed = proc, [], [], b"", False
        self.sel = selectors.DefaultSelector()
        self.sel.register(proc.stdout, selectors.EVENT_READ)

    def read(self, wait, start):
        """Waits up to wait s for output; False if none came."""
        if self.closed or not self.sel.select(wait):
            return False
        chunk = os.read(self.proc.stdout.fileno(), 65536)
        if not chunk:
            self.closed = True
            return False
        now = time.monotonic() - start
        self.buf += chunk
        while b"\n" in self.buf:
            raw, self.buf = self.buf.split(b"\n", 1)
            self.lines.append(raw.decode(errors="replace").rstrip("\r"))
            self.stamps.append(now)
        return True

    def wait_for(self, needle, first, seconds, start):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if any(needle in l for l in self.lines[first:]):
                return True
            self.read(0.2, start)
        return False

    def dump_hypervisor_state(self, start):
        """A boot that hangs says why: the serial focus goes round to the hypervisor (Ctrl-A
        three times per step) and its debug keys print the CPUs, run queue and vCPUs."""
        try:
            self.lines.append("--- timed out: asking the hypervisor for its state ---")
            self.stamps.append(time.monotonic() - start)
            for _ in range(8):
                first = len(self.lines)
                self.proc.stdin.write(b"\x01\x01\x01")
                self.proc.stdin.flush()
                if not self.wait_for("*** serial input to", first, 2, start):
                    return  # the hypervisor does not answer serial input
                if any("serial input to the hypervisor" in l for l in self.lines[first:]):
                    break
            first = len(self.lines)
            self.proc.stdin.write(b"d")
            self.proc.stdin.flush()
            self.wait_for("pending ports", first, 3, start) or self.read(1, start)
        except (BrokenPipeError, OSError):
            pass

    def close(self, start):
        self.sel.close()
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        self.proc.stdout.close()
        if self.buf:
            self.lines.append(self.buf.decode(errors="replace").rstrip("\r"))
            self.stamps.append(time.monotonic() - start)


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
    # stdin is always a pipe: a boot that times out is asked for the hypervisor's state
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = _Serial(proc)
    pending = list(send)
    seen = 0  # lines before this index fired earlier triggers
    timed_out = False
    try:
        while True:
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                timed_out = True
                break
            if not out.read(min(left, 1.0), start):
                if out.closed or proc.poll() is not None:
                    break
                continue
            lines = out.lines
            while pending:
                hit = next((i for i in range(seen, len(lines)) if pending[0][0] in lines[i]), None)
                if hit is None:
                    break
                seen = hit + 1
                proc.stdin.write(pending.pop(0)[1])
                proc.stdin.flush()
            if until and any(until in l for l in lines[-20:]):
                break
        if timed_out and proc.poll() is None:
            out.dump_hypervisor_state(start)
    finally:
        if proc.poll() is None:
            proc.kill()
        rc = proc.wait(timeout=10)
        out.close(start)
    lines, stamps = out.lines, out.stamps
    return Run(rc, lines, stamps, timed_out)
