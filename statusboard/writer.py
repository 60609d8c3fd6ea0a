"""When a running board writes its files: the state file when what it says changed (at most once a second),
and the kept observations now and then (at most once a minute, and only when there is something new: an SD
card is spared every write that says nothing new). The state file, on tmpfs, is also rewritten every 30 s,
so that `statusboard status` can tell a board that cannot write it."""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from statusboard import files
from statusboard.report import iso

KEEP_EVERY = 60.0     # seconds between writes of the kept observations
WRITE_EVERY = 1.0   # seconds between rewrites of the state file while results keep arriving
HEARTBEAT = 30.0      # seconds between rewrites when nothing changed (tmpfs: no card is worn)
STALE_AFTER = 3 * HEARTBEAT   # a state file not rewritten for this long is not being kept up to date


class StateWriter:
    """Decides when the state file and the kept observations are written, and writes them."""

    def __init__(self, disk: files.Files, clock: Callable[[], float] = time.time) -> None:
        self.files = disk
        self.clock = clock
        self._written_at = -WRITE_EVERY
        self._unwritten = False                  # a change the state file has not had yet
        self._written_from: Optional[Tuple[Any, ...]] = None
        self._attempted_at = time.monotonic()     # the last write of the state file tried
        self._last_doc: Optional[Dict[str, Any]] = None
        self._kept_at = time.monotonic()
        self._kept: Optional[Mapping[str, Any]] = None

    def write_kept(self, board: Any, latest: Mapping[str, Any], force: bool = False) -> None:
        """Write the kept observations if a minute has passed and they changed (or when forced)."""
        if not force and (time.monotonic() - self._kept_at < KEEP_EVERY or latest == self._kept):
            return
        self._kept_at = time.monotonic()
        self._kept = latest
        self.files.write_kept(board, latest)

    def write_state(self, source: Tuple[Any, ...], document: Callable[[], Dict[str, Any]],
                    force: bool = False) -> None:
        """Write the state file (made by `document`) unless `source`, what it is made of, is what was written
        last. Writes are spaced WRITE_EVERY apart, and the file is written again every HEARTBEAT even when
        nothing changed, so a reader can tell it is kept up to date."""
        now = time.monotonic()
        if self.files.state_path is None:
            return
        beat = self._last_doc is not None and now - self._attempted_at >= HEARTBEAT
        if not force and not beat and now - self._written_at < WRITE_EVERY:
            self._unwritten = True
            return
        self._written_at = now
        self._unwritten = False
        previous = self._last_doc
        fresh = force or source != self._written_from
        doc = document() if fresh or previous is None else previous
        if doc == previous and not force and not beat:
            self._written_from = source   # the same document, written already
            return
        self._attempted_at = now
        stamped = {**doc, "written_at": iso(self.clock()), "written_mono": round(now, 3)}
        if self.files.write(self.files.state_path, stamped):
            self._last_doc = doc
            self._written_from = source   # a failed write is tried again at the next turn

    def next_write(self) -> Optional[float]:
        """Seconds until a write of the state file is due: a spaced one waiting, or the heartbeat (None: none)."""
        now = time.monotonic()
        waits = []
        if self._unwritten:
            waits.append(WRITE_EVERY - (now - self._written_at))
        if self._last_doc is not None:
            waits.append(HEARTBEAT - (now - self._attempted_at))
        return max(0.0, min(waits)) if waits else None
