"""What a check reports about one target at one moment."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Optional

from statusboard.states import Severity, severity_of
from statusboard.text import printable


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

    def __post_init__(self) -> None:
        # Details carry server bytes and error text: no escape sequence reaches a terminal or the journal.
        object.__setattr__(self, "detail", printable(self.detail))
        if not math.isfinite(self.observed_at):
            object.__setattr__(self, "observed_at", 0.0)

    @classmethod
    def of(cls, target: str, state: str, detail: str, observed_at: float,
           mono: Optional[float] = None) -> "Observation":
        """An observation whose severity is the state's own, seen now (or at `mono`)."""
        return cls(target, state, severity_of(state), detail, observed_at,
                   time.monotonic() if mono is None else mono)
