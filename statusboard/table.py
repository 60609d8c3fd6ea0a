"""The live table of what each target shows now: soft/hard failures and staleness, no I/O.

Every age here is on the monotonic clock (Observation.mono): wall-clock jumps change nothing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, Optional, Tuple

from statusboard.model import Observation, Reading, Target
from statusboard.vocabulary import DOWN, STALE, UNKNOWN, Severity

Listener = Callable[[bool], None]


@dataclass(frozen=True)
class Status:
    """What one pixel stands for right now: state, severity, a one-line detail, and when it was checked."""

    state: str
    severity: Severity
    detail: str
    checked_at: Optional[float]
    last: Optional[str] = None   # for a stale pixel: the state it showed before its data grew old
    reading: Optional[Reading] = None   # the number the state was judged by, if any


@dataclass
class _Entry:
    target: Target
    shown: Optional[Observation] = None   # the observation the pixel shows
    latest: Optional[Observation] = None  # the newest observation, even while holding
    failures: int = 0                     # failed checks in a row


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _fresh(obs: Observation, now: Optional[float], stale_after: float) -> bool:
    """Whether an observation was seen this run and is younger than stale_after at `now`."""
    return obs.mono is not None and now is not None and now - obs.mono <= stale_after


def _look(entry: _Entry, now: Optional[float]) -> Tuple[Optional[str], bool]:
    """What decides an entry's pixel at `now`: the state it shows, and whether its data is stale."""
    latest = entry.latest
    stale = latest is None or latest.mono is None or now is None or now - latest.mono > entry.target.stale_after
    return (entry.shown.state if entry.shown is not None else None, stale)


class StateTable:
    """The latest observation per target; thread-safe. `listener(visible)` is told of every result, with
    whether it changed what a pixel shows (not only its detail)."""

    def __init__(self, targets: Iterable[Target], listener: Optional[Listener] = None) -> None:
        self._lock = threading.Lock()
        self._entries: Dict[str, _Entry] = {t.name: _Entry(t) for t in targets}
        self.listener = listener

    def record(self, obs: Observation) -> None:
        """Take one observation; a `down` is held back until `fail_after` failures in a row, behind a good
        state that is itself fresh (seen this run, within stale_after)."""
        with self._lock:
            entry = self._entries.get(obs.target)
            if entry is None:
                return
            before = _look(entry, obs.mono)
            entry.latest = obs
            failed = obs.state == DOWN
            entry.failures = entry.failures + 1 if failed else 0
            shown = entry.shown
            holding = (failed and entry.failures < entry.target.fail_after and shown is not None
                       and shown.state != DOWN and shown.severity is not Severity.UNKNOWN
                       and _fresh(shown, obs.mono, entry.target.stale_after))
            if not holding:
                entry.shown = obs
            moved = _look(entry, obs.mono) != before
        if self.listener is not None:
            self.listener(moved)

    def status(self, name: str, now: float) -> Status:
        """What the target's pixel shows at `now`, a time.monotonic() value."""
        with self._lock:
            entry = self._entries[name]
            shown, latest, failures = entry.shown, entry.latest, entry.failures
        if shown is None or latest is None:
            return Status(UNKNOWN, Severity.UNKNOWN, "waiting for the first check", None)
        if latest.mono is None:
            return Status(STALE, Severity.UNKNOWN, f"no result since the board started; last {latest.state} "
                          f"(before the restart): {latest.detail}", latest.observed_at, last=shown.state)
        age = now - latest.mono
        if age > entry.target.stale_after:
            return Status(STALE, Severity.UNKNOWN, f"no result for {_age(age)}; last {latest.state}: {latest.detail}",
                          latest.observed_at, last=shown.state)
        if shown is not latest:
            detail = f"{_plural(failures, 'failure')}, holding: {latest.detail}"
            return Status(shown.state, shown.severity, detail, latest.observed_at)
        return Status(shown.state, shown.severity, shown.detail, shown.observed_at, reading=shown.reading)

    def adopt(self, old: "StateTable") -> None:
        """Take over the state of every target whose check is unchanged (after a reload)."""
        with old._lock:
            previous = dict(old._entries)
        with self._lock:
            for name, entry in self._entries.items():
                before = previous.get(name)
                if before is not None and before.target.check_key == entry.target.check_key:
                    entry.shown, entry.latest, entry.failures = before.shown, before.latest, before.failures

    def next_stale(self, now: float) -> Optional[float]:
        """Seconds from `now` until the next fresh result turns stale (None: none will)."""
        with self._lock:
            ends = [e.latest.mono + e.target.stale_after - now for e in self._entries.values()
                    if e.latest is not None and e.latest.mono is not None
                    and e.latest.mono + e.target.stale_after >= now]
        return min(ends) if ends else None

    def snapshot(self, now: float) -> Dict[str, Status]:
        """Every target's status at time now."""
        return {name: self.status(name, now) for name in self._entries}

    def latest(self) -> Dict[str, Observation]:
        """The newest observation of every target that has one."""
        with self._lock:
            return {name: e.latest for name, e in self._entries.items() if e.latest is not None}
