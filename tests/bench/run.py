#!/usr/bin/env python3
"""Runs every benchmark (tests/bench/bench_* executables, in name order); each prints its figures."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    rc = 0
    for name in sorted(os.listdir(HERE)):
        path = os.path.join(HERE, name)
        if not name.startswith("bench_") or not os.access(path, os.X_OK):
            continue
        print(f"== {name}", flush=True)
        r = subprocess.call([path], cwd=HERE)
        if r != 0:
            print(f"!! {name} exited {r}", flush=True)
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
