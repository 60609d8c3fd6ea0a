"""A display that keeps every frame in memory, for tests; never chosen silently."""

from __future__ import annotations

from typing import Any, List, Tuple

from statusboard.display.base import Frame, NoControls, blank
from statusboard.display.board import Driver


class FakeDisplay(NoControls):
    """Records every frame shown; close() records the all-off frame."""

    def __init__(self, settings: Any, **_: Any) -> None:
        self.shape: Tuple[int, int] = settings.shape
        self.frames: List[Frame] = []
        self.closed = False

    def show(self, frame: Frame) -> None:
        """Keep the frame."""
        self.frames.append(frame)

    def close(self) -> None:
        """Keep an all-off frame and mark the display closed."""
        if not self.closed:
            self.frames.append(blank(self.shape))
            self.closed = True


DISPLAY = Driver("fake", FakeDisplay)   # for tests, never chosen silently: it draws any board
