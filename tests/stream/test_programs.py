"""Runs the C test programs: the library self-test and the fuzz corpus replay."""
import os

from streamlib import run, tool

CORPUS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fuzz", "corpus")


def test_library_selftest(build_dir):
    r = run([tool(build_dir, "stream_selftest")])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "PASS: 0 failures" in r.stdout


def test_fuzz_corpus_replay(build_dir):
    files = os.listdir(CORPUS)
    assert len(files) >= 5
    total = sum(os.path.getsize(os.path.join(CORPUS, f)) for f in files)
    assert total < 200 * 1024
    r = run([tool(build_dir, "stream_replay"), CORPUS], timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"replayed {len(files)} files, 0 unreadable" in r.stdout
