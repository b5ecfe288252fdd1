"""Snapshot store: images larger than one read buffer, split over both cores, come back exact."""
import hashlib
import os
import random

from storelib import PAGE, text_page, write


def big_image(seed, pages):
    """New random and text pages, zero pages, and copies of the page just
    before (same batch) or of any earlier one (an earlier read buffer)."""
    rng = random.Random(seed)
    text = text_page(rng)
    out = bytearray()
    for i in range(pages):
        k = i % 10
        if k < 5:
            page = rng.randbytes(PAGE)
        elif k == 5:
            page = bytes(PAGE)
        elif k == 6:
            page = i.to_bytes(8, "little") + text[8:]
        elif k == 7:
            page = out[(i - 1) * PAGE:i * PAGE]
        else:
            j = rng.randrange(i)
            page = out[j * PAGE:(j + 1) * PAGE]
        out += page
    return bytes(out)


def counts(img):
    pages = [img[i:i + PAGE] for i in range(0, len(img), PAGE)]
    zero = sum(1 for p in pages if p == bytes(PAGE))
    distinct = len({p for p in pages if p != bytes(PAGE)})
    return len(pages), zero, distinct


def test_image_over_many_buffers_round_trips(store, tmp_path):
    img = big_image(41, 10240)                      # 40 MiB: five of the CLI's buffers
    npages, zero, distinct = counts(img)
    out = store.put("big", write(tmp_path / "img", img))
    assert out["pages"] == npages and out["zero_pages"] == zero
    assert out["new_chunks"] == distinct
    assert out["dup_pages"] == npages - zero - distinct
    assert out["zlib_chunks"] >= 1024 and out["raw_chunks"] >= 5120
    assert store.get("big", tmp_path / "back") == img
    assert store.verify().returncode == 0
    again = store.put("again", tmp_path / "img")
    assert again["new_chunks"] == 0 and again["dup_pages"] == npages - zero
    assert store.get("again", tmp_path / "back2") == img


def test_first_bad_page_of_a_large_read_is_named(store, tmp_path):
    rng = random.Random(42)
    img = rng.randbytes(3000 * PAGE)                # raw chunks, in pfn order in one pack
    store.put("big", write(tmp_path / "img", img))
    packs = [p for p in store.packs() if p.endswith(".pack")]
    assert len(packs) == 1
    os.chmod(packs[0], 0o644)
    with open(packs[0], "r+b") as f:
        for pfn in (2500, 1700):                    # the later one is damaged first
            f.seek(64 + pfn * (40 + PAGE) + 40 + 123)
            b = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([b[0] ^ 1]))
    out = tmp_path / "out"
    r = store.run("get", "-o", str(out), "big")
    assert r.returncode == 1
    err = r.stderr.decode()
    first = hashlib.sha256(img[1700 * PAGE:1701 * PAGE]).hexdigest()
    assert "pfn 0x6a4" in err and first in err and "corrupt" in err, err
    assert "0x9c4" not in err
    assert not out.exists()
    v = store.verify()
    assert v.returncode == 1
    later = hashlib.sha256(img[2500 * PAGE:2501 * PAGE]).hexdigest()
    assert first in v.stdout.decode() and later in v.stdout.decode()
