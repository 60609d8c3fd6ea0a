"""The board's history: every change of a target's state (not every check) in SQLite, beside the kept
observations, written by a thread of its own at most once a second, pruned on its own.

A database that is corrupt, locked or on a full disk never stops the board: it says so in one line and goes on
without history.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Set, Tuple

from statusboard.table import Status
from statusboard.text import valid
from statusboard.vocabulary import STALE

log = logging.getLogger(__name__)

NAME = "history.sqlite3"
SPACING = 1.0        # seconds between two writes, however many changes come
PRUNE_EVERY = 3600.0
# Keyed by the time of the change in microseconds: each write appends to the end of one B-tree (a page or two
# a write, however large the history grows), and a span of time is a range of keys. Two changes in the same
# microsecond get keys one apart. Times follow the corrected wall clock: a change's time is its monotonic time
# plus the wall clock's offset when it is written, and when the wall clock steps (a Pi without a real-time
# clock setting its time), the changes this run wrote before the step move with it, so no two times in the
# history are on different clocks.
# How far the wall clock may move against the monotonic clock between two writes (at least one an hour) before
# it counts as a step: NTP's slewing (at most 0.5 ms a second, 1.8 s an hour) never moves the kept rows.
STEP = 10.0
SCHEMA = """
CREATE TABLE IF NOT EXISTS changes (
    at_us INTEGER PRIMARY KEY, target TEXT NOT NULL, kind TEXT NOT NULL, state TEXT NOT NULL,
    detail TEXT NOT NULL, took REAL
);
"""


class Change(NamedTuple):
    """One change of one target's state: when (wall clock, for people), to what, why, and how long the check
    that saw it took."""

    target: str
    kind: str
    at: float
    state: str
    detail: str
    took: Optional[float]


def connect(path: Path, read_only: bool = False) -> sqlite3.Connection:
    """A connection to the history database (read-only: never creates or changes it)."""
    if read_only:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2.0)
        if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'changes'").fetchone() is None:
            # A history the board is making this moment (its file is there, its table not yet) reads as empty.
            db.executescript(SCHEMA.replace("CREATE TABLE", "CREATE TEMP TABLE"))
    else:
        db = sqlite3.connect(str(path), timeout=2.0)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")   # WAL: a power cut may lose the last second, never the file
        db.executescript(SCHEMA)
    return db


def query(path: Path, target: Optional[str] = None, since: Optional[float] = None,
          limit: int = 10000) -> List[Change]:
    """Changes, oldest first: of one target or all, since a wall-clock time (at most `limit`, the newest)."""
    db = connect(path, read_only=True)
    try:
        where, args = [], []   # type: List[str], List[Any]
        if target is not None:
            where.append("target = ?")
            args.append(target)
        if since is not None:
            where.append("at_us >= ?")
            args.append(int(since * 1e6))
        sql = ("SELECT target, kind, at_us / 1e6, state, detail, took FROM changes"
               + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY at_us DESC LIMIT ?")
        rows = db.execute(sql, (*args, limit)).fetchall()
    finally:
        db.close()
    return [Change(*row) for row in reversed(rows)]


def changes_after(path: Path, key: int, limit: int = 100000, until: Optional[int] = None) -> List[tuple]:
    """(key, target, state) of the changes after a key (the change's time in microseconds) and up to `until`,
    oldest first, at most `limit`: what a reader that keeps its own summary has not seen yet (a range of the
    primary key: cheap)."""
    db = connect(path, read_only=True)
    try:
        return db.execute("SELECT at_us, target, state FROM changes WHERE at_us > ? AND at_us <= ? ORDER BY at_us "
                          "LIMIT ?", (key, until if until is not None else 2 ** 62, limit)).fetchall()
    finally:
        db.close()


def last_key(path: Path) -> int:
    """The key of the newest change (0 for none)."""
    db = connect(path, read_only=True)
    try:
        return db.execute("SELECT coalesce(max(at_us), 0) FROM changes").fetchone()[0]
    finally:
        db.close()


def durations(path: Path, target: str, since: float, limit: int = 2000) -> List[tuple]:
    """(wall time, took in seconds) of one target's checks that changed its state since a time, oldest first
    (the newest `limit`): the check durations the history keeps."""
    db = connect(path, read_only=True)
    try:
        rows = db.execute("SELECT at_us / 1e6, took FROM changes WHERE at_us >= ? AND target = ? AND took IS NOT "
                          "NULL ORDER BY at_us DESC LIMIT ?", (int(since * 1e6), target, limit)).fetchall()
    finally:
        db.close()
    return rows[::-1]


class History:
    """Keeps each change of a target's state; an output of the main loop (update) with a writer thread."""

    def __init__(self, path: Path, retention: float, clock: Callable[[], float] = time.time,
                 mono: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self.retention = retention   # seconds a change is kept
        self.clock = clock
        self.mono = mono
        self.broken: Optional[str] = None   # why history is off, once it is
        self._last: Dict[str, str] = {}
        self._pending: List[Tuple[Change, float]] = []   # each change with its monotonic time
        self._lock = threading.Lock()
        self._due = threading.Event()
        self._stop = threading.Event()
        self._db: Optional[sqlite3.Connection] = None
        self._pruned = -PRUNE_EVERY
        self.writes = 0   # writes done (each one transaction)
        self._offset: Optional[float] = None   # wall clock minus monotonic clock at the last write
        self._run: Optional[Tuple[int, int]] = None   # the first and last key this run wrote
        self._thread = threading.Thread(target=self._write_loop, name="history", daemon=True)
        self._opened = threading.Event()
        self._thread.start()
        self._opened.wait(5.0)

    def _open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = connect(self.path)
            rows = self._db.execute("SELECT target, state FROM changes WHERE at_us IN "
                                    "(SELECT max(at_us) FROM changes GROUP BY target)").fetchall()
            with self._lock:
                self._last.update({t: s for t, s in rows if t not in self._last})
        except (sqlite3.Error, OSError) as exc:
            self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        """Say once why history is off, and go on without it."""
        if self.broken is None:
            self.broken = f"{self.path}: {exc}"
            log.warning("history: %s; the board goes on without history", self.broken)
        with self._lock:
            self._pending.clear()
        if self._db is not None:
            try:
                self._db.close()
            except sqlite3.Error:
                pass
            self._db = None

    def update(self, snapshot: Any, force: bool = False) -> None:
        """Queue the targets whose state changed since the last one kept (the main loop's output protocol)."""
        if self.broken is not None:
            return
        latest = snapshot.latest
        now, mono_now = self.clock(), self.mono()
        changes = []
        with self._lock:
            for target in snapshot.board.targets:
                status: Status = snapshot.statuses.get(target.name)
                if status is None or status.checked_at is None:
                    continue   # waiting for its first check: nothing happened yet
                obs = latest.get(target.name)
                if obs is not None and obs.mono is None:
                    continue   # kept from the last run, shown until checked again: not news
                if self._last.get(target.name) == status.state:
                    continue
                self._last[target.name] = status.state
                seen = obs is not None and status.state != STALE and obs.mono is not None
                at = status.checked_at if seen else now
                took = obs.took if obs is not None and status.state != STALE else None
                mono = obs.mono if seen else mono_now   # type: ignore[union-attr]
                changes.append((Change(target.name, target.kind, at, status.state, status.detail, took), mono))
            self._pending.extend(changes)
        if changes:
            self._due.set()

    def _write_loop(self) -> None:
        self._open()
        self._opened.set()
        while not self._stop.is_set():
            self._due.wait(PRUNE_EVERY)
            if self._db is None:
                return
            self._write()
            self._stop.wait(SPACING)   # at most one write a second, however many changes come
        self._write()
        if self._db is not None:
            self._db.close()
            self._db = None

    def _write(self) -> None:
        with self._lock:
            rows, self._pending = self._pending, []
            self._due.clear()
        if self._db is None:
            return
        try:
            with self._db:
                offset = self.clock() - self.mono()
                if self._offset is not None and abs(offset - self._offset) > STEP:
                    self._follow_step(offset - self._offset)
                self._offset = offset
                if rows:
                    self._db.executemany("INSERT INTO changes VALUES (?, ?, ?, ?, ?, ?)",
                                         self._keyed([c._replace(at=mono + offset) for c, mono in rows]))
                if time.monotonic() - self._pruned >= PRUNE_EVERY:
                    oldest = int((self.clock() - self.retention) * 1e6)
                    self._db.execute("DELETE FROM changes WHERE at_us < ?", (oldest,))
                    self._pruned = time.monotonic()
            self.writes += 1
        except (sqlite3.Error, OSError) as exc:
            self._fail(exc)

    def _free(self, key: int, taken: Set[int]) -> int:
        """The first key from `key` on that no row holds (nor one about to be written)."""
        assert self._db is not None
        while key in taken or self._db.execute("SELECT 1 FROM changes WHERE at_us = ?", (key,)).fetchone():
            key += 1
        return key

    def _keyed(self, rows: List[Change]) -> List[tuple]:
        """Rows with their keys: the change's time in microseconds (the next free one), noted as this run's."""
        out, taken = [], set()   # type: List[tuple], Set[int]
        for row in sorted(rows, key=lambda r: r.at):
            key = self._free(int(row.at * 1e6), taken)
            taken.add(key)
            # SQLite takes no lone surrogate: whatever a row holds, it is written.
            out.append((key, valid(row.target), valid(row.kind), valid(row.state), valid(row.detail), row.took))
        if out:
            first, last = min(taken), max(taken)
            self._run = (min(first, self._run[0]), max(last, self._run[1])) if self._run else (first, last)
        return out

    def _follow_step(self, delta: float) -> None:
        """The wall clock stepped by delta seconds: move the changes this run wrote before the step with it."""
        assert self._db is not None
        log.info("history: the wall clock moved %+.0f s; the changes kept since the board started move with it",
                 delta)
        if self._run is None:
            return
        moved = self._db.execute("SELECT at_us, target, kind, state, detail, took FROM changes "
                                 "WHERE at_us BETWEEN ? AND ?", self._run).fetchall()
        self._db.execute("DELETE FROM changes WHERE at_us BETWEEN ? AND ?", self._run)
        self._run = None
        self._db.executemany("INSERT INTO changes VALUES (?, ?, ?, ?, ?, ?)", self._keyed(
            [Change(target, kind, at_us / 1e6 + delta, state, detail, took)
             for at_us, target, kind, state, detail, took in moved]))

    def close(self) -> None:
        """Write what is pending and close the database."""
        self._stop.set()
        self._due.set()
        self._thread.join(10.0)
