"""Round trips of memory images through the stream over files, pipes and TCP."""
import filecmp
import os
import subprocess

import pytest

from streamlib import TIMEOUT, crc32c, decode, encode, run, synth, tool, wait_for


@pytest.fixture(scope="module")
def images(build_dir, tmp_path_factory):
    d = tmp_path_factory.mktemp("img")
    return {
        "mixed": synth(build_dir, d / "mixed.img", "--size-mib", 8, "--seed", 7),
        "variant": synth(build_dir, d / "variant.img", "--size-mib", 8, "--seed", 7, "--variant", 3),
        "zero": synth(build_dir, d / "zero.img", "--size-mib", 4, "--profile", "zero"),
        "random": synth(build_dir, d / "random.img", "--pages", 700, "--profile", "random"),
    }


def info(build_dir, stream):
    r = run([tool(build_dir, "ternstream"), "info", "-i", str(stream)])
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.mark.parametrize("level,extra", [(0, []), (1, []), (9, []), (1, ["--single-thread"]),
                                         (6, ["--vcpus", "5"])])
def test_file_roundtrip(build_dir, images, tmp_path, level, extra):
    s = encode(build_dir, images["mixed"], tmp_path / "s.ts", "--level", level, *extra)
    r = decode(build_dir, s, tmp_path / "out.img")
    assert r.returncode == 0, r.stderr
    assert filecmp.cmp(images["mixed"], tmp_path / "out.img", shallow=False)
    text = info(build_dir, s)
    if level == 0:
        assert "encoding=deflate" not in text
    else:
        assert "encoding=deflate" in text
    assert "\nend\n" in text or text.count("end\n") == 1


def test_zero_pages_cost_nothing(build_dir, images, tmp_path):
    s = encode(build_dir, images["zero"], tmp_path / "z.ts")
    # 1024 zero pages: one 8-byte entry each on the wire, no data.
    assert os.path.getsize(s) < 48 * 1024
    assert "zero_pages=1024" in info(build_dir, s)
    assert decode(build_dir, s, tmp_path / "z.img").returncode == 0
    assert filecmp.cmp(images["zero"], tmp_path / "z.img", shallow=False)


def test_incompressible_batches_stored_raw(build_dir, images, tmp_path):
    s = encode(build_dir, images["random"], tmp_path / "r.ts", "--level", 9)
    text = info(build_dir, s)
    assert "encoding=raw" in text and "encoding=deflate" not in text
    assert os.path.getsize(s) < 700 * 4096 * 1.01
    assert decode(build_dir, s, tmp_path / "r.img").returncode == 0
    assert filecmp.cmp(images["random"], tmp_path / "r.img", shallow=False)


def test_checkpoint_later_pages_win(build_dir, images, tmp_path):
    s = encode(build_dir, images["mixed"], tmp_path / "c.ts", "--then", images["variant"])
    text = info(build_dir, s)
    assert "checkpoint seq=1" in text
    assert text.count("shared_info") == 2  # one per checkpoint epoch
    assert decode(build_dir, s, tmp_path / "c.img").returncode == 0
    assert filecmp.cmp(images["variant"], tmp_path / "c.img", shallow=False)
    assert not filecmp.cmp(images["mixed"], tmp_path / "c.img", shallow=False)


def test_state_records_roundtrip(build_dir, images, tmp_path):
    s = encode(build_dir, images["mixed"], tmp_path / "s.ts", "--vcpus", 3)
    text = info(build_dir, s)
    assert "domain type=1 memory_kib=8192 vcpus=3" in text
    assert len([l for l in text.splitlines() if " vcpu id=" in l]) == 6
    for word in ("p2m size=2048", "evtchn count=3", "grant version=1 frames=1 count=2",
                 "sender_info"):
        assert word in text


def test_config_text_carried(build_dir, images, tmp_path):
    for name in ("web1", "web22"):
        text = f'name = "{name}"\nmemory = 8\nvcpus = 2\n'.encode()
        cfg = tmp_path / "dom.cfg"
        cfg.write_bytes(text)
        s = encode(build_dir, images["mixed"], tmp_path / "a.ts", "--config", cfg)
        line = [l for l in info(build_dir, s).splitlines() if " domain " in l][0]
        assert f"config_len={len(text)} config_crc=0x{crc32c(text):08x}" in line


def test_page_refs_manifest(build_dir, images, tmp_path):
    s = encode(build_dir, images["mixed"], tmp_path / "m.ts", "--refs")
    text = info(build_dir, s)
    assert "refs count=1024" in text and "summary records=" in text
    assert os.path.getsize(s) < 2048 * 41 + 16384
    r = decode(build_dir, s, tmp_path / "m.img")
    assert r.returncode == 1
    assert "PAGE_REFS record" in r.stderr and "page references" in r.stderr
    assert not os.path.exists(tmp_path / "m.img")


def test_pipe_roundtrip(build_dir, images, tmp_path):
    ts = tool(build_dir, "ternstream")
    out = tmp_path / "p.img"
    enc = subprocess.Popen([ts, "encode", "-i", str(images["mixed"])], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL)
    dec = subprocess.run([ts, "decode", "-o", str(out)], stdin=enc.stdout, capture_output=True,
                         text=True, timeout=TIMEOUT)
    enc.stdout.close()
    assert enc.wait(timeout=TIMEOUT) == 0
    assert dec.returncode == 0, dec.stderr
    assert filecmp.cmp(images["mixed"], out, shallow=False)


def start_receiver(build_dir, out, *extra):
    p = subprocess.Popen([tool(build_dir, "ternstream"), "recv", "--listen", "127.0.0.1:0",
                          "-o", str(out), "--timeout", "30", *extra],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()  # bounded: recv prints it at once or exits
    assert line.startswith("listening 127.0.0.1:"), (line, p.stderr.read() if p.poll() else "")
    return p, int(line.rsplit(":", 1)[1])


def test_tcp_roundtrip(build_dir, images, tmp_path):
    out = tmp_path / "t.img"
    recv, port = start_receiver(build_dir, out)
    try:
        s = run([tool(build_dir, "ternstream"), "send", "-i", str(images["mixed"]),
                 "--to", f"tcp:127.0.0.1:{port}", "--timeout", "30"])
        assert s.returncode == 0, s.stderr
        assert "receiver confirmed" in s.stderr
        assert recv.wait(timeout=TIMEOUT) == 0, recv.stderr.read()
    finally:
        if recv.poll() is None:
            recv.kill()
            recv.wait(timeout=TIMEOUT)
    assert filecmp.cmp(images["mixed"], out, shallow=False)


def test_tcp_receiver_refusal_reaches_sender(build_dir, images, tmp_path):
    # The receiver cannot create its output directory: it must say so, and the sender too.
    out = tmp_path / "missing-dir" / "t.img"
    recv, port = start_receiver(build_dir, out)
    try:
        s = run([tool(build_dir, "ternstream"), "send", "-i", str(images["mixed"]),
                 "--to", f"tcp:127.0.0.1:{port}", "--timeout", "30"])
        assert s.returncode == 1
        assert "receiver" in s.stderr
        assert recv.wait(timeout=TIMEOUT) == 1
    finally:
        if recv.poll() is None:
            recv.kill()
            recv.wait(timeout=TIMEOUT)
    assert not out.exists()


def test_tcp_connect_refused(build_dir, images, tmp_path):
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    r = run([tool(build_dir, "ternstream"), "send", "-i", str(images["mixed"]),
             "--to", f"tcp:127.0.0.1:{port}", "--timeout", "5"])
    assert r.returncode == 1 and "connecting to 127.0.0.1" in r.stderr
