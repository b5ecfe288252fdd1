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


_P1, _P2, _P3, _P4, _P5 = (0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                           0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5)
_M = (1 << 64) - 1


def _rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & _M


def _lane(acc, v):
    return _rotl((acc + v * _P2) & _M, 31) * _P1 & _M


def xxh64(data, seed=0):
    """XXH64, written from its specification (the checks the C code is tested against)."""
    n, p = len(data), 0
    if n >= 32:
        v = [(seed + _P1 + _P2) & _M, (seed + _P2) & _M, seed, (seed - _P1) & _M]
        while n - p >= 32:
            for i in range(4):
                v[i] = _lane(v[i], int.from_bytes(data[p + 8 * i:p + 8 * i + 8], "little"))
            p += 32
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & _M
        for x in v:
            h = ((h ^ _lane(0, x)) * _P1 + _P4) & _M
    else:
        h = (seed + _P5) & _M
    h = (h + n) & _M
    while n - p >= 8:
        h = (_rotl(h ^ _lane(0, int.from_bytes(data[p:p + 8], "little")), 27) * _P1 + _P4) & _M
        p += 8
    if n - p >= 4:
        h = (_rotl(h ^ (int.from_bytes(data[p:p + 4], "little") * _P1 & _M), 23) * _P2 + _P3) & _M
        p += 4
    for b in data[p:]:
        h = _rotl(h ^ (b * _P5 & _M), 11) * _P1 & _M
    h = (h ^ (h >> 33)) * _P2 & _M
    h = (h ^ (h >> 29)) * _P3 & _M
    return h ^ (h >> 32)


def record_check(version, hdr, body):
    """A record's check field: CRC32C in stream versions 1 and 2, folded XXH64 from 3."""
    if version < 3:
        return crc32c(body, crc32c(hdr))
    x = xxh64(body, xxh64(hdr))
    return (x ^ (x >> 32)) & 0xFFFFFFFF


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


def make_record(rtype, body, reserved=0, version=3):
    """A well-formed record with a correct check for a stream of that version."""
    hdr = REC.pack(rtype, len(body), 0, reserved)
    pad = b"\0" * ((8 - len(body) % 8) % 8)
    return REC.pack(rtype, len(body), record_check(version, hdr, body), reserved) + body + pad


def stream_version(blob):
    return HDR.unpack_from(blob)[1]


def rebuild(blob, recs):
    """Stream header of `blob` followed by the given (type, body) records, re-checksummed."""
    v = stream_version(blob)
    return blob[:HDR.size] + b"".join(make_record(t, b, version=v) for t, b in recs)


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
