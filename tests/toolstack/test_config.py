"""Guest config files as the toolstack reads them, checked on this machine with the host
build of `tern create -n` (parse and print, no hypervisor needed): defaults, vif and disk
lists, Xen's disk numbers, and the refusals with file and line."""
import os
import subprocess

import pytest

BUILD = os.environ.get("O", os.path.join(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))), "build"))
TERN = os.path.join(BUILD, "dom0-tools", "tern")

pytestmark = pytest.mark.skipif(not os.path.exists(TERN), reason="dom0-tools not built")


def dry_run(tmp_path, text):
    cfg = tmp_path / "g.cfg"
    cfg.write_text(text)
    return subprocess.run([TERN, "create", "-n", str(cfg)], capture_output=True, text=True,
                          timeout=30, stdin=subprocess.DEVNULL), str(cfg)


def parsed(tmp_path, text):
    run, _ = dry_run(tmp_path, text)
    assert run.returncode == 0, run.stderr
    return run.stdout.splitlines()


def test_defaults(tmp_path):
    out = parsed(tmp_path, 'name = "g"\nkernel = "/k"\n')
    assert out[:3] == ["name g", "memory 128", "vcpus 1"]
    assert "on_reboot restart" in out and "on_crash destroy" in out
    assert not [l for l in out if l.startswith(("vif ", "disk "))]


def test_vifs_get_a_stable_mac_from_the_name_and_br0(tmp_path):
    text = 'name = "web1"\nkernel = "/k"\nvif = [ "", \'mac=00:16:3e:aa:bb:cc,bridge=br1\' ]\n'
    out = parsed(tmp_path, text)
    vifs = [l for l in out if l.startswith("vif ")]
    assert len(vifs) == 2
    assert vifs[0].startswith("vif 0 mac=00:16:3e:") and vifs[0].endswith("bridge=br0")
    assert vifs[1] == "vif 1 mac=00:16:3e:aa:bb:cc bridge=br1"
    assert parsed(tmp_path, text) == out  # the same name, the same MAC
    other = parsed(tmp_path, text.replace("web1", "web2"))
    assert [l for l in other if l.startswith("vif 0")] != vifs[:1]
    first = int(vifs[0].split("mac=")[1].split(":")[3], 16)
    assert not first & 0x80  # kept within the locally chosen half


@pytest.mark.parametrize("vdev,devid", [("xvda", 51712), ("xvda1", 51713), ("xvdb", 51728),
                                        ("xvdp", 51952), ("xvdq", 268439552), ("xvda16", 268435472),
                                        ("xvdaa", 268442112)])
def test_disk_numbers_are_xens(tmp_path, vdev, devid):
    out = parsed(tmp_path, f'name = "g"\nkernel = "/k"\ndisk = [ "file:/var/lib/tern/g.img,{vdev},w" ]\n')
    assert f"disk {vdev} devid={devid} file:/var/lib/tern/g.img w" in out


def test_disk_kinds_and_modes(tmp_path):
    out = parsed(tmp_path, 'name = "g"\nkernel = "/k"\n'
                 'disk = [ "phy:/dev/vdb,xvdb,r", "/img,xvdc,rw", "file:/ro.img,xvdd,ro" ]\n')
    assert "disk xvdb devid=51728 phy:/dev/vdb r" in out
    assert "disk xvdc devid=51744 file:/img w" in out
    assert "disk xvdd devid=51760 file:/ro.img r" in out


def test_disk_backend_types(tmp_path):
    """Files go to blkback through a loop device unless backendtype=qdisk asks for Tern's own
    backend; backendtype=phy says the default aloud."""
    out = parsed(tmp_path, 'name = "g"\nkernel = "/k"\n'
                 'disk = [ "/a.img,xvda,w,backendtype=qdisk", "/b.img,xvdb,r,backendtype=phy" ]\n')
    assert "disk xvda devid=51712 file:/a.img w backendtype=qdisk" in out
    assert "disk xvdb devid=51728 file:/b.img r" in out


@pytest.mark.parametrize("line,why", [
    ('vif = [ "mac=01:00:5e:00:00:01" ]', "vif: '01:00:5e:00:00:01' is not a unicast MAC"),
    ('vif = [ "mac=00:16:3e:zz:00:01" ]', "is not a unicast MAC"),
    ('vif = [ "speed=10" ]', "vif: unknown key 'speed'"),
    ('vif = [ "bridge=a/b" ]', "is not a bridge name"),
    ('vif = "bridge=br0"', "expected a [ list ] of strings"),
    ('vif = [ "bridge=br0" "x" ]', "expected ',' or ']'"),
    ('disk = [ "/a.img,xvda" ]', "is not TARGET,VDEV,MODE"),
    ('disk = [ "a.img,xvda,w" ]', "'a.img' is not an absolute path"),
    ('disk = [ "/a.img,hda,w" ]', "'hda' is not a guest disk name"),
    ('disk = [ "/a.img,xvda0,w" ]', "'xvda0' is not a guest disk name"),
    ('disk = [ "/a.img,xvda,x" ]', "mode 'x' is not w or r"),
    ('disk = [ "/a.img,xvda,w,backendtype=tap" ]', "'backendtype=tap' is not backendtype=phy or"),
    ('disk = [ "phy:/dev/vdb,xvda,w,backendtype=qdisk" ]', "(qdisk only for files)"),
    ('disk = [ "/a.img,xvda,w", "/b.img,xvda,r" ]', "disk: xvda given twice"),
])
def test_bad_device_lines_name_file_and_line(tmp_path, line, why):
    run, path = dry_run(tmp_path, f'name = "g"\nkernel = "/k"\n{line}\n')
    assert run.returncode == 1 and f"{path}:3: " in run.stderr and why in run.stderr, run.stderr
