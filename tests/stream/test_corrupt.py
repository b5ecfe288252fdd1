"""Every kind of damaged or hostile stream is refused with a clear error and leaves no output."""
import os
import struct

import pytest

from streamlib import (CKPT, DOMAIN, END, EVTCHN, GRANT, HDR, P2M, PAGES, REC, SHARED, VCPU,
                       SENDER_INFO, crc32c, encode, make_record, rebuild, records, run, synth, tool)

NAMES = {END: "END", DOMAIN: "DOMAIN_HEADER", P2M: "P2M_LAYOUT", PAGES: "PAGE_BATCH",
         VCPU: "VCPU_CONTEXT", SHARED: "SHARED_INFO", EVTCHN: "EVTCHN_STATE",
         GRANT: "GRANT_STATE", CKPT: "CHECKPOINT", SENDER_INFO: "SENDER_INFO"}


@pytest.fixture(scope="module")
def streams(build_dir, tmp_path_factory):
    d = tmp_path_factory.mktemp("corrupt")
    a = synth(build_dir, d / "a.img", "--pages", 40, "--seed", 11)
    b = synth(build_dir, d / "b.img", "--pages", 40, "--seed", 11, "--variant", 1, "--change", 30)
    raw = encode(build_dir, a, d / "raw.ts", "--level", 0, "--then", b)
    z = encode(build_dir, a, d / "z.ts", "--level", 1)
    return {"raw": open(raw, "rb").read(), "deflate": open(z, "rb").read()}


def decode_bytes(build_dir, tmp_path, blob):
    """Decode `blob`; assert it failed cleanly and left nothing behind; return stderr."""
    src = tmp_path / "in.ts"
    src.write_bytes(blob)
    outdir = tmp_path / "out"
    outdir.mkdir(exist_ok=True)
    r = run([tool(build_dir, "ternstream"), "decode", "-i", str(src), "-o", str(outdir / "m.img")])
    assert r.returncode == 1, f"accepted a bad stream: {r.stderr}"
    assert r.stderr.startswith("ternstream decode: "), r.stderr
    assert os.listdir(outdir) == [], "output or temporary file left behind"
    return r.stderr


def test_base_stream_is_good(build_dir, tmp_path, streams):
    for blob in streams.values():
        src = tmp_path / "ok.ts"
        src.write_bytes(blob)
        r = run([tool(build_dir, "ternstream"), "decode", "-i", str(src), "--discard"])
        assert r.returncode == 0, r.stderr
    kinds = {t for _, t, *_ in records(streams["raw"])}
    assert kinds == set(NAMES), "base stream must hold every record kind"


def flip(blob, pos, mask=0x01):
    b = bytearray(blob)
    b[pos] ^= mask
    return bytes(b)


def test_flip_body_byte_in_every_record(build_dir, tmp_path, streams):
    blob = streams["raw"]
    for off, rtype, length, _, _ in records(blob):
        if length == 0:
            continue
        for pos in {off + REC.size, off + REC.size + length // 2, off + REC.size + length - 1}:
            err = decode_bytes(build_dir, tmp_path, flip(blob, pos))
            assert f"{NAMES[rtype]} record (type 0x{rtype:x}) at offset {off}: checksum mismatch" in err


def test_flip_header_fields_in_every_record(build_dir, tmp_path, streams):
    blob = streams["raw"]
    for off, rtype, _, _, _ in records(blob):
        err = decode_bytes(build_dir, tmp_path, flip(blob, off + 8))  # crc
        assert f"{NAMES[rtype]} record (type 0x{rtype:x}) at offset {off}: checksum mismatch" in err
        err = decode_bytes(build_dir, tmp_path, flip(blob, off, 0x40))  # type
        assert f"at offset {off}: checksum mismatch" in err
        err = decode_bytes(build_dir, tmp_path, flip(blob, off + 4, 0x10))  # length
        assert "offset" in err


def test_flip_stream_header(build_dir, tmp_path, streams):
    for pos in range(HDR.size):
        err = decode_bytes(build_dir, tmp_path, flip(streams["raw"], pos))
        assert "stream at offset 0" in err


def test_truncate_at_many_offsets(build_dir, tmp_path, streams):
    blob = streams["deflate"]
    cuts = {0, 1, HDR.size - 1, HDR.size, len(blob) - 1, len(blob) - 16}
    for off, _, length, _, _ in records(blob):
        cuts |= {off, off + 1, off + REC.size, off + REC.size + length // 2}
    cuts |= set(range(HDR.size, len(blob), max(1, len(blob) // 60)))
    for cut in sorted(c for c in cuts if c < len(blob)):
        err = decode_bytes(build_dir, tmp_path, blob[:cut])
        assert "truncated" in err or "empty stream" in err, (cut, err)


def test_oversized_length(build_dir, tmp_path, streams):
    blob = bytearray(streams["raw"])
    off, rtype, *_ = records(bytes(blob))[2]
    struct.pack_into("<I", blob, off + 4, 0x01000000)
    err = decode_bytes(build_dir, tmp_path, bytes(blob))
    assert f"at offset {off}: length 16777216 exceeds the maximum" in err


def recs(blob):
    return [(t, body) for _, t, _, _, body in records(blob)]


def by_type(rs, t):
    return next(i for i, r in enumerate(rs) if r[0] == t)


@pytest.mark.parametrize("case,expect", [
    ("p2m_first", "P2M_LAYOUT record (type 0x2) at offset 32: record before DOMAIN_HEADER"),
    ("pages_before_p2m", "PAGE_BATCH record (type 0x3) at offset 120: record before P2M_LAYOUT"),
    ("dup_header", "duplicate DOMAIN_HEADER"),
    ("dup_p2m", "duplicate P2M_LAYOUT"),
    ("record_after_end", "END record (type 0x0) at offset"),
    ("bytes_after_end", "data after END"),
    ("no_end", "stream ends without an END record"),
    ("dup_shared_info", "second SHARED_INFO in one checkpoint"),
    ("dup_vcpu", "twice in one checkpoint"),
    ("unknown_mandatory", "UNKNOWN record (type 0x77)"),
])
def test_order_violations(build_dir, tmp_path, streams, case, expect):
    blob = streams["raw"]
    rs = [r for r in recs(blob) if r[0] != SENDER_INFO]
    d, p = by_type(rs, DOMAIN), by_type(rs, P2M)
    if case == "p2m_first":
        rs[d], rs[p] = rs[p], rs[d]
    elif case == "pages_before_p2m":
        rs.insert(p, rs.pop(by_type(rs, PAGES)))
    elif case == "dup_header":
        rs.insert(p + 1, rs[d])
    elif case == "dup_p2m":
        rs.insert(p + 1, rs[p])
    elif case == "record_after_end":
        rs.append(rs[by_type(rs, SHARED)])
    elif case == "no_end":
        rs.pop()
    elif case == "dup_shared_info":
        s = by_type(rs, SHARED)
        rs.insert(s, rs[s])
    elif case == "dup_vcpu":
        v = by_type(rs, VCPU)
        rs.insert(v, rs[v])
    elif case == "unknown_mandatory":
        rs.insert(p + 1, (0x77, b"surprise"))
    out = rebuild(blob, rs)
    if case == "bytes_after_end":
        out += b"\0" * 8
    err = decode_bytes(build_dir, tmp_path, out)
    assert expect in err


def test_unknown_optional_record_is_skipped(build_dir, tmp_path, streams):
    blob = streams["raw"]
    rs = recs(blob)
    rs.insert(by_type(rs, PAGES), (0x80000077, b"future optional data"))
    src = tmp_path / "opt.ts"
    src.write_bytes(rebuild(blob, rs))
    r = run([tool(build_dir, "ternstream"), "info", "-i", str(src)])
    assert r.returncode == 0, r.stderr
    assert "skipped=1" in r.stdout
    r = run([tool(build_dir, "ternstream"), "decode", "-i", str(src), "-o", str(tmp_path / "o.img")])
    assert r.returncode == 0, r.stderr


def patch(rs, t, fn, nth=0):
    idx = [i for i, r in enumerate(rs) if r[0] == t][nth]
    body = bytearray(rs[idx][1])
    fn(body)
    rs[idx] = (t, bytes(body))
    return rs


def set32(off, v):
    return lambda b: struct.pack_into("<I", b, off, v)


def set64(off, v):
    return lambda b: struct.pack_into("<Q", b, off, v)


BAD_FIELDS = [
    ("vcpu id", VCPU, set32(0, 99), "vCPU id 99 out of range (vcpu_count 2)"),
    ("vcpu kind", VCPU, set32(4, 9), "unknown context kind 9"),
    ("domain reserved", DOMAIN, set64(24, 1), "DOMAIN_HEADER record (type 0x1) at offset 80: reserved field not zero"),
    ("domain type", DOMAIN, set32(0, 7), "unsupported domain type 7"),
    ("vcpu count", DOMAIN, set32(16, 0), "vcpu_count 0 out of range"),
    ("config len", DOMAIN, set32(20, 5), "config_len 5 but"),
    ("page shift", DOMAIN, set32(4, 21), "page_shift 21"),
    ("p2m frame", P2M, set64(16, 1 << 40), "beyond p2m_size"),
    ("p2m size", P2M, set64(0, 0), "p2m_size 0x0 out of range"),
    ("pfn beyond layout", PAGES, set64(24, 40), "pfn 0x28 beyond the frame layout (p2m_size 0x28)"),
    ("page type", PAGES, set64(24, 6 << 56), "invalid page type 6"),
    ("entry reserved", PAGES, set64(24, 1 << 53), "reserved bits set"),
    ("duplicate pfn", PAGES, set64(32, 0), "pfn 0x0 twice in one batch"),
    ("batch count", PAGES, set32(0, 5000), "count 5000 out of range"),
    ("batch encoding", PAGES, lambda b: b.__setitem__(4, 7), "unknown encoding 7"),
    ("batch reserved", PAGES, lambda b: b.__setitem__(5, 1), "reserved field not zero"),
    ("raw_len", PAGES, set32(12, 4096), "raw_len 4096 but"),
    ("shared info size", SHARED, lambda b: b.extend(b"\0" * 8), "body must be 4096 bytes"),
    ("evtchn state", EVTCHN, lambda b: b.__setitem__(8 + 4, 9), "invalid state 9"),
    ("evtchn order", EVTCHN, set32(8 + 16, 0), "not increasing"),
    ("evtchn vcpu", EVTCHN, lambda b: struct.pack_into("<H", b, 8 + 6, 40), "vCPU 40 out of range"),
    ("grant version", GRANT, set32(0, 3), "grant table version 3"),
    ("grant ref", GRANT, set32(16 + 16, 600), "ref 600 out of range"),
    ("grant frame", GRANT, set64(16 + 8, 1 << 30), "beyond p2m_size"),
    ("checkpoint seq", CKPT, set64(0, 5), "sequence 5, expected 1"),
    ("end body", END, lambda b: b.extend(b"x"), "END must be empty"),
]


@pytest.mark.parametrize("name,rtype,fn,expect", BAD_FIELDS, ids=[c[0] for c in BAD_FIELDS])
def test_bad_fields_with_valid_checksum(build_dir, tmp_path, streams, name, rtype, fn, expect):
    blob = streams["raw"]
    err = decode_bytes(build_dir, tmp_path, rebuild(blob, patch(recs(blob), rtype, fn)))
    assert expect in err
    assert f"{NAMES[rtype]} record (type 0x{rtype:x}) at offset" in err


def test_corrupt_deflate_data_with_valid_checksum(build_dir, tmp_path, streams):
    blob = streams["deflate"]
    rs = recs(blob)
    i = by_type(rs, PAGES)
    count = struct.unpack_from("<I", rs[i][1])[0]
    body = bytearray(rs[i][1])
    data = 24 + 8 * count
    for k in range(data, min(len(body), data + 64)):
        body[k] ^= 0x5A
    rs[i] = (PAGES, bytes(body))
    err = decode_bytes(build_dir, tmp_path, rebuild(blob, rs))
    assert "page data does not decompress" in err


def test_reserved_and_padding_in_framing(build_dir, tmp_path, streams):
    blob = streams["raw"]
    rs = recs(blob)
    out = blob[:HDR.size] + b"".join(make_record(t, b, reserved=(1 if t == P2M else 0)) for t, b in rs)
    assert "record header reserved field not zero" in decode_bytes(build_dir, tmp_path, out)
    # SENDER_INFO's text is not a multiple of 8: it has padding to spoil.
    off, rtype, length, _, _ = records(blob)[0]
    assert length % 8
    pad = off + REC.size + length
    err = decode_bytes(build_dir, tmp_path, flip(blob, pad))
    assert "padding byte not zero" in err


def header(version=2, order=0x01020304, flags=0, magic=b"TERNSTRM"):
    h = bytearray(HDR.pack(magic, version, order, flags, 0, 0))
    struct.pack_into("<I", h, 20, crc32c(bytes(h)))
    return bytes(h)


@pytest.mark.parametrize("hdr,expect", [
    (header(version=4), "stream version 4, this reader loads 1..3"),
    (header(version=0), "stream version 0"),
    (header(order=0x04030201), "only little-endian streams exist"),
    (header(flags=1), "flags/reserved not zero"),
    (header(magic=b"XENFXENF"), "bad magic"),
])
def test_bad_stream_header(build_dir, tmp_path, streams, hdr, expect):
    err = decode_bytes(build_dir, tmp_path, hdr + streams["raw"][HDR.size:])
    assert expect in err


def test_empty_input(build_dir, tmp_path):
    assert "empty stream" in decode_bytes(build_dir, tmp_path, b"")
