"""Snapshot store: save streams imported as snapshots and exported back."""
import os
import random
import subprocess

import pytest

from storelib import PAGE, mixed_image, variant, write


def ts(tool, *args):
    r = subprocess.run([tool, *args], capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    return r.stdout.decode()


def state_lines(info):
    """The non-page records `ternstream info` prints, without their offsets."""
    keep = ("domain", "p2m", "vcpu", "shared_info", "evtchn", "grant", "sender_info")
    return sorted(l.split(" ", 1)[1] for l in info.splitlines()
                  if l.startswith("@") and l.split(" ")[1] in keep)


@pytest.fixture
def image(tmp_path):
    return write(tmp_path / "img", mixed_image(31, 1200))


def test_stream_round_trip(store, stream_tool, image, tmp_path):
    stream = tmp_path / "s"
    ts(stream_tool, "encode", "-i", str(image), "-o", str(stream), "--vcpus", "3")
    out = store.put("st", stream)
    assert out["kind"] == "stream" and out["pages"] == 1200
    with open(image, "rb") as f:
        mem = f.read()
    assert store.get("st", tmp_path / "mem") == mem
    store.get("st", tmp_path / "back", "--format", "stream")
    ts(stream_tool, "decode", "-i", str(tmp_path / "back"), "-o", str(tmp_path / "dec"))
    with open(tmp_path / "dec", "rb") as f:
        assert f.read() == mem
    # vCPU, shared info, event channel and grant records come back verbatim
    assert state_lines(ts(stream_tool, "info", "-i", str(tmp_path / "back"))) == \
        state_lines(ts(stream_tool, "info", "-i", str(stream)))
    # the manifest is itself a valid stream, of page references
    man = ts(stream_tool, "info", "-i", os.path.join(store.path, "snapshots", "st", "manifest"))
    assert " refs " in man and " pages " not in man


def test_later_copy_of_a_page_wins(store, stream_tool, image, tmp_path):
    with open(image, "rb") as f:
        first = f.read()
    second = variant(first, 32, 20)
    write(tmp_path / "img2", second)
    ts(stream_tool, "encode", "-i", str(image), "--then", str(tmp_path / "img2"),
       "-o", str(tmp_path / "s"))
    store.put("two", tmp_path / "s")
    assert store.get("two", tmp_path / "mem") == second


def test_stream_of_references_needs_its_pages(store, stream_tool, image, tmp_path):
    ts(stream_tool, "encode", "-i", str(image), "--refs", "-o", str(tmp_path / "refs"))
    r = store.run("put", "--name", "r", str(tmp_path / "refs"))
    assert r.returncode == 1 and b"not in the store" in r.stderr
    assert store.json("ls")["snapshots"] == []
    store.put("full", image)
    store.put("r", tmp_path / "refs")
    with open(image, "rb") as f:
        assert store.get("r", tmp_path / "mem") == f.read()


def test_damaged_streams_are_refused_whole(store, stream_tool, image, tmp_path):
    ts(stream_tool, "encode", "-i", str(image), "-o", str(tmp_path / "s"))
    with open(tmp_path / "s", "rb") as f:
        good = f.read()
    store.put("good", tmp_path / "s")
    rng = random.Random(33)
    bad = bytearray(good)
    bad[len(bad) // 2] ^= 1
    cases = {"truncated": good[:len(good) // 2], "flipped": bytes(bad),
             "no-end": good[:-16], "garbage": b"TERNSTRM" + rng.randbytes(5000)}
    for name, data in cases.items():
        r = store.run("put", "--name", name, "--format", "stream", str(write(tmp_path / name, data)))
        assert r.returncode == 1, name
        assert r.stderr.startswith(b"tern: "), name
    assert [s["name"] for s in store.json("ls")["snapshots"]] == ["good"]
    assert store.verify().returncode == 0


def test_export_to_a_pipe(store, stream_tool, tern, image, tmp_path):
    store.put("img", image)
    get = subprocess.Popen([tern, "store", "get", "--store", store.path, "-f", "stream", "img"],
                           stdout=subprocess.PIPE)
    dec = subprocess.run([stream_tool, "decode", "-o", str(tmp_path / "mem")], stdin=get.stdout,
                         capture_output=True, timeout=60)
    get.stdout.close()
    assert get.wait(timeout=60) == 0 and dec.returncode == 0
    with open(image, "rb") as f, open(tmp_path / "mem", "rb") as g:
        assert f.read() == g.read()
