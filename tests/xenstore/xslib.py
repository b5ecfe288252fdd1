"""A xenstore wire-protocol client for tests, independent of our C client library."""
import select
import socket
import struct

TYPES = dict(CONTROL=0, DIRECTORY=1, READ=2, GET_PERMS=3, WATCH=4, UNWATCH=5, TRANSACTION_START=6,
             TRANSACTION_END=7, INTRODUCE=8, RELEASE=9, GET_DOMAIN_PATH=10, WRITE=11, MKDIR=12, RM=13,
             SET_PERMS=14, WATCH_EVENT=15, ERROR=16, IS_DOMAIN_INTRODUCED=17, RESUME=18, SET_TARGET=19,
             RESET_WATCHES=21, DIRECTORY_PART=22)
HDR = struct.Struct("<IIII")


class XsError(Exception):
    def __init__(self, name):
        super().__init__(name)
        self.name = name


class Client:
    def __init__(self, path, timeout=10):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.req = 0
        self.events = []

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def _recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("xenstored closed the connection")
            buf += chunk
        return buf

    def recv_msg(self):
        typ, req, tx, n = HDR.unpack(self._recv_exact(HDR.size))
        return typ, req, tx, self._recv_exact(n)

    def call(self, typ, payload=b"", tx=0):
        self.req += 1
        self.send_raw(HDR.pack(TYPES[typ], self.req, tx, len(payload)) + payload)
        while True:
            t, req, _, body = self.recv_msg()
            if t == TYPES["WATCH_EVENT"]:
                self.events.append(tuple(x.decode() for x in body.split(b"\0")[:2]))
                continue
            assert req == self.req, (req, self.req)
            if t == TYPES["ERROR"]:
                raise XsError(body.rstrip(b"\0").decode())
            assert t == TYPES[typ], (t, typ)
            return body

    @staticmethod
    def strs(*s):
        return b"".join(x.encode() + b"\0" for x in s)

    def read(self, path, tx=0):
        return self.call("READ", self.strs(path), tx)

    def write(self, path, value, tx=0):
        value = value.encode() if isinstance(value, str) else value
        return self.call("WRITE", path.encode() + b"\0" + value, tx)

    def mkdir(self, path, tx=0):
        return self.call("MKDIR", self.strs(path), tx)

    def rm(self, path, tx=0):
        return self.call("RM", self.strs(path), tx)

    def ls(self, path, tx=0):
        body = self.call("DIRECTORY", self.strs(path), tx)
        return [s.decode() for s in body.split(b"\0")[:-1]]

    def get_perms(self, path):
        return [s.decode() for s in self.call("GET_PERMS", self.strs(path)).split(b"\0")[:-1]]

    def set_perms(self, path, *perms):
        return self.call("SET_PERMS", self.strs(path, *perms))

    def watch(self, path, token):
        return self.call("WATCH", self.strs(path, token))

    def unwatch(self, path, token):
        return self.call("UNWATCH", self.strs(path, token))

    def start(self):
        return int(self.call("TRANSACTION_START", b"\0").rstrip(b"\0"))

    def end(self, tx, commit=True):
        return self.call("TRANSACTION_END", b"T\0" if commit else b"F\0", tx)

    def event(self, timeout=5):
        """The next watch event (path, token) or None when none comes in time."""
        if self.events:
            return self.events.pop(0)
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            return None
        t, _, _, body = self.recv_msg()
        assert t == TYPES["WATCH_EVENT"], t
        p, tok = body.split(b"\0")[:2]
        return p.decode(), tok.decode()

    def drain_events(self, timeout=0.3):
        got = []
        while (e := self.event(timeout)) is not None:
            got.append(e)
        return got
