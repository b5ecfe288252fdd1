"""System tests: grant tables v1 between two PV domains (tests/guests/gnttab).

Boot order gives domids 1 and 2; each side is told its peer on its command line and the
two meet through fixed grant refs. The solo run of the guest (its own table, maps and
errors) is in test_guests.py with the other guests."""
import os
import re

import pytest

from tern_qemu import BUILD, EXIT_SUCCESS, boot

GUEST = os.path.join(BUILD, "tests", "guests", "gnttab.elf")
RUN = "exit=debug exit_when_done loglvl=warning"


def run_pair(first, second):
    mods = [f"{GUEST} role={first} peer=2", f"{GUEST} role={second} peer=1"]
    run = boot(RUN, modules=mods, timeout=90)
    assert not run.timed_out, run.text
    assert run.rc == EXIT_SUCCESS, run.text
    assert "FATAL TRAP" not in run.text and "Panic" not in run.text
    verdicts = re.findall(r"\(d(\d)\) TEST-RESULT gnttab: (\w+)", run.text)
    assert sorted(verdicts) == [("1", "SUCCESS"), ("2", "SUCCESS")], run.text
    assert "crashed" not in run.text, run.text
    return int(re.search(r"all domains have ended; (\d+) pages free", run.text).group(1))


@pytest.fixture(scope="module")
def baseline_free():
    """Free pages after two domains that use grant tables only on their own."""
    run = boot(RUN, modules=[GUEST, GUEST], timeout=90)
    assert run.rc == EXIT_SUCCESS, run.text
    assert len(re.findall(r"TEST-RESULT gnttab: SUCCESS", run.text)) == 2, run.text
    return int(re.search(r"all domains have ended; (\d+) pages free", run.text).group(1))


@pytest.mark.parametrize("first,second", [
    ("granter", "mapper"),               # map RO/RW, copy both ways, unmap, every refusal
    ("granter_wait", "mapper_hold"),     # the mapper dies holding maps: they are released
    ("granter_exit", "mapper_outlive"),  # the granter dies while mapped: its frame lives on
])
def test_grant_pair(first, second, baseline_free):
    # Frames come back: table frames, granted frames held past their owner's end. The
    # heap's slab pages vary by a few with the order the CPUs ran things in, so the
    # check is as tight as that allows: it catches a leaked table, not a single frame.
    free = run_pair(first, second)
    assert abs(baseline_free - free) < 16, (baseline_free, free)
