"""System tests: the test guests (tests/guests) run as PV domains under the hypervisor.

Each guest reports one line `TEST-RESULT <name>: SUCCESS|SKIP|ERROR|FAILURE`; guests named
hostile_* must instead be crashed by the hypervisor, alone."""
import os
import re

import pytest

from tern_qemu import BUILD, EXIT_FAILURE, EXIT_SUCCESS, boot

GUEST_DIR = os.path.join(BUILD, "tests", "guests")
SOURCE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "guests")
GUESTS = sorted(d for d in os.listdir(SOURCE_DIR) if os.path.isfile(os.path.join(SOURCE_DIR, d, "main.c")))
HOSTILE = [g for g in GUESTS if g.startswith("hostile_")]
# bench_* guests need peers and arguments (test_bench_guests.py), console_* ones typed input
# (test_console.py), xs_* ones a store ring, which domains built from dom0 have (test_dom0.py)
BENIGN = [g for g in GUESTS if g not in HOSTILE and not g.startswith(("bench_", "console_", "xs_"))]
RUN = "exit=debug exit_when_done loglvl=warning"


def elf(name):
    return os.path.join(GUEST_DIR, name + ".elf")


def results(run):
    """{domid: (name, verdict)} from TEST-RESULT lines, and the set of crashed domids."""
    out, crashed = {}, set()
    for line in run.lines:
        m = re.match(r"\(d(\d+)\) TEST-RESULT (\S+): (\w+)", line)
        if m:
            out[int(m.group(1))] = (m.group(2), m.group(3))
        m = re.search(r"domain (\d+) \((\S+)\) crashed:", line)
        if m:
            crashed.add((int(m.group(1)), m.group(2)))
    return out, crashed


def assert_clean_end(run):
    assert not run.timed_out, run.text
    assert run.rc == EXIT_SUCCESS, run.text
    assert "all domains have ended" in run.text
    assert "FATAL TRAP" not in run.text and "Panic" not in run.text


@pytest.mark.parametrize("name", BENIGN)
def test_guest_succeeds(name):
    run = boot(RUN, modules=[elf(name)], timeout=60)
    verdicts, crashed = results(run)
    assert list(verdicts.values()) == [(name, "SUCCESS")], run.text
    assert not crashed
    assert_clean_end(run)


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_guest_is_crashed_alone(name):
    """The hostile guest dies; a well-behaved guest beside it completes; the hypervisor lives."""
    run = boot(RUN, modules=[elf(name), elf("hello")], timeout=60)
    verdicts, crashed = results(run)
    assert {n for _, n in crashed} == {name}, run.text
    assert ("hello", "SUCCESS") in verdicts.values(), run.text
    assert not any(n == name and v == "SUCCESS" for n, v in verdicts.values())
    assert_clean_end(run)


@pytest.mark.parametrize("smp", [1, 2, 4])
def test_many_guests_run_together_with_hostile_ones(smp):
    """More than 20 domains at once, with every hostile guest among them."""
    count = 21
    mods = [elf("hello") + f"|tern.count={count}"] + [elf(h) for h in HOSTILE]
    run = boot(RUN, smp=smp, modules=mods, timeout=120)
    verdicts, crashed = results(run)
    ok = [d for d, (n, v) in verdicts.items() if n == "hello" and v == "SUCCESS"]
    assert len(ok) == count, run.text
    assert {n for _, n in crashed} == set(HOSTILE)
    assert_clean_end(run)


def test_memory_comes_back_after_domains_end():
    run = boot(RUN, modules=[elf("hello") + "|tern.count=5"] + [elf(h) for h in HOSTILE], timeout=120)
    # free memory before any domain was built (the banner) and after the last one ended
    free_before = int(re.search(r"(\d+) KiB free;", run.text).group(1)) // 4
    free_after = int(re.search(r"all domains have ended; (\d+) pages free", run.text).group(1))
    # each domain had 1024 pages; the heap may keep a few slab pages, nothing more
    assert abs(free_before - free_after) <= 8, (free_before, free_after)


def test_guest_given_too_little_memory_is_refused():
    run = boot(RUN + " ", modules=[elf("hello") + "|tern.mem=1M", elf("hello")], timeout=60)
    assert "not started: too little memory" in run.text, run.text
    verdicts, _ = results(run)
    assert list(verdicts.values()) == [("hello", "SUCCESS")]
    assert_clean_end(run)


def test_exit_when_done_with_every_module_refused_fails_at_once():
    run = boot(RUN, modules=[elf("hello") + "|tern.mem=1M"], timeout=60)
    assert "not started: too little memory" in run.text, run.text
    assert "no boot module became a domain" in run.text and not run.timed_out, run.text
    assert run.rc == EXIT_FAILURE, run.text


def _verdicts_by_name(run):
    verdicts, crashed = results(run)
    names = {}
    for name, verdict in verdicts.values():
        names.setdefault(name, []).append(verdict)
    return names, crashed


def test_second_vcpu_comes_up_and_reports():
    run = boot(RUN, smp=2, modules=[elf("vcpus") + "|tern.vcpus=2"], timeout=60)
    assert "vCPU 1 running (magic 0xa11ce)" in run.text, run.text
    assert list(results(run)[0].values()) == [("vcpus", "SUCCESS")], run.text
    assert_clean_end(run)


def test_polls_on_masked_ports_and_vcpu_timers_wake_across_cpus():
    """Three vCPUs on two CPUs pass a token by SCHEDOP_poll on masked ports (Linux's
    contended-spinlock wait) and re-arm timers after moving CPU; a lost wake-up hangs."""
    run = boot(RUN, smp=2, modules=[elf("poll_wake") + "|tern.vcpus=3"], timeout=120)
    assert list(results(run)[0].values()) == [("poll_wake", "SUCCESS")], run.text[-3000:]
    assert "2000 rounds of the ring and 300 timer re-arms on each of 3 vCPUs" in run.text
    assert_clean_end(run)


def test_interdomain_event_channel_between_two_guests():
    mods = [elf("evtchn_pair") + "|server peer=2", elf("evtchn_pair") + "|client peer=1"]
    run = boot(RUN, smp=2, modules=mods, timeout=60)
    names, crashed = _verdicts_by_name(run)
    assert names == {"evtchn_pair": ["SUCCESS", "SUCCESS"]}, run.text
    assert "server got the ping" in run.text and "client got the pong" in run.text
    assert not crashed
    assert_clean_end(run)


def test_fifo_events_lift_the_control_domains_port_limit():
    """As domain 0, evtchn_fifo also fills its ports: 4095 at most while 2-level, the whole
    table (32768) once FIFO, the highest as usable as the lowest."""
    run = boot(RUN, modules=[elf("evtchn_fifo") + "|tern.dom0"], timeout=120)
    verdicts, crashed = results(run)
    assert list(verdicts.values()) == [("evtchn_fifo", "SUCCESS")], run.text
    m = re.search(r"evtchn_fifo: (\d+) ports as a 2-level control domain, (\d+) with FIFO", run.text)
    assert m, run.text
    assert int(m.group(1)) < 4096 < 30000 < int(m.group(2)), m.group(0)
    assert "domain 0 ended: powering the host off" in run.text and run.rc == EXIT_SUCCESS


def test_fpu_state_survives_switches_between_two_fpu_users():
    """Two guests with different XMM/x87 contents share one CPU and yield to each other."""
    run = boot(RUN, smp=1, modules=[elf("fpu_switch"), elf("fpu_switch")], timeout=60)
    names, crashed = _verdicts_by_name(run)
    assert names == {"fpu_switch": ["SUCCESS", "SUCCESS"]}, run.text
    assert not crashed
    assert_clean_end(run)


def test_vcpu_storm_does_not_starve_other_guests():
    count = 20
    mods = [elf("storm_vcpus") + "|tern.vcpus=4", elf("hello") + f"|tern.count={count}"]
    run = boot(RUN, smp=2, modules=mods, timeout=90)
    names, crashed = _verdicts_by_name(run)
    assert names.get("hello") == ["SUCCESS"] * count, run.text
    assert names.get("storm_vcpus") == ["SUCCESS"], run.text
    assert "storm_vcpus: 4 vCPUs" in run.text
    assert not crashed
    assert_clean_end(run)


def test_refused_and_crashed_hostile_guests_together():
    """Guests whose hostile requests are refused carry on; those that fault are crashed; hello finishes."""
    deny = [g for g in GUESTS if g.startswith("deny_")]
    mods = [elf(g) for g in deny] + [elf(h) for h in HOSTILE] + [elf("hello") + "|tern.count=3"]
    run = boot(RUN, smp=2, modules=mods, timeout=120)
    names, crashed = _verdicts_by_name(run)
    for g in deny:
        assert names.get(g) == ["SUCCESS"], (g, run.text)
    assert names.get("hello") == ["SUCCESS"] * 3, run.text
    assert {n for _, n in crashed} == set(HOSTILE), run.text
    assert_clean_end(run)


def test_hypercall_fuzzers_beside_other_guests():
    """Two guests throw 10^6 rounds of random and mutated hypercalls each (fuzz_hypercalls,
    two seeds) while guests with checks of their own run beside them: the hypervisor never
    faults, every check passes, the fuzzers finish."""
    fuzz = [elf("fuzz_hypercalls") + f"|calls=1000000 seed={seed}" for seed in (11, 12)]
    others = ["mmu_update", "events", "gnttab", "pvclock"]
    run = boot(RUN, modules=fuzz + [elf(g) for g in others], timeout=600)
    verdicts, crashed = results(run)
    assert sorted(verdicts.values()) == sorted([("fuzz_hypercalls", "SUCCESS")] * 2 +
                                               [(g, "SUCCESS") for g in others]), run.text[-4000:]
    assert not crashed
    assert len([l for l in run.lines if "1000000 rounds," in l]) == 2
    assert_clean_end(run)


def test_fsgsbase_where_the_cpu_has_it():
    """On a CPU with FSGSBASE (test_guest_succeeds runs the same guest on one without): two
    copies turn it on and off in their CR4 while a third domain spins, each switching often."""
    run = boot(RUN, cpu="qemu64,+fsgsbase", modules=[elf("fsgsbase") + "|tern.count=2", elf("spin") + "|ms=300"],
               timeout=60)
    verdicts, crashed = results(run)
    assert sorted(verdicts.values()) == [("fsgsbase", "SUCCESS")] * 2 + [("spin", "SUCCESS")], run.text
    assert run.text.count("fsgsbase: on this CPU") == 2, run.text
    assert_clean_end(run)


def test_sysenter_where_the_cpu_has_it():
    """On an Intel CPU sysenter works in long mode: from compat user code to the sysenter
    callback, or #GP(0) without one. (The guest also accepts the #UD a real AMD CPU gives
    elsewhere; QEMU runs sysenter from compatibility mode whatever vendor it shows.) A guest
    kernel's own sysenter bounces onto the frame's %rsp, 0: that domain alone is crashed."""
    run = boot(RUN, cpu="qemu64,vendor=GenuineIntel",
               modules=[elf("syscall32"), elf("hostile_sysenter_kernel"), elf("hello")], timeout=60)
    verdicts, crashed = results(run)
    assert sorted(verdicts.values()) == [("hello", "SUCCESS"), ("syscall32", "SUCCESS")], run.text
    assert "syscall32: sysenter reached its callback" in run.text, run.text
    assert {n for _, n in crashed} == {"hostile_sysenter_kernel"}, run.text
    assert "cannot write a bounce frame at 0xffffffffffffff" in run.text, run.text
    assert_clean_end(run)


@pytest.mark.parametrize("scrub", [" scrub_idle", ""])
def test_frames_taken_again_are_zero_with_and_without_idle_scrubbing(scrub):
    """Two guests on two CPUs give frames back and take frames again, round after round;
    every word they get is zero, whether idle CPUs scrubbed free frames ahead or not."""
    run = boot(RUN + scrub, smp=2, modules=[elf("scrub_reuse") + "|tern.count=2"], timeout=120)
    names, crashed = _verdicts_by_name(run)
    assert names.get("scrub_reuse") == ["SUCCESS", "SUCCESS"], run.text
    assert not crashed
    assert_clean_end(run)
