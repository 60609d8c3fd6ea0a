"""A hard deadline for one HTTP exchange: at the deadline every socket it opened is shut down.

requests' own timeout applies to each read, so a server that drips a byte a second never trips it.
Here each socket urllib3 opens is noted for the thread that opened it, and a timer shuts them down
when the deadline passes, which ends any read in progress at once.
"""

from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time
from typing import List, Optional, Tuple

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_local = threading.local()


def _note(sock: socket.socket) -> socket.socket:
    watch: Optional["Deadline"] = getattr(_local, "deadline", None)
    if watch is not None:
        watch.add(sock)
    return sock


class _HTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _note(super()._new_conn())


class _HTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _note(super()._new_conn())


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _Adapter(HTTPAdapter):
    """An adapter whose connections report their sockets to the running Deadline."""

    def init_poolmanager(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


def session(max_redirects: int = 10) -> requests.Session:
    """A requests session whose sockets obey the Deadline of the thread using it."""
    sess = requests.Session()
    sess.max_redirects = max_redirects
    adapter = _Adapter(pool_connections=1, pool_maxsize=1, max_retries=0)
    sess.mount("http://", adapter)
    sess.mount("https://", adapter)
    return sess


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
                self._thread = threading.Thread(target=self._run, name="http-deadlines", daemon=True)
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
    """Context manager: sockets opened in this thread are shut down at `at` (a time.monotonic() value)."""

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


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
