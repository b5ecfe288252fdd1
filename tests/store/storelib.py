"""Image makers for the snapshot store tests."""
import random

PAGE = 4096


def random_pages(rng, n):
    return rng.randbytes(n * PAGE)


def text_page(rng):
    words = [b"tern", b"page", b"kernel", b"memory", b"snapshot", b"\x00\x00\x00\x00"]
    out = bytearray()
    while len(out) < PAGE:
        out += rng.choice(words) + b" "
    return bytes(out[:PAGE])


def mixed_image(seed, pages):
    """Random, zero and compressible pages in a fixed pseudo-random mix."""
    rng = random.Random(seed)
    out = bytearray()
    for _ in range(pages):
        k = rng.random()
        if k < 0.25:
            out += bytes(PAGE)
        elif k < 0.6:
            out += text_page(rng)
        else:
            out += rng.randbytes(PAGE)
    return bytes(out)


def variant(base, seed, pct):
    """base with pct % of its pages replaced by new random pages."""
    rng = random.Random(seed)
    out = bytearray(base)
    n = len(base) // PAGE
    for i in rng.sample(range(n), max(1, n * pct // 100)):
        out[i * PAGE:(i + 1) * PAGE] = rng.randbytes(PAGE)
    return bytes(out)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path
