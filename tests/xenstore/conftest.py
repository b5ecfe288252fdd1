"""A xenstored without a hypervisor (its socket only) for protocol tests on this machine."""
import os
import subprocess
import time

import pytest

from xslib import Client


@pytest.fixture
def xsd(build_dir, tmp_path):
    daemon = os.path.join(build_dir, "dom0-tools", "tern-xenstored")
    if not os.access(daemon, os.X_OK):
        pytest.fail(f"{daemon} not built (run make)")
    sock = str(tmp_path / "xs.sock")
    log = str(tmp_path / "xsd.log")
    p = subprocess.Popen([daemon, "--no-xen", "--foreground", "--socket", sock, "--log", log],
                         stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:  # until it accepts connections
        assert p.poll() is None, "tern-xenstored exited at start"
        try:
            Client(sock).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "tern-xenstored did not start listening"
            time.sleep(0.01)
    clients = []

    class Daemon:
        path = sock
        proc = p
        log_path = log

        def client(self):
            c = Client(sock)
            clients.append(c)
            return c

    yield Daemon()
    for c in clients:
        c.close()
    p.terminate()
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
