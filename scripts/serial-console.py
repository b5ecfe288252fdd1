#!/usr/bin/env python3
"""Attaches this terminal to a host's serial console (a QEMU chardev Unix socket).
Ctrl-] detaches; the host keeps running. usage: serial-console.py SOCKET"""
import os
import select
import socket
import sys
import termios
import tty

DETACH = b"\x1d"  # Ctrl-]


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(sys.argv[1])
    except OSError as e:
        print(f"serial-console: cannot attach to {sys.argv[1]}: {e.strerror}", file=sys.stderr)
        return 1
    fd = sys.stdin.fileno()
    interactive = os.isatty(fd)
    saved = termios.tcgetattr(fd) if interactive else None
    print("[attached; Ctrl-] detaches]\r", file=sys.stderr)
    try:
        if interactive:
            tty.setraw(fd)
        while True:
            r, _, _ = select.select([s, fd], [], [])
            if s in r:
                data = s.recv(4096)
                if not data:
                    break
                os.write(sys.stdout.fileno(), data)
            if fd in r:
                data = os.read(fd, 1024)
                if not data or (interactive and DETACH in data):
                    break
                s.sendall(data)
    finally:
        if saved:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
    print("\n[detached]", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
