"""System tests: the hypervisor as console backend — guest console rings and serial input."""
import os

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
