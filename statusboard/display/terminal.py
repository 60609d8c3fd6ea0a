"""The board in a terminal: cells in 24-bit colour (or letters alone under NO_COLOR) redrawn in place, with a
legend and a key to the letters; where the output is not a terminal (a file, a pipe, the journal), the board
once and then each change of state as one line."""

from __future__ import annotations

import os
import shutil
import sys
import time
from typing import Any, Dict, List, Optional, TextIO, Tuple

from statusboard.display import legendtext, light
from statusboard.display.base import Frame, LegendEntry, NoControls
from statusboard.display.board import Driver
from statusboard.display.lognotes import LogNotes
from statusboard.vocabulary import RGB
from statusboard.text import valid

__all__ = ["TerminalDisplay", "LogNotes", "cell_colour", "key_of", "under_journal"]

EMPTY_CELL = (28, 28, 28)   # an unlit LED: darker than the dimmest lit one (light.screen of level 1 is ~40)
CELL = 3                    # columns per pixel: its letter in a 2-wide cell, and a gap to its neighbour


def cell_colour(rgb: RGB, brightness: float) -> RGB:
    """The colour of a pixel's cell: what the HAT shows at this brightness (night hours included)."""
    return light.seen(rgb, brightness)


def _bg(rgb: RGB) -> str:
    return f"\x1b[48;2;{rgb[0]};{rgb[1]};{rgb[2]}m"


def _ink(rgb: RGB) -> str:
    """Black or white letters, whichever stands out more on this cell."""
    lum = sum(w * ((c / 255) ** 2.2) for w, c in zip((0.2126, 0.7152, 0.0722), rgb))
    return "\x1b[38;2;0;0;0m" if (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) else "\x1b[38;2;255;255;255m"


def key_of(legend: Tuple[LegendEntry, ...]) -> List[str]:
    """'U up', one for each state on the board now, in the order the legend first shows them."""
    return [f"{letter} {state}" for letter, state in legendtext.key_of(legend)]


def under_journal(stream: TextIO) -> bool:
    """Whether the stream is systemd's journal (JOURNAL_STREAM names its device and inode)."""
    named = os.environ.get("JOURNAL_STREAM", "")
    try:
        st = os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return False
    return named == f"{st.st_dev}:{st.st_ino}"


class TerminalDisplay(NoControls):
    """Draws frames in place on a terminal, or writes the board once and then its changes where the output is
    not a terminal."""

    def __init__(self, settings: Any, stream: Optional[TextIO] = None, title: str = "statusboard",
                 colour: Optional[bool] = None, **_: Any) -> None:
        self.shape: Tuple[int, int] = settings.shape
        self.stream = stream or sys.stdout
        self.title = title
        if colour is None:   # drawn in place on a terminal that can move its cursor (a dumb one cannot)
            colour = self.stream.isatty() and os.environ.get("TERM") != "dumb"
        self.live = colour
        self.colour = self.live and not os.environ.get("NO_COLOR")       # https://no-color.org
        self.journal = not self.live and under_journal(self.stream)
        self._lines = 0
        self._widths = (0, 0)          # the legend's name and state columns: they only ever grow
        self._states: Optional[Dict[Tuple[int, int], LegendEntry]] = None
        self._last: Optional[Frame] = None
        self._changed = False
        self.notes = LogNotes()
        if self.live:
            self.notes.attach()

    def show(self, frame: Frame) -> None:
        """Draw the frame (in place on a terminal), or write what changed."""
        if self.live:
            self._show_live(frame)
        else:
            self._show_changes(frame)

    # --- on a terminal ---------------------------------------------------------------------------------
    def _cell(self, rgb: RGB, entry: Optional[LegendEntry], brightness: float) -> str:
        letter = entry.letter if entry else ("·" if not self.colour else " ")
        if not self.colour:
            return f"{letter}  "
        shown = cell_colour(rgb, brightness)
        shown = shown if shown != (0, 0, 0) else EMPTY_CELL
        return f"{_bg(shown)}{_ink(shown)}{letter} \x1b[0m "

    def _show_live(self, frame: Frame) -> None:
        size = shutil.get_terminal_size((120, 40))
        notes = self.notes.lines(size.columns - 1)
        bold, plain = ("\x1b[1m", "\x1b[0m") if self.colour else ("", "")
        room = max(size.columns - 11, 2)   # the time of day beside it; a line that wraps would scroll the top
        title = self.title if len(self.title) <= room else self.title[:room - 1] + "…"
        lines = [f"{bold}{title}{plain}  {time.strftime('%H:%M:%S')}"]
        at = {(e.x, e.y): e for e in frame.legend}
        grid = [" " + "".join(self._cell(rgb, at.get((x, y)), frame.brightness) for x, rgb in enumerate(row))
                for y, row in enumerate(frame.pixels)]
        grid_width = 1 + CELL * len(frame.pixels[0]) if frame.pixels else 1
        key = self._key(frame, size.columns - 1)
        # The frame fits the terminal, or its top would scroll away: the legend goes beside the grid when it
        # does not fit below it, and is cut (saying how much) when it fits neither way.
        height = max(4, size.lines - 1 - len(notes) - len(key))
        beside = 1 + len(grid) + 1 + len(frame.legend) > height and size.columns - grid_width - 2 >= 40
        if beside:
            entries = self._legend(frame, size.columns - grid_width - 2, height - 1)
            for i in range(max(len(grid), len(entries))):
                left = grid[i] if i < len(grid) else " " * grid_width
                lines.append(f"{left}  {entries[i]}" if i < len(entries) else left)
        else:
            lines += grid + ([""] if height - len(lines) - len(grid) > 1 else [])
            lines += [" " + line for line in self._legend(frame, size.columns, height - len(lines))]
        lines += key + notes
        # Drawn from the top left of the screen each time, like top(1).
        start = "\x1b[H" if self._lines else "\x1b[2J\x1b[H"
        self.stream.write(valid(start + "".join(line + "\x1b[K\n" for line in lines) + "\x1b[J"))
        self.stream.flush()
        self._lines = len(lines)

    def _key(self, frame: Frame, width: int) -> List[str]:
        """The key to the letters on the board now, in one or two lines of the terminal's width."""
        words, lines, line = key_of(frame.legend), [], "key:"
        for word in words:
            if len(line) + 3 + len(word) > width and line != "key:":
                lines.append(line)
                line = "    "
            line += ("  " if line not in ("key:", "    ") else " ") + word
        lines.append(line)
        if len(lines) > 2:
            lines = [lines[0], lines[1][:max(width - 1, 0)] + "…"]
        return [ln if len(ln) <= width else ln[:width - 1] + "…" for ln in lines] if words else []

    def _legend(self, frame: Frame, width: int, rows: int) -> List[str]:
        """The legend's lines in `width` columns (a line wider than the terminal would wrap and throw off the
        redraw in place) and at most `rows` of them."""
        entries = list(frame.legend)
        if rows < 1:
            return []
        cut = len(entries) > rows
        if cut:
            entries = entries[:max(0, rows - 1)]
        room = max(20, width - 5)
        self._widths = legendtext.columns(frame.legend, self._widths)   # never narrower: the columns stay put
        name_width, state_width = self._widths
        out = []
        for entry in entries:
            name = entry.name if len(entry.name) <= name_width else entry.name[:name_width - 1] + "…"
            text = f"[{entry.x},{entry.y}] {name:<{name_width}} {entry.state:<{state_width}} {entry.detail}"
            if len(text) > room:
                text = text[:room - 1] + "…"
            if self.colour:
                swatch = cell_colour(entry.colour, frame.brightness)
                swatch = swatch if swatch != (0, 0, 0) else EMPTY_CELL
                out.append(f"{_bg(swatch)}{_ink(swatch)}{entry.letter} \x1b[0m {text}")
            else:
                out.append(f"{entry.letter}  {text}")
        if cut:
            out.append(f"   … and {len(frame.legend) - len(entries)} more (a taller terminal shows them)")
        return out

    # --- to a file, a pipe or the journal -------------------------------------------------------------
    def _board(self, frame: Frame) -> List[str]:
        """The whole board in text: a letter a pixel (not under the journal), the legend and the key."""
        at = {(e.x, e.y): e for e in frame.legend}
        out = [] if self.journal else [f"--- {self.title} {time.strftime('%H:%M:%S')}"] + [
            " ".join(at[(x, y)].letter if (x, y) in at else "." for x in range(len(row)))
            for y, row in enumerate(frame.pixels)]
        out += [f"[{e.x},{e.y}] {e.name:<16} {e.state:<17} {e.detail}" for e in frame.legend]
        return out + (["key: " + ", ".join(key_of(frame.legend))] if frame.legend else [])

    def _show_changes(self, frame: Frame) -> None:
        """The whole board the first time (under the journal its targets alone), then one line per target
        whose state changed: a service's journal gets a line a change, not a board a change."""
        now = {(e.x, e.y): e for e in frame.legend}
        if self._states is None:
            out = self._board(frame)
        else:
            out = []
            stamp = "" if self.journal else time.strftime("%H:%M:%S ")
            for place, e in now.items():
                before = self._states.get(place)
                if before is None or before.state != e.state or before.name != e.name:
                    was = f"{before.state} -> " if before is not None and before.name == e.name else ""
                    out.append(f"{stamp}[{e.x},{e.y}] {e.name}: {was}{e.state} ({e.letter}): {e.detail}")
            self._changed = self._changed or bool(out)
        self._states, self._last = now, frame
        self._write(out)

    def _write(self, lines: List[str]) -> None:
        if lines:
            self.stream.write(valid("\n".join(lines) + "\n"))
            self.stream.flush()

    def close(self) -> None:
        """Leave the last drawing on screen and reset the terminal's colours; to a file or a pipe, write the
        board as it ended (when anything changed since it was written whole)."""
        if not self.live and not self.journal and self._changed and self._last is not None:
            self._write(self._board(self._last))
        if self.live:
            self.stream.write("\x1b[0m")
            self.stream.flush()
            self.notes.detach()


DISPLAY = Driver("terminal", TerminalDisplay)   # a preview: it draws any board
