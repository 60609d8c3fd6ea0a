"""urllib3's connections (the HTTP check's, and botocore's for EC2 and CloudWatch) made within the thread's
Deadline when it has one: resolved and connected by net/connect.py, and every socket watched, the TLS one
too (net/deadline.py watches a TLS socket from its handshake on)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any, Optional, Sequence, Tuple

from urllib3.util import connection as urllib3_connection

from statusboard.net import deadline
from statusboard.net.connect import connect

try:   # urllib3 2
    from urllib3.util.timeout import _DEFAULT_TIMEOUT
except ImportError:  # pragma: no cover - urllib3 1.26
    _DEFAULT_TIMEOUT = socket._GLOBAL_DEFAULT_TIMEOUT  # type: ignore[attr-defined]

_plain_create_connection = urllib3_connection.create_connection
_installed = False
_lock = threading.Lock()


def _create_connection(address: Tuple[str, int], timeout: Any = _DEFAULT_TIMEOUT,
                       source_address: Optional[Tuple[str, int]] = None,
                       socket_options: Optional[Sequence[Tuple[int, int, Any]]] = None) -> socket.socket:
    """urllib3's create_connection, within the thread's Deadline when it has one."""
    watch = deadline.current()
    if watch is None:
        return _plain_create_connection(address, timeout, source_address, socket_options)
    if watch.expired or time.monotonic() >= watch.at:
        raise socket.timeout("the check's deadline has passed")
    seconds = timeout if isinstance(timeout, (int, float)) else None
    return connect(address, watch.at, seconds, source_address, socket_options or (), note=watch.add)


def install() -> None:
    """Route urllib3's connections through the Deadline (once per process; urllib3 looks the function up at
    every connect), and watch TLS sockets from their handshake on."""
    global _installed
    with _lock:
        if not _installed:
            urllib3_connection.create_connection = _create_connection
            deadline.watch_tls()
            _installed = True


install()
