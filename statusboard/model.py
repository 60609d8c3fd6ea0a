"""The board's small model: a Target (one pixel's check) and an Observation (what a check saw)."""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Dict, NamedTuple, Optional, Protocol, Tuple

from statusboard.text import printable, valid
from statusboard.vocabulary import Severity, States, severity_in

DEFAULT_INTERVAL = 30.0
DEFAULT_TIMEOUT = 5.0
DEFAULT_FAIL_AFTER = 2
STALE_INTERVALS = 3


class Spec(Protocol):
    """What a kind's settings for one target offer the rest of the board (a frozen dataclass).

    `identity` names the fields that say which thing is watched (a URL, a host and port, a selector with its
    region and profile); the others (thresholds, verify) say how it is judged. The kept observations name a
    check by a fingerprint of them, so every spec declares its own (kinds/__init__.py refuses one without).
    """

    identity: ClassVar[Tuple[str, ...]]
    __dataclass_fields__: ClassVar[Dict[str, Any]]   # a dataclass: its fields are what the kept files read

    def describe(self) -> str:
        """A short form for people (never a password)."""


@dataclass(frozen=True)
class Target:
    """One thing on the board: its pixel, its kind of check and how often it is checked."""

    name: str
    pixel: Tuple[int, int]
    kind: str
    spec: Spec                    # its kind's spec class (Kind.spec_of gives it as that class)
    interval: float = DEFAULT_INTERVAL
    timeout: float = DEFAULT_TIMEOUT
    fail_after: int = DEFAULT_FAIL_AFTER
    stale_after: float = DEFAULT_INTERVAL * STALE_INTERVALS
    line: Optional[int] = field(default=None, compare=False)

    @property
    def check_key(self) -> Tuple[str, Spec]:
        """What is checked, and how: a reload keeps the state of targets whose check key did not change."""
        return (self.kind, self.spec)

    @property
    def stable_key(self) -> str:
        """Which thing this target watches, made of its kind and its spec's identity fields (the selector, the
        region, the profile) as JSON: the same across releases, whatever the spec class looks like in code."""
        identity = type(self.spec).identity   # every kind's spec declares it (kinds/__init__.py checks)
        chosen = {f.name: getattr(self.spec, f.name) for f in fields(self.spec)
                  if f.name in identity and getattr(self.spec, f.name) is not None}
        return json.dumps([self.kind, chosen], sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @property
    def fingerprint(self) -> str:
        """The stable key as a fingerprint: kept files name a check by it, so they hold no URL or password."""
        return hashlib.sha256(self.stable_key.encode("utf-8", "surrogatepass")).hexdigest()[:24]


class Reading(NamedTuple):
    """A number a check read, with its unit: shown beside the state to Home Assistant and in the state file."""

    value: float
    unit: str = ""


class Verdict(NamedTuple):
    """What a check concludes: its state, a one-line detail, and the number it judged, if it judged one."""

    state: str
    detail: str
    reading: Optional[Reading] = None


@dataclass(frozen=True)
class Observation:
    """One result of one check: the state, its severity, a one-line detail and when it was seen.

    `observed_at` is wall-clock time, for people; `mono` is time.monotonic() when it was seen, for every age and
    deadline (a Pi has no real-time clock: its wall clock jumps at boot). `mono` None means it was seen before
    this run started (kept across a restart), so its age is unknown and it counts as old.
    """

    target: str
    state: str
    severity: Severity
    detail: str
    observed_at: float
    mono: Optional[float] = field(default=None)
    reading: Optional[Reading] = field(default=None)
    took: Optional[float] = field(default=None)   # seconds the check took (its batch's, for a batched kind)

    def __post_init__(self) -> None:
        # Details carry server bytes and error text: no escape sequence reaches a terminal or the journal, and
        # no lone surrogate reaches a writer (each would raise UnicodeEncodeError); the kept file, read back at
        # start, may hold anything an older release wrote.
        object.__setattr__(self, "detail", printable(self.detail))
        object.__setattr__(self, "target", valid(str(self.target)))
        object.__setattr__(self, "state", valid(str(self.state)))
        if self.reading is not None and valid(str(self.reading.unit)) != self.reading.unit:
            object.__setattr__(self, "reading", self.reading._replace(unit=valid(str(self.reading.unit))))
        if not math.isfinite(self.observed_at):
            object.__setattr__(self, "observed_at", 0.0)

    @classmethod
    def of(cls, target: str, state: str, detail: str, observed_at: float, states: States,
           mono: Optional[float] = None, reading: Optional[Reading] = None) -> "Observation":
        """An observation whose severity is the state's own in `states`, seen now (or at `mono`)."""
        return cls(target, state, severity_in(states, state), detail, observed_at,
                   time.monotonic() if mono is None else mono, reading)

    @classmethod
    def judged(cls, target: str, verdict: Verdict, observed_at: float, states: States) -> "Observation":
        """An observation of what a check concluded, with the number it judged (if any), seen now."""
        return cls.of(target, verdict.state, verdict.detail, observed_at, states, reading=verdict.reading)
