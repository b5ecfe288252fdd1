"""Snapshot store: SIGKILL mid-snapshot and concurrent writers leave it consistent."""
import glob
import os
import random
import subprocess
import time

from storelib import PAGE, write


def pack_data_in_tmp(store):
    """Bytes of page data an unfinished put has written so far."""
    sizes = [os.path.getsize(p) for p in glob.glob(os.path.join(store.path, "tmp", "*.pack"))]
    return max(sizes, default=0)


def poll(cond, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.002)
    return cond()


def names(store):
    return [s["name"] for s in store.json("ls")["snapshots"]]


def check_consistent(store, tmp_path, expect):
    r = store.verify()
    assert r.returncode == 0, r.stdout
    for name, img in expect.items():
        assert store.get(name, tmp_path / "back") == img


def test_kill9_mid_snapshot_loses_only_that_snapshot(store, tern, tmp_path):
    rng = random.Random(21)
    base = rng.randbytes(512 * PAGE)
    store.put("base", write(tmp_path / "base", base))
    p = subprocess.Popen([tern, "store", "put", "--store", store.path, "--name", "inflight", "-"],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        big = rng.randbytes(16 << 20)
        sent = 0
        while sent < len(big) and pack_data_in_tmp(store) <= 64:
            p.stdin.write(big[sent:sent + (1 << 20)])
            p.stdin.flush()
            sent += 1 << 20
        assert poll(lambda: pack_data_in_tmp(store) > 64), "writer never wrote pack data"
        p.kill()
    finally:
        p.wait(timeout=30)
        p.stdin.close()
    assert p.returncode == -9
    assert names(store) == ["base"]
    check_consistent(store, tmp_path, {"base": base})
    after = base[:256 * PAGE] + big[:256 * PAGE]
    store.put("after", write(tmp_path / "after", after))
    check_consistent(store, tmp_path, {"base": base, "after": after})
    assert store.json("gc")["tmp_removed"] >= 1


def test_kill9_at_many_points_of_a_put(store, tern, tmp_path):
    rng = random.Random(22)
    base = rng.randbytes(256 * PAGE)
    store.put("base", write(tmp_path / "base", base))
    big = rng.randbytes(48 << 20)
    src = write(tmp_path / "big", big)
    hit_mid_write = False
    for i, delay in enumerate([0.0, 0.01, 0.02, 0.04, 0.08, 0.16, 0.3]):
        name = f"big{i}"
        p = subprocess.Popen([tern, "store", "put", "--store", store.path, "--name", name, str(src)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        poll(lambda: p.poll() is not None or pack_data_in_tmp(store) > 64, 30)
        hit_mid_write |= p.poll() is None
        time.sleep(delay)   # vary the point of the kill; not a condition wait
        p.kill()
        p.wait(timeout=30)
        expect = {"base": base}
        if name in names(store):          # the kill came after the commit point
            expect[name] = big
        check_consistent(store, tmp_path, expect)
        for n in names(store):
            if n != "base":
                store.json("rm", n)
    assert hit_mid_write


def test_two_concurrent_writers(store, tern, tmp_path):
    rng = random.Random(23)
    shared = rng.randbytes(4096 * PAGE)
    a = shared + rng.randbytes(4096 * PAGE)
    b = rng.randbytes(4096 * PAGE) + shared
    store.put("seed", write(tmp_path / "seed", bytes(PAGE)))   # the store exists
    procs = [subprocess.Popen([tern, "store", "put", "--store", store.path, "--name", n,
                               str(write(tmp_path / n, img))],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for n, img in (("a", a), ("b", b))]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    assert set(names(store)) == {"seed", "a", "b"}
    check_consistent(store, tmp_path, {"a": a, "b": b})


def test_same_name_twice_at_once_one_wins(store, tern, tmp_path):
    rng = random.Random(24)
    imgs = [rng.randbytes(2048 * PAGE) for _ in range(2)]
    store.put("seed", write(tmp_path / "seed", bytes(PAGE)))
    procs = [subprocess.Popen([tern, "store", "put", "--store", store.path, "--name", "x",
                               str(write(tmp_path / f"i{k}", img))],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for k, img in enumerate(imgs)]
    codes = sorted(p.wait(timeout=120) for p in procs)
    assert codes == [0, 1]
    got = store.get("x", tmp_path / "back")
    assert got in imgs
    assert store.verify().returncode == 0


def test_gc_waits_for_writers(store, tern, tmp_path):
    rng = random.Random(25)
    img = rng.randbytes(300 * PAGE)
    store.put("seed", write(tmp_path / "seed", bytes(PAGE)))
    p = subprocess.Popen([tern, "store", "put", "--store", store.path, "--name", "slow", "-"],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        p.stdin.write(img[:100 * PAGE])
        p.stdin.flush()
        assert poll(lambda: glob.glob(os.path.join(store.path, "tmp", "*.pack")))
        r = store.run("gc", "--wait", "0")
        assert r.returncode == 1 and b"in use" in r.stderr
        p.stdin.write(img[100 * PAGE:])
        p.stdin.close()
        assert p.wait(timeout=60) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=30)
    store.json("gc")
    check_consistent(store, tmp_path, {"slow": img})
