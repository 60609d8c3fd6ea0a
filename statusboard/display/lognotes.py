"""Log messages shown under a board drawn in place on a terminal: the last few, each said once."""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import List

from statusboard.text import printable


class LogNotes(logging.Handler):
    """While the board is drawn in place on a terminal, log messages are shown under it (the last few, one line
    each, a repeated one once with its count) instead of written across it; the handlers that wrote to the
    terminal are put back at close."""

    KEEP = 3

    def __init__(self) -> None:
        super().__init__()
        self.recent: "OrderedDict[str, int]" = OrderedDict()
        self._moved: List[logging.Handler] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the message's first line (a message said again moves to the end with its count)."""
        text = printable(record.levelname + " " + record.name + ": " + record.getMessage(), 500)
        self.recent[text] = self.recent.pop(text, 0) + 1
        while len(self.recent) > self.KEEP:
            self.recent.popitem(last=False)

    def lines(self, width: int) -> List[str]:
        """The kept messages, each cut to the terminal's width."""
        out = []
        for text, count in self.recent.items():
            line = text if count == 1 else f"{text} ({count} times)"
            out.append(line if len(line) <= width else line[:width - 1] + "…")
        return out

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
