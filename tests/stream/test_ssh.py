"""The SSH transport against a real OpenSSH server on loopback, run as the current user."""
import filecmp
import getpass
import os
import shlex
import socket
import subprocess

import pytest

from streamlib import TIMEOUT, run, synth, tool, wait_for

SSHD = "/usr/sbin/sshd"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def keygen(path, kind="ed25519"):
    r = run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "tern-test", "-f", str(path)])
    assert r.returncode == 0, r.stderr


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    if not os.access(SSHD, os.X_OK):
        pytest.skip(f"SKIP LOUDLY: {SSHD} not installed (apt-get install openssh-server)")
    d = tmp_path_factory.mktemp("sshd")
    keygen(d / "host_key")
    keygen(d / "user_key")
    keygen(d / "other_key")
    (d / "authorized_keys").write_text((d / "user_key.pub").read_text())
    os.makedirs("/run/sshd", exist_ok=True)  # privilege separation directory sshd insists on
    port = free_port()
    (d / "sshd_config").write_text(f"""Port {port}
ListenAddress 127.0.0.1
HostKey {d}/host_key
PidFile {d}/sshd.pid
AuthorizedKeysFile {d}/authorized_keys
StrictModes no
PermitRootLogin prohibit-password
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
""")
    host_pub = (d / "host_key.pub").read_text().split()
    (d / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_pub[0]} {host_pub[1]}\n")
    (d / "wrong_known_hosts").write_text(
        f"[127.0.0.1]:{port} {(d / 'other_key.pub').read_text().split()[0]} "
        f"{(d / 'other_key.pub').read_text().split()[1]}\n")
    log = open(d / "sshd.log", "w")
    p = subprocess.Popen([SSHD, "-D", "-e", "-f", str(d / "sshd_config")], stdout=log, stderr=log,
                         stdin=subprocess.DEVNULL)
    try:
        wait_for(lambda: p.poll() is not None or port_open(port), what="sshd to listen")
        if p.poll() is not None:
            pytest.fail("sshd exited: " + (d / "sshd.log").read_text())
        yield {"dir": d, "port": port}
    finally:
        p.terminate()
        try:
            p.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=TIMEOUT)
        log.close()


def send(build_dir, sshd, image, remote_cmd, key="user_key", known="known_hosts"):
    d = sshd["dir"]
    return run([tool(build_dir, "ternstream"), "send", "-i", str(image),
                "--to", f"ssh:{getpass.getuser()}@127.0.0.1:{sshd['port']}",
                "--identity", str(d / key), "--known-hosts", str(d / known),
                "--command", remote_cmd, "--timeout", "30"])


def recv_cmd(build_dir, out):
    return f"{shlex.quote(tool(build_dir, 'ternstream'))} recv --stdio -o {shlex.quote(str(out))}"


def test_ssh_roundtrip(build_dir, sshd, tmp_path):
    img = synth(build_dir, tmp_path / "a.img", "--size-mib", 8, "--seed", 5)
    out = tmp_path / "remote.img"
    r = send(build_dir, sshd, img, recv_cmd(build_dir, out))
    assert r.returncode == 0, r.stderr + (sshd["dir"] / "sshd.log").read_text()[-2000:]
    assert "receiver confirmed" in r.stderr
    assert filecmp.cmp(img, out, shallow=False)


def test_ssh_remote_failure_reported(build_dir, sshd, tmp_path):
    img = synth(build_dir, tmp_path / "a.img", "--pages", 300)
    out = tmp_path / "no-such-dir" / "remote.img"
    r = send(build_dir, sshd, img, recv_cmd(build_dir, out))
    assert r.returncode == 1
    assert "receiver refused the stream: P2M_LAYOUT record" in r.stderr, r.stderr
    assert "remote command exited with status 1" in r.stderr, r.stderr
    assert not out.exists()


def test_ssh_remote_command_dies(build_dir, sshd, tmp_path):
    # The remote side reads a little and dies: the sender must not claim success.
    img = synth(build_dir, tmp_path / "a.img", "--size-mib", 4)
    r = send(build_dir, sshd, img, "head -c 100 >/dev/null; exit 3")
    assert r.returncode == 1, r.stderr
    assert "remote command exited with status 3" in r.stderr, r.stderr


def test_ssh_wrong_key_refused(build_dir, sshd, tmp_path):
    img = synth(build_dir, tmp_path / "a.img", "--pages", 8)
    r = send(build_dir, sshd, img, recv_cmd(build_dir, tmp_path / "x.img"), key="other_key")
    assert r.returncode == 1 and "public key authentication" in r.stderr, r.stderr
    assert not (tmp_path / "x.img").exists()


def test_ssh_unknown_host_key_refused(build_dir, sshd, tmp_path):
    img = synth(build_dir, tmp_path / "a.img", "--pages", 8)
    r = send(build_dir, sshd, img, recv_cmd(build_dir, tmp_path / "x.img"), known="wrong_known_hosts")
    assert r.returncode == 1 and "host key" in r.stderr, r.stderr
    assert not (tmp_path / "x.img").exists()
