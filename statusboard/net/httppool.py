"""How HTTP checks use their connections: a plain HTTP check opens a new one each time, as a new visitor does;
an HTTPS check asks on a TLS connection kept from the last check of that host and port, within limits that
keep the answer honest.

A kept connection is used when the server has kept it open (urllib3 sees one the server has closed, or that
has data waiting, as dropped, and opens another). That spares the TLS handshake, which is most of an HTTPS
check's cost; a plain connection costs so little to open that keeping it saves nothing (bench/httpcheck.py
measured it slower). What keeps it honest:
- a connection serves checks for at most REUSE_FOR seconds from when it was opened; then the check opens a new
  one, as a new visitor would (a full TLS handshake, the certificate verified again, the listener still
  accepting): a server that stops taking new connections is seen within REUSE_FOR;
- a kept connection the server has given up on just as it is used (its keep-alive timeout) is no verdict: the
  check asks again once, on a new connection, within the same deadline (`was_reused` tells the caller);
- a kept socket is put under the current check's Deadline when it is taken from its pool.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Any, Dict

from statusboard.net import deadline

REUSE_FOR = 300.0   # seconds a connection may serve checks after it was opened
_local = threading.local()
_classes: Dict[type, type] = {}
_lock = threading.Lock()


def was_reused() -> bool:
    """Whether the last connection this thread took from a pool had served a check before."""
    return bool(getattr(_local, "reused", False))


def kept(pool_class: type) -> type:
    """pool_class with the limits above; one subclass per class."""
    with _lock:
        made = _classes.get(pool_class)
        if made is None:
            made = _classes[pool_class] = type(f"Kept{pool_class.__name__}", (pool_class,),
                                               {"_get_conn": _get_conn, "_put_conn": _put_conn})
        return made


def _get_conn(self: Any, timeout: Any = None) -> Any:
    """urllib3's _get_conn, then: too old is closed (a new one is opened), kept is watched."""
    conn = super(type(self), self)._get_conn(timeout)
    now = time.monotonic()
    opened = getattr(conn, "statusboard_opened", None)
    if conn.sock is not None and (opened is None or now - opened > REUSE_FOR):
        conn.close()
    _local.reused = conn.sock is not None
    if conn.sock is None:
        conn.statusboard_opened = now   # it connects for this request
    else:
        watch = deadline.current()
        if watch is not None:
            watch.add(conn.sock)
    return conn


def _put_conn(self: Any, conn: Any) -> None:
    """Keep a TLS conn for the next check when there is room, else close it (without urllib3's warning)."""
    if conn is None:
        return
    pool = self.pool
    if pool is not None and self.scheme == "https" and getattr(conn, "sock", None) is not None:
        try:
            pool.put(conn, block=False)
            return
        except queue.Full:
            pass
    conn.close()
