"""The board in a terminal: 24-bit colour cells redrawn in place, and a legend of the lit pixels."""

from __future__ import annotations

import logging
import shutil
import sys
import time
from collections import deque
from typing import Any, List, Optional, TextIO, Tuple

from statusboard.display import light
from statusboard.display.base import Frame, NoControls
from statusboard.vocabulary import RGB
from statusboard.text import printable, valid

EMPTY_CELL = (28, 28, 28)   # an unlit LED: darker than the dimmest lit one (light.screen of level 1 is ~40)


def cell_colour(rgb: RGB, brightness: float) -> RGB:
    """The colour of a pixel's cell: what the HAT shows at this brightness (night hours included)."""
    return light.seen(rgb, brightness)


def _bg(rgb: RGB) -> str:
    return f"\x1b[48;2;{rgb[0]};{rgb[1]};{rgb[2]}m"


class LogNotes(logging.Handler):
    """While the board is drawn in place on a terminal, log messages are shown under it (the last few, one line
    each) instead of written across it; the handlers that wrote to the terminal are put back at close."""

    KEEP = 3

    def __init__(self) -> None:
        super().__init__()
        self.recent: deque = deque(maxlen=self.KEEP)
        self._moved: List[logging.Handler] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the message's first line."""
        self.recent.append(printable(record.levelname + " " + record.name + ": " + record.getMessage(), 500))

    def lines(self, width: int) -> List[str]:
        """The kept messages, each cut to the terminal's width."""
        return [line if len(line) <= width else line[:width - 1] + "…" for line in self.recent]

    def attach(self) -> None:
        """Take the place of the root logger's handlers that write to a terminal."""
        root = logging.getLogger()
        for handler in list(root.handlers):
            stream = getattr(handler, "stream", None)
            if isinstance(handler, logging.StreamHandler) and getattr(stream, "isatty", lambda: False)():
                root.removeHandler(handler)
                self._moved.append(handler)
                self.setLevel(handler.level)
        if self._moved:
            root.addHandler(self)

    def detach(self) -> None:
        """Give the terminal back to the handlers that wrote to it (what was shown stays on screen)."""
        root = logging.getLogger()
        if self in root.handlers:
            root.removeHandler(self)
        for handler in self._moved:
            root.addHandler(handler)
        self._moved = []


class TerminalDisplay(NoControls):
    """Draws frames on a terminal in colour, or as plain text when the output is not a terminal."""

    def __init__(self, settings: Any, stream: Optional[TextIO] = None, title: str = "statusboard",
                 colour: Optional[bool] = None, **_: Any) -> None:
        self.shape: Tuple[int, int] = settings.shape
        self.stream = stream or sys.stdout
        self.title = title
        self.colour = self.stream.isatty() if colour is None else colour
        self._lines = 0
        self._last_plain = ""
        self.notes = LogNotes()
        if self.colour:
            self.notes.attach()

    def show(self, frame: Frame) -> None:
        """Draw the frame (in place on a terminal)."""
        if self.colour:
            self._show_colour(frame)
        else:
            self._show_plain(frame)

    def _show_colour(self, frame: Frame) -> None:
        size = shutil.get_terminal_size((120, 40))
        notes = self.notes.lines(size.columns - 1)
        lines = [f"\x1b[1m{self.title}\x1b[0m  {time.strftime('%H:%M:%S')}"]
        grid = []
        for row in frame.pixels:
            shown = [cell_colour(rgb, frame.brightness) for rgb in row]
            grid.append(" " + "".join(_bg(rgb if rgb != (0, 0, 0) else EMPTY_CELL) + "  " for rgb in shown) + "\x1b[0m")
        grid_width = 1 + 2 * len(frame.pixels[0]) if frame.pixels else 1
        # The frame fits the terminal, or its top would scroll away: the legend goes beside the grid when it
        # does not fit below it, and is cut (saying how much) when it fits neither way.
        height = max(4, size.lines - 1 - len(notes))
        beside = 1 + len(grid) + 1 + len(frame.legend) > height and size.columns - grid_width - 2 >= 40
        if beside:
            entries = self._legend(frame, size.columns - grid_width - 2, height - 1)
            for i in range(max(len(grid), len(entries))):
                left = grid[i] if i < len(grid) else " " * grid_width
                lines.append(f"{left}  {entries[i]}" if i < len(entries) else left)
        else:
            lines += grid + [""]
            lines += [" " + line for line in self._legend(frame, size.columns, height - len(lines))]
        lines += notes
        # Drawn from the top left of the screen each time, like top(1).
        start = "\x1b[H" if self._lines else "\x1b[2J\x1b[H"
        self.stream.write(valid(start + "".join(line + "\x1b[K\n" for line in lines) + "\x1b[J"))
        self.stream.flush()
        self._lines = len(lines)

    def _legend(self, frame: Frame, width: int, rows: int) -> List[str]:
        """The legend's lines in `width` columns (a line wider than the terminal would wrap and throw off the
        redraw in place) and at most `rows` of them."""
        entries = list(frame.legend)
        cut = len(entries) > rows
        if cut:
            entries = entries[:max(0, rows - 1)]
        room = max(20, width - 5)
        name_width = min(16, max((len(e.name) for e in entries), default=0))
        state_width = max((len(e.state) for e in entries), default=0)
        out = []
        for entry in entries:
            text = f"[{entry.x},{entry.y}] {entry.name:<{name_width}} {entry.state:<{state_width}} {entry.detail}"
            if len(text) > room:
                text = text[:room - 1] + "…"
            swatch = cell_colour(entry.colour, frame.brightness)
            out.append(f"{_bg(swatch if swatch != (0, 0, 0) else EMPTY_CELL)}  \x1b[0m {text}")
        if cut:
            out.append(f"   … and {len(frame.legend) - len(entries)} more (a taller terminal shows them)")
        return out

    def _show_plain(self, frame: Frame) -> None:
        letters = {(e.x, e.y): e.letter for e in frame.legend}
        rows = []
        for y, row in enumerate(frame.pixels):
            rows.append(" ".join(letters.get((x, y), ".") for x in range(len(row))))
        legend = [f"[{e.x},{e.y}] {e.name:<16} {e.state:<17} {e.detail}" for e in frame.legend]
        text = "\n".join(rows + legend)
        if text == self._last_plain:
            return
        self._last_plain = text
        self.stream.write(valid(f"--- {self.title} {time.strftime('%H:%M:%S')}\n{text}\n"))
        self.stream.flush()

    def close(self) -> None:
        """Leave the last drawing on screen and reset the terminal's colours."""
        if self.colour:
            self.stream.write("\x1b[0m")
            self.stream.flush()
            self.notes.detach()
