"""System tests: boot the hypervisor under QEMU (TCG) on both boot paths and check what it reports."""
import os
import re

import pytest

from tern_qemu import EXIT_FAILURE, EXIT_SUCCESS, boot

PATHS = ["direct", "iso"]
SELFTEST = "exit=debug exit_after_selftest"


def banner(run):
    m = re.search(r"Tern (\S+): (\d+) KiB RAM usable .*; (\d+) of (\d+) CPUs online", run.text)
    assert m, f"no banner in:\n{run.text}"
    return int(m.group(2)), int(m.group(3)), int(m.group(4))


@pytest.mark.parametrize("path", PATHS)
def test_boots_to_banner_and_exits_cleanly(path):
    run = boot(SELFTEST, path=path)
    assert not run.timed_out, run.text
    assert "Tern hypervisor" in run.text and "hypervisor ready" in run.text
    assert ("multiboot2" if path == "iso" else "multiboot1") in run.line("booting (")
    assert "selftests: all passed" in run.text
    assert run.rc == EXIT_SUCCESS, run.text


@pytest.mark.parametrize("path,mem", [("direct", 512), ("iso", 512), ("direct", 1536), ("iso", 3072)])
def test_memory_size_matches_qemu(path, mem):
    run = boot(SELFTEST, path=path, mem=mem)
    kib, _, _ = banner(run)
    assert abs(kib - mem * 1024) < 1024, f"reported {kib} KiB for -m {mem}"


@pytest.mark.parametrize("path,smp", [("direct", 1), ("direct", 2), ("direct", 4), ("iso", 2), ("iso", 4)])
def test_cpu_count_matches_smp(path, smp):
    run = boot(SELFTEST + " selftest=smp,nmi", path=path, smp=smp)
    _, online, found = banner(run)
    assert (online, found) == (smp, smp), run.text
    assert f"selftest smp: PASS {smp} of {smp} CPUs" in run.text
    calls = smp * 200 * (smp - 1)  # every CPU calls all others at once, interrupts off
    assert f"selftest smp-crossed: PASS {calls} of {calls} calls ran" in run.text, run.text
    # an NMI to every CPU, each handled on that CPU's own IST stack
    assert f"selftest nmi: PASS {smp} of {smp} NMIs handled, {smp} on the IST stack" in run.text
    assert {f"NMI on CPU {c}" for c in range(smp)} <= set(l.replace("(tern) ", "") for l in run.lines)
    assert run.rc == EXIT_SUCCESS


def test_maxcpus_limits_bring_up():
    run = boot(SELFTEST + " maxcpus=2", smp=4)
    _, online, found = banner(run)
    assert (online, found) == (2, 4), run.text


@pytest.mark.parametrize("machine", ["q35", "pc"])
def test_timer_runs_at_calibrated_rate(machine):
    ms = 2000
    run = boot(SELFTEST + f" selftest=timer timer_check_ms={ms}", machine=machine)
    result = run.line("selftest timer:")
    assert "PASS" in result, run.text
    m = re.search(r"system (\d+) us, (.+?) (\d+) us, drift (-?\d+) ppm", result)
    system_us, ref_us, ppm = int(m.group(1)), int(m.group(3)), int(m.group(4))
    # against QEMU's clock devices (HPET or ACPI PM timer): within 2 %
    assert abs(ppm) < 20000 and abs(system_us - ref_us) < ref_us * 0.02
    assert system_us >= ms * 1000
    # and against the host clock that drives QEMU's virtual clock: within 10 %
    start, end = run.find("timer-check: start"), run.find("timer-check: end")
    host_s = run.stamps[end] - run.stamps[start]
    assert abs(host_s - ms / 1000) < ms / 1000 * 0.10, f"host saw {host_s:.3f} s for {ms} ms"


@pytest.mark.parametrize("fault,vector", [("pf", 14), ("gp", 13), ("ud", 6), ("de", 0), ("df", 8)])
def test_deliberate_fault_dumps_registers_and_fails(fault, vector):
    run = boot(f"exit=debug fault_test={fault}")
    assert run.rc == EXIT_FAILURE, run.text
    trap = run.line("FATAL TRAP")
    assert f"vector {vector} " in trap
    for reg in ("RIP", "RAX", "RSP", "R15", "CR2"):
        assert reg in run.text
    at = run.line("  at [<")
    assert "fault_test+0x" in at or "selftests_start+0x" in at, "RIP should be symbolised"
    trace = run.text[run.text.find("Stack trace:"):]
    if fault != "df":  # on #DF the stack is gone by design
        assert "start_hypervisor+0x" in trace
    if fault == "pf":
        assert re.search(r"CR2 0{14}10 ", run.text), "CR2 should hold the faulting address"


def test_fault_dump_on_grub_path():
    run = boot("exit=debug fault_test=ud", path="iso")
    assert run.rc == EXIT_FAILURE and "FATAL TRAP: vector 6" in run.text


@pytest.mark.parametrize("path", PATHS)
def test_boot_modules_are_kept_and_described(path, tmp_path):
    mods = []
    for i, size in enumerate((5000, 123457)):
        f = tmp_path / f"mod{i}.bin"
        f.write_bytes(os.urandom(size))
        mods.append((str(f), size))
    run = boot(SELFTEST, path=path, modules=[f"{mods[0][0]}|role=first x=1", mods[1][0]])
    for i, (name, size) in enumerate(mods):
        line = run.line(f"module {i}:")
        assert f"({size} bytes)" in line
        assert os.path.basename(name) in line
    assert "role=first x=1" in run.line("module 0:")


def test_unknown_and_bad_options_are_reported_not_fatal():
    run = boot(SELFTEST + " frobnicate=1 maxcpus=lots")
    errors = [l for l in run.lines if "cmdline:" in l]
    assert any("unknown option" in l and "frobnicate=1" in l for l in errors), run.text
    assert any("bad value" in l and "maxcpus=lots" in l for l in errors), run.text
    assert run.rc == EXIT_SUCCESS


def test_loglvl_filters_messages():
    quiet = boot(SELFTEST + " loglvl=warning")
    chatty = boot(SELFTEST + " loglvl=debug")
    assert "APIC:" not in quiet.text and "APIC:" in chatty.text
    assert "type 1" in chatty.text  # the memory map is a debug message
    banner(quiet)  # the banner is always shown
