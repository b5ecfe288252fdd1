"""Runs the host unit-test programs built from tests/unit: one pytest test per C case,
plus one full run per program that must end with '0 failed'."""
import os
import re
import subprocess

import pytest

PROGRAMS = ["string", "vsnprintf", "buddy", "frame", "xmalloc", "cmdline", "timerq", "ptvalidate", "cpio"]
PROGRAMS += ["elf", "elf_bad", "elf_fuzz"]
TIMEOUT = 120
BUILD = os.environ.get("O", os.path.join(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))), "build"))
ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
           UBSAN_OPTIONS="print_stacktrace=1")


def binary(name):
    return os.path.join(BUILD, "tests", "unit", "test_" + name)


def list_cases(name):
    """The case names a program reports, or [None] when it cannot be listed."""
    try:
        out = subprocess.run([binary(name), "--list"], capture_output=True, text=True,
                             timeout=TIMEOUT, stdin=subprocess.DEVNULL, env=ENV)
    except (OSError, subprocess.TimeoutExpired):
        return [None]
    names = [l.strip() for l in out.stdout.splitlines() if l.strip()]
    return names if out.returncode == 0 and names else [None]


def run(name, *args):
    res = subprocess.run([binary(name), *args], capture_output=True, text=True,
                         timeout=TIMEOUT, stdin=subprocess.DEVNULL, env=ENV)
    return res, res.stdout + res.stderr


CASES = [(p, c) for p in PROGRAMS for c in list_cases(p)]


@pytest.mark.parametrize("program,case", CASES,
                         ids=[f"{p}:{c}" if c else f"{p}:unlisted" for p, c in CASES])
def test_case(program, case):
    assert case is not None, f"{binary(program)} missing or cannot list its cases"
    res, out = run(program, case)
    assert res.returncode == 0, out
    assert f"PASS {case}" in res.stdout.splitlines(), out
    assert res.stdout.strip().splitlines()[-1] == "1 passed, 0 failed", out


@pytest.mark.parametrize("program", PROGRAMS)
def test_whole_program(program):
    assert os.path.exists(binary(program)), f"{binary(program)} not built"
    res, out = run(program)
    assert res.returncode == 0, out
    last = res.stdout.strip().splitlines()[-1]
    m = re.fullmatch(r"(\d+) passed, (\d+) failed", last)
    assert m, out
    assert int(m.group(2)) == 0 and int(m.group(1)) == len(list_cases(program)), out


def test_unknown_case_fails():
    res, _ = run("string", "no_such_case")
    assert res.returncode != 0
    assert "0 passed, 1 failed" in res.stdout


def test_boot_param_section():
    """BOOT_PARAM_* entries land in .data.boot_params, 40 bytes apart (3 in the test)."""
    obj = os.path.join(BUILD, "tests", "unit", "test_cmdline.o")
    assert os.path.exists(obj), f"{obj} not built"
    out = subprocess.run(["readelf", "-SW", obj], capture_output=True, text=True,
                         timeout=TIMEOUT, stdin=subprocess.DEVNULL).stdout
    sizes = [int(l.split()[-6], 16) for l in out.splitlines()
             if re.search(r"\s\.data\.boot_params\s", l)]
    assert sizes == [3 * 40], out
