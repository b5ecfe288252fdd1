"""`tern store` command line: help, exit codes, JSON output."""
import json
import os
import subprocess

import pytest

from storelib import mixed_image, write

SUBS = ["put", "get", "ls", "rm", "verify", "gc", "du"]


def run(tern, *args, env=None):
    return subprocess.run([tern, *args], capture_output=True, timeout=60,
                          stdin=subprocess.DEVNULL, env=env)


def test_top_level_help_and_unknown_command(tern):
    r = run(tern, "--help")
    assert r.returncode == 0 and b"store" in r.stdout
    assert run(tern).returncode == 2
    assert run(tern, "frobnicate").returncode == 2
    assert run(tern, "store").returncode == 2
    assert run(tern, "store", "frob").returncode == 2
    assert run(tern, "store", "--help").returncode == 0


@pytest.mark.parametrize("sub", SUBS)
def test_every_subcommand_has_help(tern, sub):
    r = run(tern, "store", sub, "--help")
    assert r.returncode == 0
    assert r.stdout.startswith(f"usage: tern store {sub}".encode())
    assert b"--json" in r.stdout and b"Exit status" in r.stdout


def test_usage_errors_exit_2(tern, tmp_path):
    s = str(tmp_path / "s")
    img = str(write(tmp_path / "img", mixed_image(41, 10)))
    env = {k: v for k, v in os.environ.items() if k != "TERN_STORE"}
    cases = [
        ("store", "put", img),                                        # no store
        ("store", "put", "--store", s, img),                          # no name
        ("store", "put", "--store", s, "--name", "../evil", img),     # bad name
        ("store", "put", "--store", s, "--name", "x", "--format", "tar", img),
        ("store", "put", "--store", s, "--name", "x"),                # no input
        ("store", "ls", "--store", s, "extra"),
        ("store", "ls", "--store", s, "--bogus"),
        ("store", "ls", "--store", s, "--name", "x"),                 # not an ls option
        ("store", "gc", "--store", s, "--wait", "soon"),
        ("store", "get", "--store", s, "--json", "x"),                # --json needs -o
    ]
    for args in cases:
        r = run(tern, *args, env=env)
        assert r.returncode == 2, (args, r.stderr)
        assert r.stderr.startswith(b"tern: "), args
    assert not os.path.exists(s)       # nothing was created by a usage error


def test_operational_errors_exit_1(store, tmp_path):
    img = write(tmp_path / "img", mixed_image(42, 20))
    store.put("a", img)
    assert store.run("put", "--name", "a", str(img)).returncode == 1          # name taken
    assert store.run("put", "--name", "p", "--parent", "nope", str(img)).returncode == 1
    assert store.run("put", "--name", "l", "--label", "novalue", str(img)).returncode == 1
    assert store.run("put", "--name", "m", str(tmp_path / "missing")).returncode == 1
    assert store.run("get", "-o", str(tmp_path / "o"), "nope").returncode == 1
    assert store.run("rm", "nope").returncode == 1
    assert [s["name"] for s in store.json("ls")["snapshots"]] == ["a"]


def test_store_from_environment(tern, tmp_path):
    img = write(tmp_path / "img", mixed_image(43, 20))
    env = dict(os.environ, TERN_STORE=str(tmp_path / "envstore"))
    assert run(tern, "store", "put", "--name", "e", str(img), env=env).returncode == 0
    r = run(tern, "store", "ls", "--json", env=env)
    assert [s["name"] for s in json.loads(r.stdout)["snapshots"]] == ["e"]


def test_json_output_of_every_subcommand(store, tmp_path):
    img = write(tmp_path / "img", mixed_image(44, 64))
    put = store.put("a", img, "--label", "os=linux", "--label", "role=template")
    assert put["name"] == "a" and put["pages"] == 64
    store.put("b", img, "--parent", "a")
    ls = store.json("ls")["snapshots"]
    assert [s["name"] for s in ls] == ["a", "b"]
    assert ls[0]["labels"] == ["os=linux", "role=template"] and ls[1]["parent"] == "a"
    assert len(ls[0]["id"]) == 32 and ls[0]["image_size"] == 64 * 4096
    du = store.json("du")
    assert du["snapshots"] == 2 and du["logical_bytes"] == 2 * 64 * 4096
    assert du["dedup_ratio"] > 1.0
    v = store.json("verify")
    assert v["ok"] and v["problems"] == [] and v["snapshots"] == 2
    get = store.json("get", "-o", str(tmp_path / "o"), "a")
    assert get["format"] == "image"
    assert store.json("rm", "b")["removed"] == ["b"]
    gc = store.json("gc")
    assert gc["packs_after"] >= 1 and gc["chunks_dropped"] == 0


def test_no_progress_bar_without_a_terminal(store, tmp_path):
    img = write(tmp_path / "img", mixed_image(45, 300))
    r = store.run("put", "--name", "a", str(img), check=0)
    assert r.stderr == b""
