"""The board in a terminal: 24-bit colour cells redrawn in place, and a legend of the lit pixels."""

from __future__ import annotations

import shutil
import sys
import time
from typing import Any, Optional, TextIO, Tuple

from statusboard.display import light
from statusboard.display.base import Frame
from statusboard.states import RGB

EMPTY_CELL = (28, 28, 28)   # an unlit LED: darker than the dimmest lit one (light.screen of level 1 is ~40)
# One letter per state for plain-text output (no colours), so a log or a pipe can still be read.
LETTERS = {"up": "U", "slow": "S", "down": "D", "unknown": "?", "stale": "~", "running": "R",
           "pending": "P", "stopping": "s", "stopped": "X", "shutting-down": "x", "terminated": "T",
           "absent": "A", "impaired": "I", "initializing": "i", "ok": "O", "alarm": "!", "insufficient-data": "n"}


def cell_colour(rgb: RGB, brightness: float) -> RGB:
    """The colour of a pixel's cell: what the HAT shows at this brightness (night hours included)."""
    return light.seen(rgb, brightness)


def _bg(rgb: RGB) -> str:
    return f"\x1b[48;2;{rgb[0]};{rgb[1]};{rgb[2]}m"


class TerminalDisplay:
    """Draws frames on a terminal in colour, or as plain text when the output is not a terminal."""

    def __init__(self, settings: Any, stream: Optional[TextIO] = None, title: str = "statusboard",
                 colour: Optional[bool] = None, **_: Any) -> None:
        self.shape: Tuple[int, int] = settings.shape
        self.stream = stream or sys.stdout
        self.title = title
        self.colour = self.stream.isatty() if colour is None else colour
        self._lines = 0
        self._last_plain = ""

    def show(self, frame: Frame) -> None:
        """Draw the frame (in place on a terminal)."""
        if self.colour:
            self._show_colour(frame)
        else:
            self._show_plain(frame)

    def _show_colour(self, frame: Frame) -> None:
        lines = [f"\x1b[1m{self.title}\x1b[0m  {time.strftime('%H:%M:%S')}"]
        for row in frame.pixels:
            shown = [cell_colour(rgb, frame.brightness) for rgb in row]
            cells = "".join(_bg(rgb if rgb != (0, 0, 0) else EMPTY_CELL) + "  " for rgb in shown)
            lines.append(" " + cells + "\x1b[0m")
        lines.append("")
        # A line wider than the terminal would wrap and throw off the redraw in place: cut it to fit.
        room = max(20, shutil.get_terminal_size((120, 40)).columns - 5)
        for entry in frame.legend:
            text = f"[{entry.x},{entry.y}] {entry.name:<16} {entry.state:<17} {entry.detail}"
            if len(text) > room:
                text = text[:room - 1] + "…"
            swatch = cell_colour(entry.colour, frame.brightness)
            lines.append(f" {_bg(swatch if swatch != (0, 0, 0) else EMPTY_CELL)}  \x1b[0m {text}")
        # Drawn from the top left of the screen each time, like top(1): a log line in between is painted over.
        start = "\x1b[H" if self._lines else "\x1b[2J\x1b[H"
        self.stream.write(start + "".join(line + "\x1b[K\n" for line in lines) + "\x1b[J")
        self.stream.flush()
        self._lines = len(lines)

    def _show_plain(self, frame: Frame) -> None:
        states = {(e.x, e.y): e.state for e in frame.legend}
        rows = []
        for y, row in enumerate(frame.pixels):
            rows.append(" ".join(LETTERS.get(states[(x, y)], "#") if (x, y) in states else "."
                                 for x in range(len(row))))
        legend = [f"[{e.x},{e.y}] {e.name:<16} {e.state:<17} {e.detail}" for e in frame.legend]
        text = "\n".join(rows + legend)
        if text == self._last_plain:
            return
        self._last_plain = text
        self.stream.write(f"--- {self.title} {time.strftime('%H:%M:%S')}\n{text}\n")
        self.stream.flush()

    def close(self) -> None:
        """Leave the last drawing on screen and reset the terminal's colours."""
        if self.colour:
            self.stream.write("\x1b[0m")
            self.stream.flush()
