"""System tests: hosts whose dom0 owns the machine's hardware (the hardware domain).

Each host is one QEMU: Tern, Debian's kernel as dom0 with ACPI, PCI and swiotlb-xen on, an
e1000 NIC and a virtio disk holding dom0's ext4 state. The hosts' NICs share one link: QEMU
datagram netdevs between ports of 127.0.0.1, nothing else."""
import os
import re
import socket
import subprocess
import threading
import time

import pytest

from tern_qemu import EXIT_SUCCESS, boot
from test_dom0 import CPU, KERNEL, dom0, lines_of, results

# dom0 with the machine's ACPI tables, PCI devices and DMA bounce buffers
HW_ARGS = "console=hvc0"

pytestmark = pytest.mark.skipif(not os.path.exists(KERNEL), reason="guest-linux image not built")


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def state_disk(path, mib=64):
    subprocess.run(["truncate", "-s", f"{mib}M", path], check=True)
    subprocess.run(["mkfs.ext4", "-q", "-F", path], check=True, stdout=subprocess.DEVNULL)
    return path


def host_qemu(link, mac, disk):
    """QEMU arguments: one e1000 on a datagram link (local, remote port) and the state disk."""
    local, remote = link
    return ["-netdev", f"dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port={local},"
                       f"remote.type=inet,remote.host=127.0.0.1,remote.port={remote}",
            "-device", f"e1000,netdev=n0,mac={mac}",
            "-drive", f"file={disk},if=none,format=raw,id=d0", "-device", "virtio-blk-pci,drive=d0"]


def boot_hosts(specs, timeout=600):
    """Boots hosts at once; specs: (dom0 args, qemu args) each. The runs, in order."""
    runs = [None] * len(specs)

    def one(i):
        args, qemu = specs[i]
        runs[i] = boot("exit=debug loglvl=info", smp=2, mem=1024, cpu=CPU, timeout=timeout,
                       modules=dom0(args, base=HW_ARGS), qemu=qemu)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(specs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return runs


def tagged(run, tag):
    return [l.split()[1:] for l in lines_of(run, 0) if l.startswith(tag + " ")]


def test_two_hosts_dom0s_talk_over_their_nics_and_keep_state_on_disk(tmp_path):
    """Two hosts on one link: each dom0 bridges its e1000 in br0, they ping and send each other
    64 MiB; then a guest on each host (vif in br0) does the same across the link, checksummed
    at both ends. Host 1's state disk keeps what its first boot wrote."""
    p1, p2 = free_udp_port(), free_udp_port()
    disks = [state_disk(str(tmp_path / f"host{i}.img")) for i in (1, 2)]
    specs = [(f"tern.script=hw tern.host=1 tern.hosts=2 tern.peer=2",
              host_qemu((p1, p2), "52:54:00:00:00:01", disks[0])),
             (f"tern.script=hw tern.host=2 tern.hosts=2 tern.peer=1",
              host_qemu((p2, p1), "52:54:00:00:00:02", disks[1]))]
    runs = boot_hosts(specs, timeout=1200)
    for i, run in enumerate(runs):
        r = results(run)
        for name in ("hw_nic", "hw_disk", "hw_ping", "hw_tcp", "guest_net",
                     "guest_net_tcp" if i == 0 else "guest_net_recv"):
            assert r.get(name, ("missing",))[0] == "PASS", (i + 1, name, r.get(name), run.text[-4000:])
        assert r["hw_disk"][1] == "boots=1", r["hw_disk"]
        ready = next(l for l in lines_of(run, 0) if l.startswith("TERN-DOM0 "))
        assert f"disk=vda net=br0:eth0:169.254.0.{i + 1}" in ready, ready
        # the NIC's interrupt arrives as a PIRQ event channel
        assert any(re.search(r"xen-pirq.*eth0", l) for l in lines_of(run, 0)), run.text[-3000:]
        assert "FATAL TRAP" not in run.text and run.rc == EXIT_SUCCESS
    sent, received = tagged(runs[0], "TERN-SENT"), tagged(runs[1], "TERN-RECEIVED")
    assert sent and received and sent[0] == received[0], (sent, received)
    assert sent[0][1] == str(64 << 20)
    sent, received = tagged(runs[0], "GUEST-SENT"), tagged(runs[1], "GUEST-RECEIVED")
    assert sent and received and sent[0] == received[0], (sent, received)
    assert sent[0][1] == str(64 << 20)
    # host 1 again, alone: its disk still holds what the first boot wrote
    again = boot_hosts([(f"tern.script=hw tern.host=1 tern.hosts=2",
                         host_qemu((p1, p2), "52:54:00:00:00:01", disks[0]))])[0]
    assert results(again).get("hw_disk") == ("PASS", "boots=2"), again.text[-3000:]


def test_hosts_script_starts_linked_hosts_and_stops_them(tmp_path):
    """scripts/hosts.sh (what `make run HOSTS=2` runs): two hosts up, host1's dom0 shell through
    its console socket pings host2 by name, `ssh I` runs commands in each dom0 over the loopback
    management path, `down` ends both QEMUs."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    script = os.path.join(root, "scripts", "hosts.sh")
    env = dict(os.environ, O=str(tmp_path))
    for sub in ("hypervisor", "guest-linux", "dom0-tools"):  # the build the script boots
        os.symlink(os.path.join(os.environ.get("O", os.path.join(root, "build")), sub), tmp_path / sub)
    up = subprocess.run([script, "up", "2", "--timeout", "600"], env=env, capture_output=True, text=True,
                        timeout=120)
    assert up.returncode == 0, up.stderr
    hosts = tmp_path / "hosts"
    pids = [int((hosts / f"host{i}" / "pid").read_text()) for i in (1, 2)]
    try:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        deadline = time.monotonic() + 60
        while True:  # QEMU creates the socket as it starts
            try:
                sock.connect(str(hosts / "host1" / "console.sock"))
                break
            except OSError:
                assert time.monotonic() < deadline, "host1's console socket never appeared"
                time.sleep(0.1)
        out = b""
        sent = False
        deadline = time.monotonic() + 400
        # the answer's marker is computed by the shell, so its echo of the typed line never matches
        while not re.search(rb"PING-42-\d+", out):
            assert time.monotonic() < deadline and b"not started" not in out, out[-3000:]
            sock.settimeout(1)
            try:
                out += sock.recv(65536)
            except socket.timeout:
                pass
            if not sent and b"Tern domain 0." in out:
                # host2 may still be booting: ping until it answers, bounded
                sock.sendall(b"n=0; until ping -c 1 -W 1 host2 >/dev/null || [ $n -ge 120 ]; do n=$((n+1)); done; "
                             b"ping -c 2 host2 > /tmp/p; echo PING-$((40+2))-$?\r")
                sent = True
        text = out.decode(errors="replace")
        assert re.search(r"PING-42-0", text), text[-2000:]
        assert re.search(r"TERN-DOM0 .* net=br0:eth\d:169\.254\.0\.1 ssh=(up|keygen):eth\d", text), text[-4000:]
        # the management path: ssh from this machine through 127.0.0.1 into each dom0
        for i in (1, 2):
            ssh = subprocess.run([script, "ssh", str(i), "hostname; tern list"], env=env,
                                 capture_output=True, text=True, timeout=120)
            assert ssh.returncode == 0, ssh.stderr
            assert ssh.stdout.splitlines()[0] == f"host{i}", ssh.stdout
            assert re.search(r"^Domain-0 +0 +512 +2 ", ssh.stdout, re.M), ssh.stdout
        bad = subprocess.run([script, "ssh", "3", "true"], env=env, capture_output=True, text=True,
                             timeout=60)
        assert bad.returncode != 0 and "host3 is not running" in bad.stderr
    finally:
        down = subprocess.run([script, "down"], env=env, capture_output=True, text=True, timeout=60)
    assert down.returncode == 0, down.stderr
    for pid in pids:
        deadline = time.monotonic() + 20
        while os.path.exists(f"/proc/{pid}"):
            assert time.monotonic() < deadline, f"QEMU group {pid} still there after down"
            time.sleep(0.1)
