"""Each target's uptime over 24 h, 7 d and 30 d and its last 24 hours as a bar of states, for the page: the
history is read whole once, then only the changes that came since (a range of its key), and summed in half-hour
slots (a ring of 30 days per target, about 20 KB), so an answer costs milliseconds however long the history.
The history's writer may keep a change a little after a later one (its time is when it was seen), so only the
changes older than SETTLED are summed for good; the newer ones are read afresh for each answer.

Uptime is the share of the time a target was known healthy (an ok state) among the time it was known ok, warning
or critical; unknown, stale and changing (transitional) time is left out. A bar's slot shows the worst state seen
in that half hour, so a short outage is never hidden by the hours around it.
"""

from __future__ import annotations

import logging
import threading
import time
from array import array
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from statusboard.history import changes_after, last_key
from statusboard.vocabulary import Severity

log = logging.getLogger(__name__)

SLOT = 1800.0
SLOTS = 1440          # 30 days of half hours
BAR = 48              # the last 24 hours
WINDOWS = (("24h", 48), ("7d", 336), ("30d", SLOTS))
RANK = {Severity.OK: 0, Severity.TRANSITIONAL: 1, Severity.UNKNOWN: 2, Severity.WARNING: 3, Severity.CRITICAL: 4}
SETTLED = 120.0       # seconds after which no change is written any more before the newest
STEP = 10.0           # a wall clock moved this far against the monotonic clock has stepped: read afresh
BATCH = 20000         # changes read at a time (a few MB at most, on a Pi Zero too)


class Track:
    """One target's ring of slots and the state it is in since when (the time already summed)."""

    __slots__ = ("ok", "known", "worst", "stamp", "state", "since")

    def __init__(self) -> None:
        self.ok = array("f", bytes(4 * SLOTS))
        self.known = array("f", bytes(4 * SLOTS))
        self.worst = array("h", [-1]) * SLOTS
        self.stamp = array("i", [-1]) * SLOTS
        self.state = -1
        self.since = 0.0


class Uptime:
    """The summary of one history file for one board's states; `answer(names, now)` for /api/history."""

    def __init__(self, path: Path, severity_of: Callable[[str], Severity],
                 wall: Callable[[], float] = time.time) -> None:
        self.path = path
        self.severity_of = severity_of
        self.wall = wall
        self._lock = threading.Lock()
        self._now = 0.0
        self._reset()

    def _reset(self) -> None:
        self.file: Any = None   # (device, inode) of the file summed
        self.states: List[str] = []
        self._ids: Dict[str, int] = {}
        self._rank: List[int] = []
        self._good: List[bool] = []
        self._counted: List[bool] = []
        self.tracks: Dict[str, Track] = {}
        self.key = 0
        self._offset: Optional[float] = None   # wall clock minus monotonic clock at the last answer

    def _id(self, state: str) -> int:
        sid = self._ids.get(state)
        if sid is None:
            severity = self.severity_of(state)
            sid = self._ids[state] = len(self.states)
            self.states.append(state)
            self._rank.append(RANK.get(severity, 2))
            self._good.append(severity == Severity.OK)
            self._counted.append(severity in (Severity.OK, Severity.WARNING, Severity.CRITICAL))
        return sid

    def _add(self, track: Track, sid: int, start: float, end: float, sign: float = 1.0) -> None:
        """Sum [start, end) in state sid into the track's slots (sign -1 takes it out again)."""
        start = max(start, self._now - SLOTS * SLOT)
        end = min(end, self._now + SLOT)
        if end <= start:
            return
        good, counted, rank = self._good[sid], self._counted[sid], self._rank[sid]
        for slot in range(int(start // SLOT), int(-(-end // SLOT))):
            overlap = min(end, (slot + 1) * SLOT) - max(start, slot * SLOT)
            if overlap <= 0:
                continue
            i = slot % SLOTS
            if track.stamp[i] != slot:
                track.stamp[i], track.ok[i], track.known[i], track.worst[i] = slot, 0.0, 0.0, -1
            if counted:
                track.known[i] += sign * overlap
                if good:
                    track.ok[i] += sign * overlap
            if sign > 0 and (track.worst[i] < 0 or rank > self._rank[track.worst[i]]):
                track.worst[i] = sid

    def refresh(self, now: float) -> None:
        """Sum the changes older than SETTLED that came since the last refresh (all of them the first time), and
        every target's state up to then."""
        self._now = now
        horizon = now - SETTLED
        while True:
            rows = changes_after(self.path, self.key, BATCH, int(horizon * 1e6))
            for key, target, state in rows:
                self._change(target, key / 1e6, self._id(state))
            if rows:
                self.key = rows[-1][0]
            if len(rows) < BATCH:
                break
        for track in self.tracks.values():
            if track.state >= 0 and horizon > track.since:
                self._add(track, track.state, track.since, horizon)
                track.since = horizon

    def _recent(self, now: float) -> Dict[str, List[Tuple[float, float, int]]]:
        """Each target's (start, end, state) from the settled time to now, from the changes not yet summed."""
        spans: Dict[str, List[Tuple[float, float, int]]] = {}
        last: Dict[str, Tuple[float, int]] = {name: (t.since, t.state) for name, t in self.tracks.items()
                                              if t.state >= 0}
        for key, target, state in changes_after(self.path, self.key, BATCH):
            at, sid = key / 1e6, self._id(state)
            if target in last:
                since, was = last[target]
                spans.setdefault(target, []).append((since, max(since, at), was))
                at = max(since, at)
            last[target] = (at, sid)
        for target, (since, sid) in last.items():
            spans.setdefault(target, []).append((since, max(since, now), sid))
        return spans

    def _change(self, target: str, at: float, sid: int) -> None:
        track = self.tracks.get(target)
        if track is None:
            track = self.tracks[target] = Track()
        if track.state < 0:
            track.since = at
        elif at >= track.since:
            self._add(track, track.state, track.since, at)
            track.since = at
        else:   # summed up to a refresh after this change was made: that time was the new state's
            self._add(track, track.state, at, track.since, -1.0)
            self._add(track, sid, at, track.since)
        track.state = sid

    def answer(self, names: Sequence[str], now: float) -> Dict[str, Any]:
        """{"states": [...], "slot": seconds, "targets": {name: {"uptime": {"24h": share or None, ...},
        "bar": [index into states, or -1 for no history, oldest first]}}} for these targets."""
        with self._lock:
            info = self.path.stat()
            offset = self.wall() - time.monotonic()   # read together, whoever waited for the lock
            stepped = self._offset is not None and abs(offset - self._offset) > STEP
            if stepped or (info.st_dev, info.st_ino) != self.file or last_key(self.path) < self.key:
                self._reset()   # another history, one made anew, or the clock stepped (its rows move): afresh
                self.file = (info.st_dev, info.st_ino)
            self._offset = offset
            self.refresh(now)
            recent = self._recent(now)
            current = int(now // SLOT)
            return {"states": list(self.states), "slot": SLOT, "bar_end": (current + 1) * SLOT,
                    "targets": {name: self._target(name, recent.get(name, []), current) for name in names}}

    def _target(self, name: str, recent: List[Tuple[float, float, int]], current: int) -> Dict[str, Any]:
        """One target's uptime and bar: its slots, and what came since they were summed."""
        track = self.tracks.get(name)
        ok = known = 0.0
        worst: Dict[int, int] = {}
        for start, end, sid in recent:
            if self._counted[sid]:
                known += end - start
                ok += (end - start) if self._good[sid] else 0.0
            for slot in range(int(start // SLOT), int(end // SLOT) + 1):
                if slot not in worst or self._rank[sid] > self._rank[worst[slot]]:
                    worst[slot] = sid
        uptime: Dict[str, Optional[float]] = {}
        for window, count in WINDOWS:
            up = ok + (_ring_sum(track.ok, current, count) if track else 0.0)
            seen = known + (_ring_sum(track.known, current, count) if track else 0.0)
            uptime[window] = round(min(1.0, max(0.0, up / seen)), 5) if seen > 0 else None
        bar = []
        for slot in range(current - BAR + 1, current + 1):
            sid = track.worst[slot % SLOTS] if track and track.stamp[slot % SLOTS] == slot else -1
            late = worst.get(slot, -1)
            bar.append(late if late >= 0 and (sid < 0 or self._rank[late] > self._rank[sid]) else sid)
        return {"uptime": uptime, "bar": bar}


def _ring_sum(ring: "array[float]", current: int, count: int) -> float:
    """The sum of the last `count` slots up to the current one (every slot in the ring is within 30 days)."""
    end = current % SLOTS + 1
    start = end - count
    if start >= 0:
        return sum(ring[start:end])
    return sum(ring[:end]) + sum(ring[start:])
