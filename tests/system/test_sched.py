"""System tests: the scheduler shares CPUs by weight and enforces caps."""
import os
import re

from tern_qemu import BUILD, EXIT_SUCCESS, boot

SPIN = os.path.join(BUILD, "tests", "guests", "spin.elf")
RUN = "exit=debug exit_when_done loglvl=warning"


def counts(run):
    """{domid: iterations} from the spin guests' reports."""
    out = {}
    for line in run.lines:
        m = re.match(r"\(d(\d+)\) spin: (\d+) iterations", line)
        if m:
            out[int(m.group(1))] = int(m.group(2))
    return out


def test_weights_share_one_cpu_in_proportion():
    run = boot(RUN, smp=1, timeout=90,
               modules=[SPIN + "|tern.weight=256 ms=1500", SPIN + "|tern.weight=768 ms=1500"])
    c = counts(run)
    assert run.rc == EXIT_SUCCESS and len(c) == 2, run.text
    ratio = c[2] / c[1]
    assert 2.0 < ratio < 4.5, f"weight 768 vs 256 got {ratio:.2f}x the work (want about 3x)"


def test_equal_weights_share_equally():
    run = boot(RUN, smp=1, timeout=90, modules=[SPIN + "|tern.count=3 ms=1200"])
    c = counts(run)
    assert len(c) == 3, run.text
    assert max(c.values()) / min(c.values()) < 1.5, c


def cpu_share(run, domid):
    """CPU time over lifetime of a domain, from the hypervisor's shutdown report."""
    m = re.search(rf"domain {domid} \(\S+\): shut down \(\w+\) after (\d+) ms, (\d+) ms on CPUs", run.text)
    assert m, run.text
    return int(m.group(2)) / int(m.group(1))


def test_cap_limits_a_domain_on_an_idle_cpu():
    # two CPUs, two guests: each could have a whole CPU, but one is capped at 25 %
    run = boot(RUN, smp=2, timeout=90,
               modules=[SPIN + "|ms=1500", SPIN + "|tern.cap=25 ms=1500"])
    assert len(counts(run)) == 2, run.text
    assert cpu_share(run, 1) > 0.85, "the uncapped guest should have had its CPU"
    share = cpu_share(run, 2)
    assert 0.15 < share < 0.40, f"capped guest ran {share:.2f} of the time (cap 25 %)"


def test_a_thousand_guests_share_the_cpus():
    # 1000 domains at once: each has to be built, scheduled and its timers kept (a CPU's
    # timer heap once held 1024, so past ~500 guests slice timers were dropped and a vCPU
    # could keep a CPU for seconds). Every guest spins over one shared window of system
    # time; none may be starved (each must count) or get a multiple of the others' CPU.
    n, window = 1000, 20000
    run = boot(RUN, smp=2, mem=1024 + 5 * n, timeout=400,
               modules=[SPIN + f"|tern.count={n} tern.mem=4M from=40000 ms={window}"])
    assert f"boot modules: {n} domains started" in run.text, run.text[-3000:]
    assert "started after" not in run.text, "building took longer than the window's start:\n" + \
        run.line("boot modules")
    c = counts(run)
    assert run.rc == EXIT_SUCCESS and len(c) == n, run.text[-3000:]
    # 2 CPUs over 20 s is 40 ms (four 10 ms slices) each: 3x the median is eight slices too many
    med = sorted(c.values())[n // 2]
    assert min(c.values()) > 0 and max(c.values()) < 3 * med, \
        f"loop counts min {min(c.values())} median {med} max {max(c.values())}"
