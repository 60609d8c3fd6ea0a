"""Wraps any display and appends every frame it shows to a JSON-lines file (or a FIFO a program reads)."""

from __future__ import annotations

import errno
import json
import logging
import os
import time
from typing import Callable, Optional

from statusboard.display.base import Display, Frame, blank
from statusboard.errors import DisplayError

log = logging.getLogger(__name__)


class Recorder:
    """Appends `{"t": ..., "pixels": [[[r, g, b], ...], ...]}` per LED change; close() appends the all-off frame."""

    def __init__(self, inner: Display, path: str, clock: Callable[[], float] = time.time) -> None:
        self.inner = inner
        self.shape = inner.shape
        self.clock = clock
        self.path = path
        self.closed = False
        self.last: Optional[Frame] = None
        try:
            # Never waits: a FIFO that no program reads is refused at once (ENXIO), and one whose reader stalls
            # refuses a frame (EAGAIN) instead of holding the board.
            self.fd: Optional[int] = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK
                                             | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError as exc:
            inner.close()
            why = "it is a FIFO that no program is reading" if exc.errno == errno.ENXIO else exc.strerror
            raise DisplayError(f"cannot write the record file {path}: {why}") from None

    def _write(self, frame: Frame) -> None:
        if self.fd is None:
            return
        line = {"t": round(self.clock(), 3), "brightness": frame.brightness,
                "pixels": [[list(rgb) for rgb in row] for row in frame.pixels]}
        data = (json.dumps(line, separators=(",", ":")) + "\n").encode()
        try:
            while data:
                data = data[os.write(self.fd, data):]
        except OSError as exc:   # /dev/full, a full disk, a FIFO whose reader left or stalls: the board goes on
            why = {errno.EAGAIN: "its reader is not keeping up", errno.EPIPE: "its reader has gone"}.get(
                exc.errno, exc.strerror)
            log.error("stopped recording frames: cannot write the record file %s: %s", self.path, why)
            self._close_file()

    def _close_file(self) -> None:
        if self.fd is not None:
            fd, self.fd = self.fd, None
            try:
                os.close(fd)
            except OSError:
                pass

    def show(self, frame: Frame) -> None:
        """Show on the inner display, and record the frame when its LEDs differ from the last one."""
        self.inner.show(frame)
        if not frame.same_leds(self.last):
            self._write(frame)
            self.last = frame

    def listen(self, on_close: Callable[[], None], on_button: Callable[[str], None]) -> None:
        """What the recorded display tells, it tells the board."""
        self.inner.listen(on_close, on_button)

    def close(self) -> None:
        """Close the inner display and record the all-off frame as the last line."""
        if self.closed:
            return
        self.closed = True
        try:
            self.inner.close()
        finally:
            self._write(blank(self.shape))
            self._close_file()
