"""System tests: Debian's stock kernel as domain 0, the privileged control domain.

dom0 is the boot module marked tern.dom0; its console is the hypervisor's serial line
(console_io out, CONSOLEIO_read and VIRQ_CONSOLE in), and the host follows it when it ends."""
import hashlib
import os
import re

import pytest

from tern_qemu import BUILD, EXIT_FAILURE, EXIT_SUCCESS, boot
from test_linux import BAD, CPU, INITRD, KERNEL

HELLO = os.path.join(BUILD, "tests", "guests", "hello.elf")
DOM0_INITRD = os.path.join(BUILD, "dom0-tools", "dom0-initramfs.cpio.gz")
# Until dom0 drives the host's hardware, keep it away from ACPI, PCI and DMA bounce buffers.
DOM0_ARGS = "console=hvc0 acpi=off pci=off swiotlb=noforce"
# dom0's kernel doubles as the guest kernel of its example configs (docs/boot.md, tern.file)
DOM0_FILE = "tern.file=/usr/lib/tern/guest/vmlinux"

pytestmark = pytest.mark.skipif(not os.path.exists(KERNEL), reason="guest-linux image not built")


def dom0(args="", mem="512M", vcpus=2, base=DOM0_ARGS):
    return [f"{KERNEL}|tern.dom0 {DOM0_FILE} tern.mem={mem} tern.vcpus={vcpus} {base} {args}",
            f"{DOM0_INITRD}|tern.initrd"]


def lines_of(run, domid):
    return [l[len(f"(d{domid}) "):] for l in run.lines if l.startswith(f"(d{domid}) ")]


def results(run, domid=0):
    return {m.group(1): (m.group(2), m.group(3)) for m in
            (re.match(r"TERN-TEST (\S+) (PASS|FAIL) ?(.*)", l) for l in lines_of(run, domid)) if m}


def test_dom0_boots_privileged_and_passes_the_workload_checks():
    run = boot("exit=debug loglvl=warning", smp=2, mem=1024, cpu=CPU, timeout=420,
               modules=dom0("tern.script=all_dom0"))
    lines = lines_of(run, 0)
    assert any("TERN-GUEST-READY" in l and "cpus=2" in l for l in lines), run.text[-3000:]
    # Debian's Xen modules loaded, xenfs says this is the control domain
    ready = next(l for l in lines if l.startswith("TERN-DOM0 "))
    assert "capabilities=control_d" in ready, ready
    for dev in ("privcmd", "hypercall", "evtchn", "gntdev", "gntalloc", "xenbus_backend"):
        assert dev + "," in ready, (dev, ready)
    assert not any(l.startswith("dom0: cannot") for l in lines), run.text[-3000:]
    r = results(run)
    for name in ("dom0", "uname", "xen", "meminfo", "clock", "memtouch", "forkexec", "threads"):
        assert r.get(name, ("missing",))[0] == "PASS", (name, r.get(name), run.text[-3000:])
    # the dom0 kernel module, also given as a file (tern.file), arrived whole in dom0's root
    with open(KERNEL, "rb") as f:
        assert f"guest_kernel_md5={hashlib.md5(f.read()).hexdigest()}" in r["dom0"][1], r["dom0"]
    assert not any("ACPI in unprivileged domain disabled" in l for l in lines)
    assert not [l for l in lines if BAD.search(l)], [l for l in lines if BAD.search(l)]
    # the host goes the way of dom0
    assert "domain 0 ended: powering the host off" in run.text
    assert run.rc == EXIT_SUCCESS


def test_dom0_shell_takes_input_beside_a_boot_domain():
    """Serial input starts with dom0; Ctrl-A three times moves it to the hypervisor (d1 has
    ended by then) and back."""
    run = boot("exit=debug loglvl=info", smp=2, mem=1024, cpu=CPU, timeout=240,
               modules=dom0() + [HELLO],
               send=[("Tern domain 0.", b"echo typed-$((6*7))\r"),
                     ("typed-42", b"\x01\x01\x01"),
                     ("*** serial input to the hypervisor", b"\x01\x01\x01"),
                     ("*** serial input to d0", b"poweroff -f\r")])
    assert any(l.endswith("typed-42") for l in lines_of(run, 0)), run.text[-3000:]
    assert "TEST-RESULT hello: SUCCESS" in run.text
    assert "domain 0 (vmlinux): shut down (poweroff)" in run.text
    assert run.rc == EXIT_SUCCESS


def test_dom0_crash_takes_the_host_down_with_a_failure_status():
    run = boot("exit=debug loglvl=warning", smp=2, mem=1024, cpu=CPU, timeout=240,
               modules=dom0("tern.script=panic"))
    assert "TERN-PANIC now" in run.text
    assert "domain 0 (vmlinux): shut down (crash)" in run.text, run.text[-2000:]
    assert "FATAL TRAP" not in run.text
    assert run.rc == EXIT_FAILURE


def test_domu_is_not_made_dom0():
    """The same kernel and check as an ordinary domain: no XENFEAT_dom0."""
    run = boot("exit=debug exit_when_done loglvl=warning", smp=2, mem=1024, cpu=CPU, timeout=240,
               modules=[f"{KERNEL}|tern.mem=256M console=hvc0 tern.script=dom0", f"{INITRD}|tern.initrd"])
    r = results(run, 1)
    assert r.get("dom0", ("missing",))[0] == "FAIL", run.text[-2000:]
    features = int(re.search(r"features=([0-9a-f]+)", r["dom0"][1]).group(1), 16)
    assert features & 0x20 and not features & 0x800  # mmu_pt_update_preserve_ad, not dom0
    assert "unprivileged_lines=1" in r["dom0"][1]


SPIN = os.path.join(BUILD, "tests", "guests", "spin.elf")


LOWER_HALF = os.path.join(BUILD, "tests", "guests", "lower_half.elf")


def test_toolstack_lists_pauses_and_destroys_a_domain():
    """From dom0: tern list/info see both domains, and 300 more (more than one sysctl's worth);
    pause stops domain 1's CPU time, unpause restarts it, destroy removes it and frees its
    memory; refusals are clear errors. Then tern create loads a kernel linked at 1 MiB with no
    VIRT_BASE note, which passes its checks."""
    run = boot("exit=debug loglvl=warning", smp=2, mem=2560, cpu=CPU, timeout=420,
               modules=dom0("tern.script=control") + [SPIN + "|tern.mem=16M ms=600000"] +
               [SPIN + "|tern.mem=4M tern.count=300 from=36000000 ms=1"] +
               [f"{LOWER_HALF}|tern.file=/usr/lib/tern/tests/lower_half.elf"])
    r = results(run)
    for name in ("list", "list_many", "pause", "destroy", "refusals", "lower_half"):
        assert r.get(name, ("missing",))[0] == "PASS", (name, r.get(name), run.text[-4000:])
    verdicts = [l for l in run.lines if "TEST-RESULT lower_half:" in l]
    assert len(verdicts) == 1 and "SUCCESS" in verdicts[0], (verdicts, run.text[-4000:])
    # dom0 as the hypervisor sees it: 512 MiB (less what Linux gave back), 2 vCPUs
    dom0_row = next(l for l in lines_of(run, 0) if l.startswith("Domain-0 "))
    assert dom0_row.split()[3] == "2", dom0_row
    assert 400 <= int(dom0_row.split()[2]) <= 512, dom0_row
    assert "domain 1 (spin): destroyed by the control domain" in run.text
    assert "FATAL TRAP" not in run.text and run.rc == EXIT_SUCCESS


def test_tern_create_boots_debian_kernel_from_dom0():
    """dom0's domain builder: the example config's Linux reaches its shell on a console that
    dom0's monitor serves; list, pause, console input, refusals, destroy with memory back.
    Then a guest with a vif: netback's vifD.0 in br0, the guest's netfront pings dom0 and
    sends it 64 MiB, nothing of the vif is left once the guest is gone; then two guests on the
    bridge, with two vCPUs each (two netfront queues, split event channels), one sending the
    other 64 MiB."""
    run = boot("exit=debug loglvl=info", smp=2, mem=1024, cpu=CPU, timeout=600,
               modules=dom0("tern.script=create"))
    r = results(run)
    for name in ("create", "create_list", "console", "create_pause", "create_refusals",
                 "create_destroy", "vif_create", "net", "net_tcp", "vif_gone"):
        assert r.get(name, ("missing",))[0] == "PASS", (name, r.get(name), run.text[-5000:])
    # the guest's 64 MiB arrived in dom0 whole (the console log's copy and dom0's own)
    sent = [l.split()[1:] for l in lines_of(run, 0) if l.startswith("TERN-SENT ")]
    received = [l.split()[1:] for l in lines_of(run, 0) if l.startswith("TERN-RECEIVED ")]
    assert sent and received and sent[-1] == received[-1] == received[-1][:1] + [str(64 << 20)], \
        (sent, received)
    # two guests on the bridge: one sent the other 64 MiB
    for name in ("vsend_net", "vsend_net_tcp", "vrecv_net", "vrecv_net_recv"):
        assert r.get(name, ("missing",))[0] == "PASS", (name, r.get(name), run.text[-5000:])
    assert "queues=1" in r["net"][1] and "queues=2" in r["vsend_net"][1], (r["net"], r["vsend_net"])
    sent = [l.split()[1:] for l in lines_of(run, 0) if l.startswith("G2G-SENT ")]
    received = [l.split()[1:] for l in lines_of(run, 0) if l.startswith("G2G-RECEIVED ")]
    assert sent and sent == received and sent[0][1] == str(64 << 20), (sent, received)
    assert "domain 1: created by the control domain, 1 vCPUs" in run.text
    assert "domain 1 (d1): destroyed by the control domain" in run.text
    assert "FATAL TRAP" not in run.text and run.rc == EXIT_SUCCESS


def test_guest_disks_through_blkback():
    """An image file in dom0 as a guest's xvda (loop device, blkback, blkfront): a guest makes
    ext4 on it and writes 4 MiB of known data, dom0 finds them in the image, a second guest
    reads them back, a third gets the disk read-only and cannot write it; an image one guest
    writes is refused to others; nothing is left attached or in the store afterwards. The
    same again with Tern's own backend (backendtype=qdisk: no loop device; no backend process
    left afterwards).
    Then a running guest is given a vif (it pings dom0) and a disk (it reads known data and
    writes a mark), each listed, then taken away again: the guest sees each go, the mark is in
    the image, nothing is left in dom0. The example config with a vif and a disk answers at its
    address with both connected. Last, a hostile blkfront (wrong requests, a frame it
    does not own, an event flood, garbage, a ring overflow) beside a Linux guest writing its
    disk (once done it ignores a request to close: block-detach leaves it the disk, -f takes
    it away), against blkback and again against Tern's backend, and a hostile netfront (wrong frames, a flood, a fatal request) beside one pinging
    dom0: only the hostile ones fail."""
    evil = [os.path.join(BUILD, "tests", "guests", f"xs_hostile_{k}.elf") for k in ("blk", "net")]
    run = boot("exit=debug loglvl=info", smp=2, mem=1024, cpu=CPU, timeout=1200,
               modules=dom0("tern.script=vbd") +
               [f"{e}|tern.file=/usr/lib/tern/tests/{os.path.basename(e)}" for e in evil])
    r = results(run)
    disk = ("vbd_exclusive", "vwrite", "vbd_image", "vread", "vro", "vbd_gone")
    for name in disk + tuple("q" + n for n in disk) + (
                 "hotplug_net", "hotplug_net_gone", "hotplug_vif", "hotplug_disk", "hotplug_disk_gone",
                 "hotplug_vbd", "example_server", "hostile_blk_bystander", "hostile_blk", "hostile_blk_detach",
                 "hostile_qblk_bystander", "hostile_qblk", "hostile_qblk_detach",
                 "hostile_net_bystander", "hostile_net"):
        assert r.get(name, ("missing",))[0] == "PASS", (name, r.get(name), run.text[-5000:])
    # the hostile frontends' own verdicts (blk against blkback, then Tern's backend): every
    # wrong request failed, then they were cut off
    for k, n in (("blk", 2), ("net", 1)):
        verdict = [l for l in run.lines if f"TEST-RESULT xs_hostile_{k}:" in l]
        assert len(verdict) == n and all("SUCCESS" in v for v in verdict), (verdict, run.text[-5000:])
    # Linux's blkfront and tern-diskback agree on persistent grants (the hostile one does not)
    assert re.search(r"tern-diskback: domain \d+ disk 51712: connected: .*persistent grants", run.text)
    for q in ("", "q"):
        wrote = r[q + "vwrite"][1].split()[1]
        assert wrote.startswith("md5=") and all(wrote in r[q + n][1] for n in ("vbd_image", "vread", "vro"))
        assert "ro=1" in r[q + "vro"][1] and "ro=0" in r[q + "vread"][1]
    assert "FATAL TRAP" not in run.text and run.rc == EXIT_SUCCESS


def test_xenstore_serves_dom0_and_domus():
    """tern-xenstored in dom0: dom0's kernel through its xenfs ring, a domU's Linux xenbus
    through its store ring (it writes its shutdown features), permissions as the domU sees
    them, a watch in dom0 on what the guest writes, and reboot/shutdown requests through
    control/shutdown, after which nothing of the domain is left in the store. Then domUs that
    break their store ring (a message too long, impossible indexes, a flood of requests whose
    replies they never take): the daemon stops serving each alone, dom0 and the next domU
    are served, and nothing of them is left in the store."""
    xs_ring = os.path.join(BUILD, "tests", "guests", "xs_ring.elf")
    run = boot("exit=debug loglvl=info", smp=2, mem=1024, cpu=CPU, timeout=900,
               modules=dom0("tern.script=xenstore") +
               [f"{xs_ring}|tern.file=/usr/lib/tern/tests/xs_ring.elf"])
    r = results(run)
    for name in ("xs_dom0_ring", "xs_create", "xs_domu_xenbus", "xs_perms", "xs_watch",
                 "xs_reboot", "xs_shutdown", "xs_toolong", "xs_badidx", "xs_flood", "xs_good",
                 "xs_daemon", "xs_clean"):
        assert r.get(name, ("missing",))[0] == "PASS", (name, r.get(name), run.text[-5000:])
    assert "domain 1 (d1): shut down (reboot)" in run.text
    assert "domain 2 (d2): shut down (poweroff)" in run.text
    # each ring guest's own verdict, from the hypervisor's console: all four succeeded
    verdicts = [l for l in run.lines if "TEST-RESULT xs_ring:" in l]
    assert len(verdicts) == 4 and all("SUCCESS" in l for l in verdicts), verdicts
    errors = [l.split()[-1] for l in run.lines if "xs_ring: the daemon's error field is" in l]
    assert errors == ["1", "2", "0"], errors  # COMM, RINGIDX, none for the flood
    assert "FATAL TRAP" not in run.text and run.rc == EXIT_SUCCESS


def test_control_interface_fuzzer_from_dom0():
    """10^6 random and mutated control operations: every one returns, the hypervisor and
    dom0 stay up, the victim domain survives (it may have been paused and resumed). Among
    them the restore's stage, with ids, pfns, frames and buffers good and bad."""
    run = boot("exit=debug loglvl=warning", smp=2, mem=1024, cpu=CPU, timeout=900,
               modules=dom0("tern.script=fuzz") + [SPIN + "|tern.mem=16M ms=600000"])
    r = results(run)
    assert r.get("fuzz", ("missing",))[0] == "PASS", (r.get("fuzz"), run.text[-4000:])
    summary = [l for l in lines_of(run, 0) if l.startswith("tern-fuzz-ctrl: ")]
    assert any("1000000 calls" in l for l in summary), summary
    # each kind of operation was tried and refused at least sometimes
    assert sum(1 for l in summary if re.search(r"\s[1-9]\d* refused", l)) == 6, summary
    # the restore's stage: some made and filled with pages, whatever else was asked of it
    assert any(re.search(r"stage [1-9]\d* created [1-9]\d* put", l) for l in summary), summary
    assert "FATAL TRAP" not in run.text and "Panic" not in run.text
    assert run.rc == EXIT_SUCCESS


def test_eight_linux_domains_at_once():
    run = boot("exit=debug loglvl=warning", smp=2, mem=2048, cpu=CPU, timeout=1200,
               modules=dom0("tern.script=many", mem="384M"))
    r = results(run)
    for name in ("many", "many_destroy"):
        assert r.get(name, ("missing",))[0] == "PASS", (name, r.get(name), run.text[-5000:])
    assert run.rc == EXIT_SUCCESS


def test_fifty_create_destroy_cycles_leak_nothing():
    """50 create/destroy cycles of a Linux domU destroyed mid-boot, then 20 with a vif and a
    disk: in each set the second half leaves free memory exactly where the first half did (the
    first may grow what the hypervisor keeps, such as dom0's maptrack), no vif, loop device or
    store entry left."""
    run = boot("exit=debug loglvl=warning", smp=2, mem=1024, cpu=CPU, timeout=1200,
               modules=dom0("tern.script=cycles"))
    r = results(run)
    for name in ("cycles", "cycles_devices"):
        assert r.get(name, ("missing",))[0] == "PASS", (name, r.get(name), run.text[-4000:])
    assert run.rc == EXIT_SUCCESS


def test_log_dirty_misses_no_write():
    """Log-dirty on running guests, checked from dom0 by fingerprinting every page between a
    CLEAN and a PEEK with the guest paused around both: no page changes with its bit clear.
    A 2-vCPU Linux guest writing and verifying memory (its own checks pass, before, during
    and after, and log-dirty goes on twice); then a test guest writing its memory through
    grant copies, hypercall results, registered areas, mmu_update on a plain page, descriptor
    updates and fresh alias mappings, refused a writable mapping of its own page table, and
    ending while still in log-dirty mode. Free memory ends where it began."""
    sly = os.path.join(BUILD, "tests", "guests", "xs_logdirty.elf")
    run = boot("exit=debug loglvl=info", smp=2, mem=1024, cpu=CPU, timeout=900,
               modules=dom0("tern.script=logdirty") +
               [f"{sly}|tern.file=/usr/lib/tern/tests/xs_logdirty.elf"])
    r = results(run)
    for name in ("logdirty", "logdirty_again", "logdirty_guest", "logdirty_hostile", "logdirty_memory"):
        assert r.get(name, ("missing",))[0] == "PASS", (name, r.get(name), run.text[-5000:])
    # every round saw the guests write (the check is not vacuous)
    rounds = [l for l in run.lines if "LOGDIRTY round=" in l]
    assert len(rounds) == 14 and all(" changed=0 " not in l for l in rounds), rounds
    verdict = [l for l in run.lines if "TEST-RESULT xs_logdirty:" in l]
    assert len(verdict) == 1 and "SUCCESS" in verdict[0], (verdict, run.text[-5000:])
    assert "FATAL TRAP" not in run.text and run.rc == EXIT_SUCCESS


def test_save_restore_twenty_times():
    """tern save / tern restore, 20 times, of a 2-vCPU Linux guest running memguard (every
    page of 32 MiB checked pass after pass, a quarter rewritten each pass): after each
    restore its passes go on from where they were, no page is ever wrong, and its wall clock
    agrees with dom0's. A checkpoint (save -c) leaves it running in the same domain. A
    truncated and a corrupted file are refused naming the record and offset, and no domain
    is made, and the pages read before the damage showed are free again; killed once the
    whole file is staged, the tool leaves nothing: the hypervisor frees the stage when it
    has gone unused for 10 s. A taken name is refused. A guest that never answers the suspend request is
    left running when the save gives up. A TCP connection from dom0 to a guest with a vif
    outlives its save/restore and a checkpoint, no byte lost or repeated."""
    deaf = os.path.join(BUILD, "tests", "guests", "xs_logdirty.elf")
    run = boot("exit=debug loglvl=info", smp=2, mem=1024, cpu=CPU, timeout=1200,
               modules=dom0("tern.script=saverestore") +
               [f"{deaf}|tern.file=/usr/lib/tern/tests/xs_logdirty.elf"])
    r = results(run)
    for name in ("saverestore", "saverestore_clock", "checkpoint", "restore_damaged", "restore_killed",
                 "restore_name", "saverestore_guest", "save_unanswered", "savetcp"):
        assert r.get(name, ("missing",))[0] == "PASS", (name, r.get(name), run.text[-5000:])
    assert "cycles=20 " in r["saverestore"][1]
    assert run.text.count("shut down (suspend)") >= 21 and "resumed" in run.text
    assert "FATAL TRAP" not in run.text and run.rc == EXIT_SUCCESS


def test_live_snapshots_rollback_and_restore_from_the_store():
    """tern snapshot of a running 2-vCPU guest running memguard, twice: it runs on in the
    same domain with no bad page; both listed (also as JSON); rollback to each (the second,
    then the first) returns its passes to that point and they carry on with no bad page; a
    second guest restored
    from the second snapshot runs beside it; snapshot-rm, and the store verifies. Before
    that, tern killed at each step of a snapshot and a save (and once from outside): the
    guest carries on unharmed, the store verifies, the killed snapshot is not listed."""
    run = boot("exit=debug loglvl=info", smp=2, mem=1024, cpu=CPU, timeout=1200,
               modules=dom0("tern.script=snapshot"))
    r = results(run)
    for name in ("snapshot_killed", "snapshot", "snapshot_list", "rollback_s2", "rollback", "snapshot_restore",
                 "snapshot_guests", "snapshot_rm"):
        assert r.get(name, ("missing",))[0] == "PASS", (name, r.get(name), run.text[-5000:])
    assert "FATAL TRAP" not in run.text and run.rc == EXIT_SUCCESS


def test_monitor_carries_out_poweroff_crash_and_reboot():
    run = boot("exit=debug loglvl=warning", smp=2, mem=1024, cpu=CPU, timeout=900,
               modules=dom0("tern.script=lifecycle"))
    r = results(run)
    for name in ("on_poweroff", "on_crash", "lifecycle_memory", "on_reboot"):
        assert r.get(name, ("missing",))[0] == "PASS", (name, r.get(name), run.text[-4000:])
    assert "FATAL TRAP" not in run.text and run.rc == EXIT_SUCCESS


def test_dom0_enumerates_pci_through_conf1():
    """With PCI on (ACPI still off), dom0's Linux finds the host's PCI devices: config space
    reads pass through the hypervisor's mediation of ports 0xCF8/0xCFC."""
    run = boot("exit=debug loglvl=warning", smp=2, mem=1024, cpu=CPU, timeout=300,
               modules=dom0("tern.script=pci", base="console=hvc0 acpi=off swiotlb=noforce"))
    r = results(run)
    assert r.get("pci", ("missing",))[0] == "PASS", (r.get("pci"), run.text[-4000:])
    lines = lines_of(run, 0)
    assert not [l for l in lines if BAD.search(l)], [l for l in lines if BAD.search(l)]
    assert "FATAL TRAP" not in run.text and run.rc == EXIT_SUCCESS
