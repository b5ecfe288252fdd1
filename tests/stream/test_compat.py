"""Older stream versions keep loading: a checked-in version 1 stream and freshly written ones."""
import filecmp
import os

from streamlib import DOMAIN, HDR, REC, decode, encode, record_check, records, run, stream_version, synth, tool

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def test_checked_in_v1_stream_loads(build_dir, tmp_path):
    # v1_small.ts was written by the version 1 writer; v1_small.memory is the guest memory it holds.
    r = decode(build_dir, os.path.join(DATA, "v1_small.ts"), tmp_path / "out.img")
    assert r.returncode == 0, r.stderr
    assert filecmp.cmp(os.path.join(DATA, "v1_small.memory"), tmp_path / "out.img", shallow=False)
    info = run([tool(build_dir, "ternstream"), "info", "-i", os.path.join(DATA, "v1_small.ts")])
    assert "header version=1" in info.stdout
    assert "config_len=0" in info.stdout


def test_v2_stream_loads(build_dir, tmp_path):
    # Version 2 (records checked with CRC32C) is still written on request and read back.
    img = synth(build_dir, tmp_path / "a.img", "--pages", 64, "--seed", 3)
    v2 = encode(build_dir, img, tmp_path / "v2.ts", "--version", 2)
    assert int.from_bytes(open(v2, "rb").read()[8:12], "little") == 2
    r = decode(build_dir, v2, tmp_path / "o.img")
    assert r.returncode == 0, r.stderr
    assert filecmp.cmp(img, tmp_path / "o.img", shallow=False)


def test_v3_records_checked_with_xxh64(build_dir, tmp_path):
    # The writer's default: every record's check is the folded XXH64 the spec describes.
    img = synth(build_dir, tmp_path / "a.img", "--pages", 64, "--seed", 4)
    blob = open(encode(build_dir, img, tmp_path / "v3.ts"), "rb").read()
    assert stream_version(blob) == 3
    for off, rtype, length, crc, body in records(blob):
        assert crc == record_check(3, REC.pack(rtype, length, 0, 0), body), (off, rtype)
        assert crc != record_check(2, REC.pack(rtype, length, 0, 0), body)


def test_v1_domain_header_has_no_config(build_dir, tmp_path):
    img = synth(build_dir, tmp_path / "a.img", "--pages", 64)
    v1 = open(encode(build_dir, img, tmp_path / "v1.ts", "--version", 1), "rb").read()
    v2 = open(encode(build_dir, img, tmp_path / "v2.ts"), "rb").read()
    d1 = next(r for r in records(v1) if r[1] == DOMAIN)
    d2 = next(r for r in records(v2) if r[1] == DOMAIN)
    assert d1[2] == 24 and d2[2] > 32
    assert int.from_bytes(v1[8:12], "little") == 1
    r = decode(build_dir, tmp_path / "v1.ts", tmp_path / "o.img")
    assert r.returncode == 0, r.stderr
    assert filecmp.cmp(img, tmp_path / "o.img", shallow=False)


def test_v2_layout_in_v1_stream_rejected(build_dir, tmp_path):
    # A version 2 domain header inside a version 1 stream is not silently misread.
    img = synth(build_dir, tmp_path / "a.img", "--pages", 16)
    v2 = bytearray(open(encode(build_dir, img, tmp_path / "v2.ts", "--version", 2), "rb").read())
    v2[8:12] = (1).to_bytes(4, "little")  # versions 1 and 2 check records alike (CRC32C)
    from streamlib import crc32c
    v2[20:24] = b"\0\0\0\0"
    v2[20:24] = crc32c(bytes(v2[:HDR.size])).to_bytes(4, "little")
    (tmp_path / "mixed.ts").write_bytes(bytes(v2))
    r = decode(build_dir, tmp_path / "mixed.ts", tmp_path / "o.img")
    assert r.returncode == 1
    assert "version 1 body must be 24 bytes" in r.stderr
    assert not (tmp_path / "o.img").exists()
