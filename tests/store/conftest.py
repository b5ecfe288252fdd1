"""Fixtures for the snapshot store tests: the tern binary, a fresh store, image makers."""
import json
import os
import subprocess

import pytest



@pytest.fixture(scope="session")
def tern(build_dir):
    path = os.path.join(build_dir, "dom0-tools", "tern")
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} not built (run make)")
    return path


@pytest.fixture(scope="session")
def stream_tool(build_dir):
    path = os.path.join(build_dir, "migrate", "ternstream")
    if not os.access(path, os.X_OK):
        pytest.skip(f"SKIPPED LOUDLY: {path} not built, stream tests cannot run")
    return path


class Store:
    """Runs `tern store` against one store directory, every run bounded in time."""

    def __init__(self, tern, path):
        self.tern = tern
        self.path = path

    def run(self, *args, input=None, timeout=120, check=None):
        r = subprocess.run([self.tern, "store", *args, "--store", self.path],
                           input=input, capture_output=True, timeout=timeout,
                           stdin=None if input is not None else subprocess.DEVNULL)
        if check is not None:
            assert r.returncode == check, (args, r.returncode, r.stderr.decode())
        return r

    def json(self, *args, **kw):
        r = self.run(*args, "--json", check=0, **kw)
        return json.loads(r.stdout)

    def put(self, name, path, *extra):
        return self.json("put", "--name", name, *extra, str(path))

    def get(self, name, out, *extra):
        self.run("get", "-o", str(out), *extra, name, check=0)
        with open(out, "rb") as f:
            return f.read()

    def verify(self):
        return self.run("verify", "--json")

    def du(self):
        return self.json("du")

    def packs(self):
        d = os.path.join(self.path, "packs")
        return sorted(os.path.join(d, f) for f in os.listdir(d))


@pytest.fixture
def store(tern, tmp_path):
    return Store(tern, str(tmp_path / "store"))
