"""System tests: Debian's stock Linux kernel as a PV guest (guest-linux/), under TCG.

The guest's /init runs /tests/NAME.sh for tern.script=NAME, prints TERN-TEST lines and
powers off; without a script it gives a busybox shell on hvc0."""
import os
import re
import time

import pytest

from tern_qemu import BUILD, EXIT_SUCCESS, boot

LINUX = os.path.join(BUILD, "guest-linux")
KERNEL = os.path.join(LINUX, "vmlinux")
INITRD = os.path.join(LINUX, "initramfs.cpio.gz")
HELLO = os.path.join(BUILD, "tests", "guests", "hello.elf")
RUN = "exit=debug exit_when_done loglvl=warning"
CPU = "qemu64,+cx16"
# Lines that mean the kernel saw something wrong (warnings the hypervisor may cause).
BAD = re.compile(r"WARNING:|BUG:|BUG |bad page|Oops|general protection|unable to handle|"
                 r"multicall\(s\) failed|Kernel panic")

pytestmark = pytest.mark.skipif(not os.path.exists(KERNEL), reason="guest-linux image not built")


def linux(args, mem="256M", vcpus=1, extra=""):
    return [f"{KERNEL}|tern.mem={mem} tern.vcpus={vcpus} {extra} console=hvc0 {args}",
            f"{INITRD}|tern.initrd"]


def guest_lines(run, domid=1):
    return [l[len(f"(d{domid}) "):] for l in run.lines if l.startswith(f"(d{domid}) ")]


def results(run, domid=1):
    return {m.group(1): (m.group(2), m.group(3)) for m in
            (re.match(r"TERN-TEST (\S+) (PASS|FAIL) ?(.*)", l) for l in guest_lines(run, domid)) if m}


@pytest.mark.parametrize("vcpus,cpu", [(1, CPU), (2, CPU + ",+fsgsbase"), (4, CPU + ",vendor=GenuineIntel")])
def test_stock_kernel_passes_the_workload_checks(vcpus, cpu):
    """4 vCPUs on 2 CPUs: vCPUs wait for each other's spinlocks and IPIs while descheduled.
    On a CPU with FSGSBASE the kernel uses it (its threads' TLS bases switch through it).
    A 32-bit program's system calls work: through the syscall32 callback on the AMD-like
    CPUs, through sysenter and its callback on the Intel one."""
    run = boot(RUN, smp=2, mem=1024, cpu=cpu, timeout=420,
               modules=linux("tern.script=all", vcpus=vcpus))
    lines = guest_lines(run)
    assert any(f"TERN-GUEST-READY" in l and f"cpus={vcpus}" in l and "console=hvc0" in l for l in lines), run.text
    r = results(run)
    for name in ("uname", "xen", "meminfo", "clock", "memtouch", "forkexec", "threads"):
        assert r.get(name, ("missing",))[0] == "PASS", (name, r.get(name), run.text[-3000:])
    assert r["uname"][1].startswith("release=6.1.") and r["uname"][1].endswith("-amd64")
    assert f"fsgsbase_cpus={vcpus if 'fsgsbase' in cpu else 0}" in r["xen"][1], r["xen"]
    assert "compat32=0" in r["xen"][1], r["xen"]
    kb = int(re.search(r"MemTotal_kB=(\d+)", r["meminfo"][1]).group(1))
    assert 128 * 1024 < kb <= 256 * 1024, "MemTotal must be within the 256 MiB allotment"
    assert "n=1000 failures=0" in r["forkexec"][1]
    assert f"cpus_seen={','.join(str(c) for c in range(vcpus))}" in r["threads"][1]
    assert not [l for l in lines if BAD.search(l)], [l for l in lines if BAD.search(l)]
    assert "domain 1 (vmlinux): shut down (poweroff)" in run.text  # poweroff ends the domain
    assert run.rc == EXIT_SUCCESS


def test_stock_kernel_with_xsave_and_avx():
    """On a CPU with XSAVE and AVX (QEMU's "max"), the guest uses them and still passes."""
    run = boot(RUN, smp=2, mem=1024, cpu="max", timeout=420, modules=linux("tern.script=all", vcpus=2))
    lines = guest_lines(run)
    assert any("x86/fpu: Enabled xstate features 0x7" in l for l in lines), run.text[-3000:]
    r = results(run)
    assert all(v[0] == "PASS" for v in r.values()) and len(r) == 7, (r, run.text[-3000:])
    assert not [l for l in lines if BAD.search(l)]


def test_guest_time_follows_the_host_clock():
    secs = 10
    run = boot(RUN, smp=2, mem=1024, cpu=CPU, timeout=240, modules=linux(f"tern.script=sleep"))
    start = next(i for i, l in enumerate(run.lines) if "TERN-SLEEP start" in l)
    end = next(i for i, l in enumerate(run.lines) if "TERN-SLEEP end" in l)
    d0, d1 = (int(re.search(r"date_s=(\d+)", run.lines[i]).group(1)) for i in (start, end))
    u0, u1 = (float(re.search(r"uptime=([\d.]+)", run.lines[i]).group(1)) for i in (start, end))
    host = run.stamps[end] - run.stamps[start]
    guest = u1 - u0  # 10 ms resolution
    assert secs <= guest < secs * 1.01 + 0.2, f"guest uptime advanced {guest:.3f} s for sleep {secs}"
    assert abs((d1 - d0) - guest) <= 1.0, "date(1) and uptime disagree"
    # against the host clock, within 1 % (plus the console's own latency)
    assert abs(guest - host) < host * 0.01 + 0.1, f"guest {guest:.3f} s, host {host:.3f} s"
    assert abs(d0 - time.time()) < 3600 * 24, "the guest's wall clock comes from the RTC"


def test_shell_on_hvc0_takes_typed_commands():
    run = boot(RUN, smp=2, mem=1024, cpu=CPU, timeout=240, modules=linux(""),
               send=[("Tern test guest. Checks", b"\x01\x01\x01"),
                     ("*** serial input to d1", b"echo typed-$((6*7))\r"),
                     ("typed-42", b"poweroff -f\r")])
    assert any(l.endswith("typed-42") for l in guest_lines(run)), run.text[-2000:]
    assert "domain 1 (vmlinux): shut down (poweroff)" in run.text
    assert run.rc == EXIT_SUCCESS


def test_guest_panic_crashes_only_that_domain():
    run = boot(RUN, smp=2, mem=1024, cpu=CPU, timeout=240,
               modules=linux("tern.script=panic") + [HELLO + "|tern.count=3"])
    assert "TERN-PANIC now" in run.text and "TERN-PANIC survived" not in run.text
    assert "domain 1 (vmlinux): shut down (crash)" in run.text, run.text[-2000:]
    assert run.text.count("TEST-RESULT hello: SUCCESS") == 3
    assert "FATAL TRAP" not in run.text and run.rc == EXIT_SUCCESS


def test_too_little_memory_is_a_clear_refusal():
    run = boot(RUN, smp=1, mem=1024, cpu=CPU, timeout=120, modules=linux("", mem="32M") + [HELLO])
    assert "domain vmlinux: not started: too little memory" in run.text, run.text
    assert "TEST-RESULT hello: SUCCESS" in run.text and run.rc == EXIT_SUCCESS


def test_four_linux_guests_beside_test_guests():
    mods = linux("tern.script=uname", mem="160M", extra="tern.count=4") + [HELLO + "|tern.count=4"]
    run = boot(RUN, smp=2, mem=1024, cpu=CPU, timeout=600, modules=mods)
    for d in range(1, 5):
        assert results(run, d).get("uname", ("missing",))[0] == "PASS", (d, run.text[-3000:])
    assert run.text.count("TEST-RESULT hello: SUCCESS") == 4
    assert run.text.count("shut down (poweroff)") == 8
    assert run.rc == EXIT_SUCCESS
