#!/usr/bin/env python3
"""Runs the whole test suite with pytest and ends with one line: 'N passed, N failed'."""
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def main():
    out = os.environ.get("O", os.path.join(ROOT, "build"))
    os.makedirs(out, exist_ok=True)
    xml = os.path.join(out, "test-results.xml")
    if os.path.exists(xml):
        os.remove(xml)
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rfE",
           "--junitxml", xml, "--ignore", os.path.join(HERE, "bench")] + sys.argv[1:]
    rc = subprocess.call(cmd, cwd=HERE)
    passed = failed = 0
    if os.path.exists(xml):
        for case in ET.parse(xml).getroot().iter("testcase"):
            if case.find("skipped") is not None:
                continue
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
            else:
                passed += 1
    if rc not in (0, 1) or passed + failed == 0:
        failed = max(failed, 1)  # pytest itself broke, or ran nothing
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
