"""A hard deadline for one check's network conversation (HTTP, or EC2 and CloudWatch through botocore).

Per-read timeouts never end a conversation with a server that drips a byte a second, and name resolution and
each of a host's addresses get a timeout of their own. Here every connection a check makes while it holds a
Deadline is resolved and connected within it (net/connect.py, through which net/urllib3_deadline.py
routes urllib3, the HTTP check's and botocore's), its socket is noted, and one reaper thread shuts those
sockets when the deadline passes, which ends any read in progress at once. Wrapping a socket in TLS moves its
descriptor to a new socket object: `watch_tls` makes every TLS socket note itself before its handshake, so
a server that drips its handshake or its answer is cut as well.
"""

from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time
from typing import Any, List, Optional, Tuple

_local = threading.local()


def current() -> Optional["Deadline"]:
    """The Deadline this thread holds, if any."""
    return getattr(_local, "deadline", None)


class _Reaper:
    """One thread for all deadlines: it expires each Deadline whose time has come (no thread per check)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: List[Tuple[float, int, "Deadline"]] = []
        self._count = itertools.count()
        self._thread: Optional[threading.Thread] = None

    def add(self, deadline: "Deadline") -> None:
        with self._cond:
            earliest = not self._heap or deadline.at < self._heap[0][0]
            heapq.heappush(self._heap, (deadline.at, next(self._count), deadline))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="check-deadlines", daemon=True)
                self._thread.start()
            if earliest:   # only a new earliest deadline changes how long the reaper sleeps
                self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                due = heapq.heappop(self._heap)[2]
            due.expire()


_reaper = _Reaper()


class Deadline:
    """Context manager: connections made in this thread finish connecting by `at` (a time.monotonic() value),
    and their sockets are shut down then."""

    def __init__(self, at: float) -> None:
        self.at = at
        self.expired = False
        self.done = False
        self._lock = threading.Lock()
        self._sockets: List[socket.socket] = []

    def add(self, sock: socket.socket) -> None:
        """Watch one more socket (shut at once if the deadline has already passed)."""
        with self._lock:
            self._sockets.append(sock)
            late = self.expired
        if late:
            _shut(sock)

    def expire(self) -> None:
        """Mark the deadline passed and shut every socket it watches."""
        with self._lock:
            if self.done:
                return
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def __enter__(self) -> "Deadline":
        _local.deadline = self
        _reaper.add(self)
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self.done = True
            self._sockets.clear()
        _local.deadline = None


_tls_lock = threading.Lock()


def watch_tls() -> None:
    """From now on, a TLS socket made in a thread that holds a Deadline is watched by it from its handshake on
    (whoever wraps it: urllib3, botocore, ssl itself). Other threads' TLS sockets are left as they are."""
    import ssl

    class WatchedSSLSocket(ssl.SSLSocket):
        """An SSLSocket that puts itself under its thread's Deadline before it shakes hands."""

        def do_handshake(self, *args: Any, **kwargs: Any) -> None:
            """Note this socket with the thread's Deadline (if any), then shake hands."""
            watch = current()
            if watch is not None:
                watch.add(self)
            super().do_handshake(*args, **kwargs)

    with _tls_lock:
        if not getattr(ssl.SSLContext.sslsocket_class, "_statusboard", False):
            WatchedSSLSocket._statusboard = True  # type: ignore[attr-defined]
            ssl.SSLContext.sslsocket_class = WatchedSSLSocket


def _shut(sock: socket.socket) -> None:
    """Shut the descriptor itself (for a TLS socket too, whose state belongs to the thread reading it)."""
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass
