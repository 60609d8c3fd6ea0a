"""How the main loop is woken: from a check's thread, a button's, or a signal handler.

A signal handler runs in the main thread between two bytecodes, possibly while that thread holds the lock of
the very Event it waits on; an Event.set() there waits for that lock for ever (a board that hangs at SIGTERM,
its LEDs left on). So no lock is taken here: flags are set by plain assignment, and one byte on a socket pair
wakes the loop, which sleeps in select() on the other end.
"""

from __future__ import annotations

import select
import socket
import time
from typing import Callable, Optional


class Waker:
    """Flags the main loop reads (`changed`: a result came; `visible`: one changes a pixel; `hurry`: a stop,
    a reload or a button, drawn at once) and the socket it sleeps on."""

    def __init__(self) -> None:
        self._read, self._write = socket.socketpair()
        self._read.setblocking(False)
        self._write.setblocking(False)
        self.changed = False
        self.visible = False
        self.hurry = False

    def wake(self, visible: bool = False, hurry: bool = False) -> None:
        """Wake the loop (safe from any thread and from a signal handler). A byte is sent only when a flag
        turns on: the results of a round after the first wake nothing (the loop gathers them anyway)."""
        news = not self.changed or (visible and not self.visible) or (hurry and not self.hurry)
        if visible:
            self.visible = True
        if hurry:
            self.hurry = True
        self.changed = True
        if not news:
            return
        try:
            self._write.send(b"\0")
        except OSError:   # full (the loop is far behind, and awake) or closed (the board is stopping)
            pass

    def clear(self) -> None:
        """Forget what woke the loop (at the top of a turn: what comes after wakes the next wait at once)."""
        self.changed = self.visible = self.hurry = False

    def wait(self, timeout: float, until: Optional[Callable[[], bool]] = None) -> bool:
        """Sleep until `until()` holds (by default: a result came) or `timeout` seconds passed; whether it holds."""
        done = until or (lambda: self.changed)
        end = time.monotonic() + timeout
        while not done():
            left = end - time.monotonic()
            if left <= 0:
                return False
            select.select([self._read], [], [], left)
            try:
                while self._read.recv(4096):
                    pass
            except OSError:   # nothing more to read
                pass
        return True

    def close(self) -> None:
        """Close the socket pair."""
        self._read.close()
        self._write.close()
