"""Snapshot store: round trips, deduplication, zero pages, rm and gc."""
import os
import random
import subprocess

from storelib import PAGE, mixed_image, variant, write


def test_put_get_round_trip_bit_exact(store, tmp_path):
    img = mixed_image(1, 1500) + b"tail that is not a whole page"
    src = write(tmp_path / "img", img)
    out = store.put("one", src)
    assert out["pages"] == 1501 and out["kind"] == "image"
    assert out["zlib_chunks"] > 0 and out["raw_chunks"] > 0
    assert store.get("one", tmp_path / "back") == img
    assert store.verify().returncode == 0


def test_put_from_pipe(store, tern, tmp_path):
    img = mixed_image(2, 700)
    r = subprocess.run([tern, "store", "put", "--store", store.path, "--name", "piped", "-"],
                       input=img, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert store.get("piped", tmp_path / "back") == img


def test_identical_snapshot_costs_only_its_manifest(store, tmp_path):
    img = random.Random(3).randbytes(2048 * PAGE)
    src = write(tmp_path / "img", img)
    store.put("a", src)
    before = store.du()["stored_bytes"]
    second = store.put("b", src)
    after = store.du()["stored_bytes"]
    assert second["new_chunks"] == 0 and second["dup_pages"] == 2048
    assert after - before < len(img) // 50   # manifest and metadata only
    assert store.get("b", tmp_path / "back") == img


def test_ten_similar_images_stored_about_once(store, tmp_path):
    base = random.Random(4).randbytes(1024 * PAGE)
    imgs = [variant(base, 100 + i, 5) for i in range(10)]
    for i, img in enumerate(imgs):
        store.put(f"clone{i}", write(tmp_path / f"v{i}", img))
    du = store.du()
    assert du["logical_bytes"] == 10 * len(base)
    # one base plus 10 x 5 % changed pages, plus manifests: well under 2 images
    assert du["stored_bytes"] < 1.8 * len(base)
    assert du["dedup_ratio"] > 5
    for i in (0, 9):
        assert store.get(f"clone{i}", tmp_path / "back") == imgs[i]


def test_zero_pages_are_nearly_free(store, tmp_path):
    src = write(tmp_path / "zero", bytes(16384 * PAGE))   # 64 MiB
    out = store.put("zero", src)
    assert out["zero_pages"] == 16384 and out["new_chunks"] == 0
    assert store.packs() == []                              # no page data at all
    assert store.du()["stored_bytes"] < 16384 * PAGE // 100
    assert store.get("zero", tmp_path / "back") == bytes(16384 * PAGE)


def test_rm_and_gc_free_space_and_keep_the_rest(store, tmp_path):
    rng = random.Random(5)
    a = rng.randbytes(1024 * PAGE)
    b = rng.randbytes(1024 * PAGE)
    c = a[:512 * PAGE] + rng.randbytes(512 * PAGE)     # shares half of a
    for name, img in (("a", a), ("b", b), ("c", c)):
        store.put(name, write(tmp_path / name, img))
    full = store.du()["stored_bytes"]
    gc0 = store.json("gc")
    assert gc0["chunks_dropped"] == 0 and store.du()["stored_bytes"] == full
    store.json("rm", "a")
    assert [s["name"] for s in store.json("ls")["snapshots"]] == ["b", "c"]
    gc1 = store.json("gc")
    assert gc1["chunks_dropped"] == 512               # a's pages not shared with c
    after = store.du()["stored_bytes"]
    assert full - after > 500 * PAGE
    assert store.get("b", tmp_path / "back") == b
    assert store.get("c", tmp_path / "back") == c
    assert store.verify().returncode == 0
    store.json("rm", "b", "c")
    store.json("gc")
    assert store.packs() == []


def test_leftovers_of_a_failed_put_are_collected(store, tmp_path):
    store.put("keep", write(tmp_path / "k", mixed_image(6, 300)))
    tmp = os.path.join(store.path, "tmp")
    write(os.path.join(tmp, "0123456789abcdef.pack"), b"half written")
    assert store.verify().returncode == 0       # leftovers are not damage
    assert store.json("gc")["tmp_removed"] == 1
    assert os.listdir(tmp) == []
