"""xenstore semantics over tern-xenstored's socket: the tree, watches, transactions, bad input."""
import os
import random
import struct

import pytest

from xslib import HDR, TYPES, Client, XsError


def err(fn, *a):
    with pytest.raises(XsError) as e:
        fn(*a)
    return e.value.name


def test_tree_basics(xsd):
    c = xsd.client()
    c.write("/vm/a/b", "hello")
    assert c.read("/vm/a/b") == b"hello"
    assert c.read("/vm/a") == b""  # created on the way, empty
    c.write("/vm/a/b", b"bin\0ary\xff")
    assert c.read("/vm/a/b") == b"bin\0ary\xff"
    c.mkdir("/vm/a/c")
    c.mkdir("/vm/a/c")  # again: no error
    assert c.ls("/vm/a") == ["b", "c"]
    assert err(c.read, "/vm/nothing") == "ENOENT"
    c.rm("/vm/a")
    assert err(c.read, "/vm/a/b") == "ENOENT"
    assert c.ls("/vm") == []
    c.rm("/vm/gone")  # parent exists: fine, as on Xen
    assert err(c.rm, "/nowhere/gone") == "ENOENT"
    assert c.call("GET_DOMAIN_PATH", b"7\0") == b"/local/domain/7\0"
    # a relative path is under the caller's domain path (dom0 for a socket)
    c.write("rel", "x")
    assert c.read("/local/domain/0/rel") == b"x"


@pytest.mark.parametrize("path", ["/a//b", "/a/", "/bad path", "/a/b*", "", "/" + "x" * 3100])
def test_bad_paths(xsd, path):
    c = xsd.client()
    assert err(c.write, path, "v") == "EINVAL"


def test_permissions_format(xsd):
    c = xsd.client()
    c.write("/p/q", "1")
    assert c.get_perms("/p/q") == ["n0"]
    c.set_perms("/p/q", "n3", "r5", "b7")
    assert c.get_perms("/p/q") == ["n3", "r5", "b7"]
    c.write("/p/q/child", "2")  # dom0 creating keeps the parent's owner and list
    assert c.get_perms("/p/q/child") == ["n3", "r5", "b7"]
    for bad in (["x1"], ["r"], ["r70000"], []):
        assert err(c.set_perms, "/p/q", *bad) == "EINVAL"
    assert err(c.set_perms, "/p/none", "n0") == "ENOENT"


def test_watch_fires_at_once_and_on_changes(xsd):
    w, c = xsd.client(), xsd.client()
    w.watch("/w", "tok")
    assert w.event() == ("/w", "tok")
    c.write("/w/x", "1")
    c.write("/other", "1")
    c.write("/w", "2")
    c.set_perms("/w", "n0", "r1")
    got = w.drain_events()
    assert got == [("/w/x", "tok"), ("/w", "tok"), ("/w", "tok")], got
    w.unwatch("/w", "tok")
    c.write("/w/y", "1")
    assert w.drain_events() == []
    assert err(w.unwatch, "/w", "tok") == "ENOENT"


def test_watch_on_removed_subtree(xsd):
    w, c = xsd.client(), xsd.client()
    c.write("/r/a/b/c", "1")
    w.watch("/r/a/b/c", "deep")
    w.watch("/r", "top")
    w.drain_events()
    c.rm("/r/a")
    got = sorted(w.drain_events())
    assert got == [("/r/a", "top"), ("/r/a/b/c", "deep")], got


def test_watch_duplicate_and_special(xsd):
    w = xsd.client()
    w.watch("/d", "t")
    assert err(w.watch, "/d", "t") == "EEXIST"
    w.watch("@releaseDomain", "rel")
    assert ("@releaseDomain", "rel") in w.drain_events()


def test_transaction_isolation_and_commit(xsd):
    a, b, w = xsd.client(), xsd.client(), xsd.client()
    a.write("/t/v", "0")
    w.watch("/t", "t")
    w.drain_events()
    tx = a.start()
    a.write("/t/v", "1", tx)
    a.write("/t/new", "n", tx)
    assert a.read("/t/v", tx) == b"1"  # its own writes
    assert b.read("/t/v") == b"0"      # invisible outside
    assert err(b.read, "/t/new") == "ENOENT"
    assert w.drain_events() == []      # nothing fires before the commit
    a.end(tx)
    assert b.read("/t/v") == b"1" and b.read("/t/new") == b"n"
    assert sorted(w.drain_events()) == [("/t/new", "t"), ("/t/v", "t")]


def test_transaction_conflict_and_retry(xsd):
    a, b = xsd.client(), xsd.client()
    a.write("/c/counter", "0")

    def increment(cl, interfere=None):
        for attempt in range(10):
            tx = cl.start()
            v = int(cl.read("/c/counter", tx))
            if interfere and attempt == 0:
                interfere()
            cl.write("/c/counter", str(v + 1), tx)
            try:
                cl.end(tx)
                return attempt
            except XsError as e:
                assert e.name == "EAGAIN"
        raise AssertionError("never committed")

    # b changes the counter between a's read and a's commit: a must retry
    attempts = increment(a, interfere=lambda: b.write("/c/counter", "100"))
    assert attempts == 1
    assert a.read("/c/counter") == b"101"
    # transactions on unrelated nodes do not conflict
    a.write("/c/x", "0")
    ta, tb = a.start(), b.start()
    a.write("/c/x", "a", ta)
    b.write("/c/counter", "5", tb)
    a.end(ta)
    b.end(tb)
    assert a.read("/c/x") == b"a" and a.read("/c/counter") == b"5"


def test_transaction_abort_and_unknown(xsd):
    a = xsd.client()
    tx = a.start()
    a.write("/ab/x", "1", tx)
    a.end(tx, commit=False)
    assert err(a.read, "/ab/x") == "ENOENT"
    assert err(a.read, "/ab/x", 4242) == "ENOENT"  # no such transaction
    assert err(a.end, tx) == "ENOENT"


def test_directory_parts(xsd):
    c = xsd.client()
    names = [f"child-with-a-long-name-{i:04d}" for i in range(300)]
    for n in names:
        c.mkdir("/big/" + n)
    assert err(c.ls, "/big") == "E2BIG"
    got, off = [], 0
    while True:
        body = c.call("DIRECTORY_PART", c.strs("/big", str(off)))
        parts = body.split(b"\0")
        gen, chunk = parts[0], parts[1:]
        assert gen.isdigit()
        done = body.endswith(b"\0\0")
        items = [p.decode() for p in chunk if p]
        got += items
        off += sum(len(i) + 1 for i in items)
        if done:
            break
    assert got == names


def test_garbage_closes_only_that_client(xsd):
    good, bad = xsd.client(), xsd.client()
    good.write("/g", "kept")
    # a header claiming more than the protocol allows: that connection is closed
    bad.send_raw(HDR.pack(TYPES["WRITE"], 1, 0, 1 << 20))
    with pytest.raises((ConnectionError, OSError)):
        bad.recv_msg()
    assert good.read("/g") == b"kept"
    # malformed payloads get errors, the connection stays
    assert err(good.call, "WRITE", b"no-nul-here") == "EINVAL"
    assert err(good.call, "READ", b"") == "EINVAL"
    assert err(good.call, "TRANSACTION_END", b"X\0") == "ENOENT"
    assert err(good.call, "INTRODUCE", b"1\0") == "EINVAL"
    assert good.read("/g") == b"kept"


def test_random_messages(xsd):
    rnd = random.Random(1234)
    keeper = xsd.client()
    keeper.write("/keep", "yes")
    for i in range(200):
        c = Client(xsd.path)
        try:
            typ = rnd.randrange(0, 30)
            payload = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 64)))
            if rnd.random() < 0.5:
                payload = b"/fz/" + payload.replace(b"\0", b"") + b"\0" + payload
            c.send_raw(HDR.pack(typ, i, rnd.choice([0, 0, 1, 99]), len(payload)) + payload)
            c.recv_msg()
        except (ConnectionError, OSError):
            pass
        finally:
            c.close()
    assert keeper.read("/keep") == b"yes"
    assert xsd.proc.poll() is None
