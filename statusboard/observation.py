"""What a check reports about one target at one moment."""

from __future__ import annotations

from dataclasses import dataclass

from statusboard.states import Severity, severity_of


@dataclass(frozen=True)
class Observation:
    """One result of one check: the state, its severity, a one-line detail and when it was seen."""

    target: str
    state: str
    severity: Severity
    detail: str
    observed_at: float

    @classmethod
    def of(cls, target: str, state: str, detail: str, observed_at: float) -> "Observation":
        """An observation whose severity is the state's own."""
        return cls(target, state, severity_of(state), detail, observed_at)
