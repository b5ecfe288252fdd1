"""System tests: the hypervisor as console backend — guest console rings and serial input."""
import os
import re

from tern_qemu import BUILD, EXIT_SUCCESS, boot

GUESTS = os.path.join(BUILD, "tests", "guests")
RUN = "exit=debug exit_when_done loglvl=warning"


def test_console_ring_output_and_serial_input():
    ring = os.path.join(GUESTS, "console_ring.elf")
    run = boot(RUN, modules=[ring], timeout=60,
               send=[("console_ring: waiting for input", b"\x01\x01\x01ping\r")])
    assert "(d1) written through the console ring" in run.text, run.text
    assert "*** serial input to d1" in run.text
    assert "(d1) console_ring: got 'ping'" in run.text
    assert "(d1) TEST-RESULT console_ring: SUCCESS" in run.text
    assert run.rc == EXIT_SUCCESS


def test_debug_key_lists_domains():
    ring = os.path.join(GUESTS, "console_ring.elf")
    # focus stays on the hypervisor: 'd' lists domains; then the guest gets its input
    run = boot(RUN, modules=[ring], timeout=60,
               send=[("console_ring: waiting for input", b"d"),
                     ("domains: 1", b"\x01\x01\x01ping\r")])
    assert "domains: 1" in run.text, run.text
    assert any("d1 console_ring" in l for l in run.lines)
    assert "(d1) TEST-RESULT console_ring: SUCCESS" in run.text


def test_a_boot_that_times_out_shows_the_hypervisor_state():
    """The harness's own hang report: on timeout it moves the serial focus to the hypervisor
    and its 'd' key prints what each CPU runs and each vCPU's state and pending events."""
    spin = os.path.join(GUESTS, "spin.elf") + "|ms=600000"
    ring = os.path.join(GUESTS, "console_ring.elf")
    run = boot(RUN, modules=[spin, ring], timeout=5)
    assert run.timed_out
    at = run.find("--- timed out: asking the hypervisor for its state ---")
    assert at >= 0, run.text
    after = run.lines[at:]
    # the focus went round the two guests' consoles to the hypervisor
    assert any("serial input to the hypervisor" in l for l in after), run.text
    cpus = [l for l in after if " runs " in l and "softirqs" in l]
    assert len(cpus) == 2, run.text
    assert any("runs d1.0" in l for l in cpus), cpus  # the spinner holds a CPU
    assert any(re.search(r"v0 running +cpu [01] ", l) for l in after), run.text
    assert any("d2 console_ring" in l for l in after), run.text
