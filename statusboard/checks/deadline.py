"""A hard deadline for one HTTP exchange: at the deadline every socket it opened is shut down.

requests' own timeout applies to each read, so a server that drips a byte a second never trips it.
Here each socket urllib3 opens is noted for the thread that opened it, and a timer shuts them down
when the deadline passes, which ends any read in progress at once.
"""

from __future__ import annotations

import socket
import threading
from typing import List, Optional

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


class Deadline:
    """Context manager: sockets opened in this thread are shut down once `seconds` have passed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._lock = threading.Lock()
        self._sockets: List[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def add(self, sock: socket.socket) -> None:
        """Watch one more socket (shut at once if the deadline has already passed)."""
        with self._lock:
            self._sockets.append(sock)
            late = self.expired
        if late:
            _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def __enter__(self) -> "Deadline":
        _local.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _local.deadline = None


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
