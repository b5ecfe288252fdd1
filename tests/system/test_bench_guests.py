"""The benchmark guests work (small runs); `make bench` runs them at full size."""
import os
import re

from tern_qemu import BUILD, EXIT_SUCCESS, boot

G = os.path.join(BUILD, "tests", "guests")
RUN = "exit=debug exit_when_done loglvl=warning"


def figures(run):
    return {m.group(1): float(m.group(2)) for m in
            (re.search(r"BENCH (\S+) ([\d.]+)", l) for l in run.lines) if m}


def test_bench_guests_report_their_figures():
    run = boot(RUN, smp=2, timeout=120, modules=[
        f"{G}/bench_hypercall.elf|n=2000", f"{G}/bench_mmu.elf|rounds=8",
        f"{G}/bench_ctxsw.elf|ms=100", f"{G}/bench_evtchn.elf|n=50",
        f"{G}/bench_evtchn.elf|n=50 peer=4 port=2", f"{G}/bench_gnttab.elf|rounds=4"])
    f = figures(run)
    for name in ("hypercall_syscall_ns", "hypercall_page_ns", "function_call_ns",
                 "mmu_update_batched_ns_per_entry", "update_va_mapping_ns", "ptwr_emulated_store_ns",
                 "plain_store_ns", "yields_per_s", "evtchn_pingpong_us", "evtchn_self_ipi_us",
                 "grant_map_ns", "grant_unmap_ns", "pte_map_ns", "pte_unmap_ns"):
        assert name in f and f[name] > 0, (name, run.text)
    assert run.text.count("SUCCESS") == 6, run.text
    assert run.rc == EXIT_SUCCESS
