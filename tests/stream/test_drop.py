"""Dropped connections mid-stream: both ends report it, and no output file appears."""
import os
import signal
import socket
import subprocess

import pytest

from streamlib import TIMEOUT, encode, pipe_queued, synth, tcp_tx_queued, tool, wait_for


@pytest.fixture(scope="module")
def big(build_dir, tmp_path_factory):
    # Incompressible and larger than all socket buffers together, so a stalled peer blocks the sender.
    return synth(build_dir, tmp_path_factory.mktemp("drop") / "big.img", "--size-mib", 48,
                 "--profile", "random")


def receiver(build_dir, out):
    p = subprocess.Popen([tool(build_dir, "ternstream"), "recv", "--listen", "127.0.0.1:0",
                          "-o", str(out), "--timeout", "30"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    assert line.startswith("listening 127.0.0.1:"), line
    return p, int(line.rsplit(":", 1)[1])


def sender(build_dir, image, port):
    return subprocess.Popen([tool(build_dir, "ternstream"), "send", "-i", str(image), "--level", "0",
                             "--to", f"tcp:127.0.0.1:{port}", "--timeout", "30"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def finish(p):
    try:
        return p.wait(timeout=TIMEOUT), p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=TIMEOUT)


def test_kill_sender_mid_stream(build_dir, big, tmp_path):
    out = tmp_path / "o.img"
    recv, port = receiver(build_dir, out)
    recv.send_signal(signal.SIGSTOP)  # let the sender fill the socket buffers and block
    send = sender(build_dir, big, port)
    try:
        wait_for(lambda: tcp_tx_queued(port) > 1 << 20, what="sender to be mid-stream")
        send.kill()
        send.wait(timeout=TIMEOUT)
    finally:
        recv.send_signal(signal.SIGCONT)
    rc, err = finish(recv)
    assert rc == 1
    assert "truncated" in err, err
    assert os.listdir(tmp_path) == []


def test_kill_receiver_mid_stream(build_dir, big, tmp_path):
    out = tmp_path / "o.img"
    recv, port = receiver(build_dir, out)
    recv.send_signal(signal.SIGSTOP)
    send = sender(build_dir, big, port)
    try:
        wait_for(lambda: tcp_tx_queued(port) > 1 << 20, what="sender to be mid-stream")
        recv.kill()
        recv.wait(timeout=TIMEOUT)
    finally:
        recv.send_signal(signal.SIGCONT) if recv.poll() is None else None
    rc, err = finish(send)
    assert rc == 1
    assert "sending failed" in err and ("reset" in err or "Broken pipe" in err), err
    assert os.listdir(tmp_path) == []


def half_stream_peer(build_dir, tmp_path, port):
    """A sender that stops halfway: connects and writes the first half of a valid stream."""
    img = synth(build_dir, tmp_path / "s.img", "--pages", 2048)
    blob = open(encode(build_dir, img, tmp_path / "s.ts"), "rb").read()
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    s.sendall(blob[: len(blob) // 2])
    return s


def test_sender_connection_dropped(build_dir, tmp_path):
    outdir = tmp_path / "out"
    outdir.mkdir()
    recv, port = receiver(build_dir, outdir / "o.img")
    s = half_stream_peer(build_dir, tmp_path, port)
    wait_for(lambda: os.listdir(outdir), what="receiver to start its temporary file")
    s.close()
    rc, err = finish(recv)
    assert rc == 1 and "truncated: stream ends inside" in err, err
    assert os.listdir(outdir) == []


def test_receiver_terminated_cleans_up(build_dir, tmp_path):
    outdir = tmp_path / "out"
    outdir.mkdir()
    recv, port = receiver(build_dir, outdir / "o.img")
    s = half_stream_peer(build_dir, tmp_path, port)
    wait_for(lambda: os.listdir(outdir), what="receiver to start its temporary file")
    recv.terminate()
    rc, _ = finish(recv)
    assert rc != 0
    s.settimeout(TIMEOUT)
    # the peer sees the connection end, no "OK": an orderly close, or a reset when the
    # receiver died with our unread bytes still queued
    try:
        assert s.recv(100) == b""
    except ConnectionResetError:
        pass
    s.close()
    assert os.listdir(outdir) == []


def test_pipe_writer_killed(build_dir, big, tmp_path):
    ts = tool(build_dir, "ternstream")
    out = tmp_path / "o.img"
    enc = subprocess.Popen([ts, "encode", "-i", str(big), "--level", "0"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL)
    dec = subprocess.Popen([ts, "decode", "-o", str(out)], stdin=enc.stdout,
                           stderr=subprocess.PIPE, text=True)
    enc.stdout.close()
    dec.send_signal(signal.SIGSTOP)
    try:
        wait_for(lambda: pipe_queued(dec.pid, 0) > 32 << 10, what="encoder to fill the pipe")
        enc.kill()
        enc.wait(timeout=TIMEOUT)
    finally:
        dec.send_signal(signal.SIGCONT)
    rc, err = finish(dec)
    assert rc == 1 and "truncated" in err, err
    assert not out.exists()
