"""Snapshot store: verify finds damage, and reads never return a corrupt page."""
import os
import random
import re

import pytest

from storelib import mixed_image, write

HASH = re.compile(r"[0-9a-f]{64}")


def flip(path, offset):
    os.chmod(path, 0o644)
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x40]))


def only(store, ext):
    found = [p for p in store.packs() if p.endswith(ext)]
    assert len(found) == 1
    return found[0]


@pytest.fixture
def two(store, tmp_path):
    """A store holding 'a' (in one pack) and 'z' (all zero, no pack)."""
    a = mixed_image(11, 200)
    store.put("a", write(tmp_path / "a", a))
    store.put("z", write(tmp_path / "z", bytes(50 * 4096)))
    assert store.verify().returncode == 0
    return store, a


def problems(store):
    r = store.verify()
    assert r.returncode == 1, r.stdout
    out = __import__("json").loads(r.stdout)
    assert not out["ok"] and out["problems"]
    return "\n".join(out["problems"])


def test_every_flipped_byte_in_a_pack_is_found(two):
    store, _ = two
    pack = only(store, ".pack")
    size = os.path.getsize(pack)
    rng = random.Random(12)
    for off in [0, 9, 63, 64, 100, size - 1] + rng.sample(range(size), 25):
        flip(pack, off)
        assert store.verify().returncode == 1, f"flip at {off} not found"
        flip(pack, off)
    assert store.verify().returncode == 0


def test_corrupt_page_is_reported_never_returned(two, tmp_path):
    store, _ = two
    pack = only(store, ".pack")
    flip(pack, 64 + 40 + 10)                  # data of the first chunk
    text = problems(store)
    assert HASH.search(text) and "snapshot 'a'" in text
    out = tmp_path / "out"
    r = store.run("get", "-o", str(out), "a")
    assert r.returncode == 1
    err = r.stderr.decode()
    assert "snapshot 'a'" in err and HASH.search(err) and "corrupt" in err
    assert not out.exists() and not any(p.name.startswith("out.") for p in tmp_path.iterdir())
    assert store.get("z", tmp_path / "z2") == bytes(50 * 4096)   # the rest still reads


def test_truncated_pack(two, tmp_path):
    store, _ = two
    pack = only(store, ".pack")
    os.chmod(pack, 0o644)
    os.truncate(pack, os.path.getsize(pack) // 2)
    assert "truncated" in problems(store)
    assert store.run("get", "-o", str(tmp_path / "o"), "a").returncode == 1


def test_corrupt_index(two, tmp_path):
    store, _ = two
    idx = only(store, ".idx")
    flip(idx, os.path.getsize(idx) // 2)
    text = problems(store)
    assert "index corrupt" in text and "snapshot 'a'" in text
    r = store.run("get", "-o", str(tmp_path / "o"), "a")
    assert r.returncode == 1 and "missing" in r.stderr.decode()
    assert store.json("gc")["chunks_dropped"] == 0       # gc leaves a bad index alone
    assert os.path.exists(idx)


def test_corrupt_manifest(two, tmp_path):
    store, a = two
    man = os.path.join(store.path, "snapshots", "a", "manifest")
    flip(man, os.path.getsize(man) // 2)
    assert "snapshot 'a'" in problems(store)
    assert store.run("get", "-o", str(tmp_path / "o"), "a").returncode == 1
    r = store.run("gc")
    assert r.returncode == 1 and "nothing dropped" in r.stderr.decode()
    flip(man, os.path.getsize(man) // 2)
    assert store.get("a", tmp_path / "o") == a             # gc dropped nothing


def test_corrupt_metadata(two):
    store, _ = two
    meta = os.path.join(store.path, "snapshots", "z", "meta")
    flip(meta, 40)
    assert "snapshot 'z'" in problems(store)


def test_missing_pack_file(two):
    store, _ = two
    os.unlink(only(store, ".pack"))
    assert "missing" in problems(store)


def test_not_a_store(tmp_path, tern):
    import subprocess
    d = tmp_path / "plain"
    d.mkdir()
    r = subprocess.run([tern, "store", "ls", "--store", str(d)], capture_output=True, timeout=30)
    assert r.returncode == 1 and b"not a tern store" in r.stderr
