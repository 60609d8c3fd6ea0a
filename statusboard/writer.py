"""When a running board writes its files: the state file when what it says changed (at most once a second),
and the kept observations now and then (at most once a minute, and only when there is something new: an SD
card is spared every write that says nothing new)."""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from statusboard import statefile
from statusboard.report import iso

KEEP_EVERY = 60.0     # seconds between writes of the kept observations
PUBLISH_EVERY = 1.0   # seconds between rewrites of the state file while results keep arriving


class StateWriter:
    """Decides when the state file and the kept observations are written, and writes them."""

    def __init__(self, files: statefile.Files, clock: Callable[[], float] = time.time) -> None:
        self.files = files
        self.clock = clock
        self._published_at = -PUBLISH_EVERY
        self._unpublished = False                  # a change the state file has not had yet
        self._published_from: Optional[Tuple[Any, ...]] = None
        self._last_doc: Optional[Dict[str, Any]] = None
        self._kept_at = time.monotonic()
        self._kept: Optional[Mapping[str, Any]] = None

    def keep(self, board: Any, latest: Mapping[str, Any], force: bool = False) -> None:
        """Write the kept observations if a minute has passed and they changed (or when forced)."""
        if not force and (time.monotonic() - self._kept_at < KEEP_EVERY or latest == self._kept):
            return
        self._kept_at = time.monotonic()
        self._kept = latest
        self.files.keep(board, latest)

    def publish(self, source: Tuple[Any, ...], document: Callable[[], Dict[str, Any]],
                changed: Callable[[], None], force: bool = False) -> None:
        """Write the state file (made by `document`) unless `source`, what it is made of, is what was written
        last; `changed` is called when its content changed. Writes are spaced PUBLISH_EVERY apart."""
        now = time.monotonic()
        if self.files.state_path is None:
            return
        if not force and now - self._published_at < PUBLISH_EVERY:
            self._unpublished = True
            return
        self._published_at = now
        self._unpublished = False
        if not force and source == self._published_from:
            return   # the same source makes the same document, and it was written
        doc = document()
        if doc != self._last_doc or force:
            if self.files.write(self.files.state_path, {**doc, "written_at": iso(self.clock())}):
                self._last_doc = doc
                self._published_from = source   # a failed write is tried again at the next turn
            changed()
        else:
            self._published_from = source

    def next_write(self) -> Optional[float]:
        """Seconds until a spaced write of the state file is due (None: none is waiting)."""
        if not self._unpublished:
            return None
        return max(0.0, PUBLISH_EVERY - (time.monotonic() - self._published_at))
