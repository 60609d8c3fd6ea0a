"""Wraps any display and appends every frame it shows to a JSON-lines file."""

from __future__ import annotations

import json
import time
from typing import Callable, Optional

from statusboard.display.base import Display, Frame, blank
from statusboard.errors import DisplayError


class Recorder:
    """Appends `{"t": ..., "pixels": [[[r, g, b], ...], ...]}` per LED change; close() appends the all-off frame."""

    def __init__(self, inner: Display, path: str, clock: Callable[[], float] = time.time) -> None:
        self.inner = inner
        self.shape = inner.shape
        self.clock = clock
        self.last: Optional[Frame] = None
        try:
            self.file = open(path, "a", encoding="utf-8")
        except OSError as exc:
            inner.close()
            raise DisplayError(f"cannot write the record file {path}: {exc.strerror}") from None

    def _write(self, frame: Frame) -> None:
        line = {"t": round(self.clock(), 3), "brightness": frame.brightness,
                "pixels": [[list(rgb) for rgb in row] for row in frame.pixels]}
        self.file.write(json.dumps(line, separators=(",", ":")) + "\n")
        self.file.flush()

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
        if self.file.closed:
            return
        try:
            self.inner.close()
        finally:
            self._write(blank(self.shape))
            self.file.close()
