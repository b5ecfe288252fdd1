"""Helpers for the stream tests: run the tools with time limits, parse and forge stream framing."""
import os
import struct
import subprocess
import time

HDR = struct.Struct("<8sIIIIQ")      # stream header, 32 bytes
REC = struct.Struct("<IIII")         # record header: type, length, crc, reserved

END, DOMAIN, P2M, PAGES, VCPU, SHARED, EVTCHN, GRANT, CKPT, REFS = range(10)
SENDER_INFO = 0x8000000A
TIMEOUT = 60


def _crc_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
        table.append(c)
    return table


_TABLE = _crc_table()


def crc32c(data, crc=0):
    c = crc ^ 0xFFFFFFFF
    for b in data:
        c = (c >> 8) ^ _TABLE[(c ^ b) & 0xFF]
    return c ^ 0xFFFFFFFF


def tool(build_dir, name):
    path = os.path.join(build_dir, "migrate", name)
    assert os.access(path, os.X_OK), f"{path} missing: run make first"
    return path


def run(args, timeout=TIMEOUT, **kw):
    """Run a command bounded in time; returns CompletedProcess with text output."""
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, **kw)


def synth(build_dir, path, *args):
    r = run([tool(build_dir, "synthimg"), "-o", str(path)] + [str(a) for a in args])
    assert r.returncode == 0, r.stderr
    return path


def encode(build_dir, image, out, *args):
    r = run([tool(build_dir, "ternstream"), "encode", "-i", str(image), "-o", str(out)]
            + [str(a) for a in args])
    assert r.returncode == 0, r.stderr
    return out


def decode(build_dir, stream, out):
    return run([tool(build_dir, "ternstream"), "decode", "-i", str(stream), "-o", str(out)])


def records(blob):
    """Split a stream into (offset, type, length, crc, body) tuples (trusting its framing)."""
    out = []
    off = HDR.size
    while off + REC.size <= len(blob):
        rtype, length, crc, _ = REC.unpack_from(blob, off)
        body = blob[off + REC.size: off + REC.size + length]
        out.append((off, rtype, length, crc, body))
        off += REC.size + length + ((8 - length % 8) % 8)
    return out


def make_record(rtype, body, reserved=0):
    """A well-formed record with a correct checksum."""
    hdr = REC.pack(rtype, len(body), 0, reserved)
    crc = crc32c(body, crc32c(hdr))
    pad = b"\0" * ((8 - len(body) % 8) % 8)
    return REC.pack(rtype, len(body), crc, reserved) + body + pad


def rebuild(blob, recs):
    """Stream header of `blob` followed by the given (type, body) records, re-checksummed."""
    return blob[:HDR.size] + b"".join(make_record(t, b) for t, b in recs)


def wait_for(cond, timeout=20.0, what="condition"):
    """Poll cond() until it is true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def proc_io(pid, field):
    """Bytes read/written so far by a process (rchar / wchar in /proc/PID/io)."""
    try:
        with open(f"/proc/{pid}/io") as f:
            for line in f:
                k, v = line.split(":")
                if k == field:
                    return int(v)
    except OSError:
        return 0
    return 0


def tcp_tx_queued(port):
    """Bytes sent but not yet taken by the peer, on established loopback connections to `port`."""
    total = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            remote, state, queues = fields[2], fields[3], fields[4]
            if int(remote.split(":")[1], 16) == port and state == "01":
                total += int(queues.split(":")[0], 16)
    return total


def pipe_queued(pid, fd):
    """Bytes waiting in the pipe another process reads as `fd`."""
    import fcntl
    import termios
    try:
        with open(f"/proc/{pid}/fd/{fd}", "rb", buffering=0) as p:
            buf = bytearray(4)
            fcntl.ioctl(p.fileno(), termios.FIONREAD, buf)
            return int.from_bytes(buf, "little")
    except OSError:
        return 0
