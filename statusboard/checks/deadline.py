"""A hard deadline for one check's network conversation (HTTP, or EC2 through botocore).

requests' and botocore's own timeouts apply to each read, so a server that drips a byte a second never trips
them, and name resolution and each of a host's addresses get a timeout of their own. Here every connection
urllib3 makes in a thread that holds a Deadline is resolved and connected within it (checks/connect.py),
its socket is noted, and one reaper thread shuts those sockets when the deadline passes, which ends any read
in progress at once. Threads without a Deadline connect as urllib3 always does.
"""

from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time
from typing import Any, List, Optional, Sequence, Tuple

import requests
from requests.adapters import HTTPAdapter
from urllib3.util import connection as urllib3_connection

from statusboard.checks.connect import connect

try:   # urllib3 2
    from urllib3.util.timeout import _DEFAULT_TIMEOUT
except ImportError:  # pragma: no cover - urllib3 1.26
    _DEFAULT_TIMEOUT = socket._GLOBAL_DEFAULT_TIMEOUT  # type: ignore[attr-defined]

_local = threading.local()


_plain_create_connection = urllib3_connection.create_connection


def _create_connection(address: Tuple[str, int], timeout: Any = _DEFAULT_TIMEOUT,
                       source_address: Optional[Tuple[str, int]] = None,
                       socket_options: Optional[Sequence[Tuple[int, int, Any]]] = None) -> socket.socket:
    """urllib3's create_connection, within the thread's Deadline when it has one."""
    watch: Optional["Deadline"] = getattr(_local, "deadline", None)
    if watch is None:
        return _plain_create_connection(address, timeout, source_address, socket_options)
    if watch.expired or time.monotonic() >= watch.at:
        raise socket.timeout("the check's deadline has passed")
    seconds = timeout if isinstance(timeout, (int, float)) else None
    return connect(address, watch.at, seconds, source_address, socket_options or (), note=watch.add)


# urllib3's HTTPConnection looks this up at every connect; requests and botocore both come through it.
urllib3_connection.create_connection = _create_connection


def session(max_redirects: int = 10) -> requests.Session:
    """A requests session without retries (a check's deadline is its whole time) and one connection."""
    sess = requests.Session()
    sess.max_redirects = max_redirects
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=1, max_retries=0)
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


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
