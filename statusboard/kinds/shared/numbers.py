"""One threshold model for every kind whose pixel is a number: `above:` or `below:` with `warn` and `critical`,
the states ok, warning, critical and no-data, and the number in the detail with its unit."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Dict, Optional

from statusboard.config.schema import Section
from statusboard.config.values import Invalid
from statusboard.model import Reading, Verdict
from statusboard.text import printable
from statusboard.vocabulary import UNKNOWN, Severity, StateInfo

OK, WARNING, CRITICAL, NO_DATA = "ok", "warning", "critical", "no-data"
STATES: Dict[str, StateInfo] = {
    OK: StateInfo(Severity.OK, (0, 255, 0), "O"),
    WARNING: StateInfo(Severity.WARNING, (255, 170, 0), "W"),   # amber, as slow
    CRITICAL: StateInfo(Severity.CRITICAL, (255, 0, 0), "C"),
    # The source has no point in the window: not healthy, not an error; a colour of its own.
    NO_DATA: StateInfo(Severity.UNKNOWN, (40, 60, 160), "_"),
}
DIRECTIONS = ("above", "below")


@dataclass(frozen=True)
class Thresholds:
    """When a number is a warning or critical: at or `above` (or at or `below`) each threshold; `unit` for
    people."""

    direction: str
    warn: Optional[float] = None
    critical: Optional[float] = None
    unit: str = ""

    def judge(self, value: float) -> Verdict:
        """The state for a number (which threshold it crossed, if any, with its unit) and the number read."""
        if not math.isfinite(value):
            return Verdict("unknown", f"the value is {value} (not a number the thresholds can judge)")
        said = self.show(value)
        worse = (lambda v, t: v >= t) if self.direction == "above" else (lambda v, t: v <= t)
        word = "over" if self.direction == "above" else "under"
        read = Reading(value, self.unit)
        if self.critical is not None and worse(value, self.critical):
            return Verdict(CRITICAL, f"{said} ({word} critical {self.show(self.critical)})", read)
        if self.warn is not None and worse(value, self.warn):
            return Verdict(WARNING, f"{said} ({word} warning {self.show(self.warn)})", read)
        return Verdict(OK, said, read)

    def show(self, value: float) -> str:
        """A number for people: thousands grouped, at most two decimals, the unit after it."""
        return f"{number_text(value)} {self.unit}".rstrip()

    def worst(self, a: float, b: float) -> bool:
        """Whether a is worse than b in this direction (NaN is worst of all: it cannot be judged)."""
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and not math.isnan(b)
        return a > b if self.direction == "above" else a < b


class NotANumber(Exception):
    """A value in an answer that thresholds cannot judge; the message says why, in words."""


def shown(value: object, limit: int = 60) -> str:
    """A value from an answer as JSON writes it, cut for a detail."""
    try:
        said = json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        said = repr(value)
    return printable(said, limit)


def finite(value: object, what: str) -> float:
    """A number from an answer as a float (NaN and infinities pass, for judge to name); NotANumber saying why
    for text, true/false, a list, an object, or an integer of more digits than a float holds."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise NotANumber(f"not a number: {what} is {shown(value)}")
    try:
        return float(value)
    except OverflowError:
        digits = len(str(abs(value))) if abs(value).bit_length() < 14_000 else "thousands of"
        raise NotANumber(f"not a number: {what} is an integer of {digits} digits, too large to judge") from None


def judge_value(thresholds: "Thresholds", value: object, what: str) -> Verdict:
    """The verdict on a value from an answer: judged by the thresholds, or unknown saying why it is no number."""
    try:
        return thresholds.judge(finite(value, what))
    except NotANumber as exc:
        return Verdict(UNKNOWN, str(exc))


def number_text(value: float) -> str:
    """1843 -> '1,843'; 0.5 -> '0.5'; 12.345 -> '12.35'."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def number(value: Any) -> float:
    """A finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise Invalid(f"expected a number, got {printable(repr(value), 40)}")
    return float(value)


def parse_thresholds(sec: Section) -> Optional[Thresholds]:
    """`above: {warn, critical}` or `below: {warn, critical}`, and `unit`, from a kind's section."""
    unit = sec.take("unit", lambda v: printable(str(v), 20), "")
    given = [d for d in DIRECTIONS if sec.has(d)]
    if len(given) != 1:
        for extra in given:
            sec.used.add(extra)
        sec.report("give the thresholds in one direction: above: {warn: N, critical: N} (higher is worse) or "
                   "below: {...} (lower is worse)" + (", not both" if given else ""), given[-1] if given else None)
        return None
    direction = given[0]
    inner = sec.sub(direction)
    named = any(inner.mapping.get(k) is not None for k in ("warn", "critical"))
    warn = inner.take("warn", number, None)
    critical = inner.take("critical", number, None)
    inner.finish()
    if not inner.ok:
        return None
    if warn is None and critical is None:
        if not named:   # one given but not a number is said once, above
            inner.report("give warn, critical or both")
        return None
    if warn is not None and critical is not None:
        if direction == "above" and warn > critical:
            inner.report(f"warn ({warn:g}) is above critical ({critical:g}): with above, higher is worse, so "
                         "warn comes first, at the lower number", "warn")
            return None
        if direction == "below" and warn < critical:
            inner.report(f"warn ({warn:g}) is below critical ({critical:g}): with below, lower is worse, so "
                         "warn comes first, at the higher number", "warn")
            return None
    return Thresholds(direction, warn, critical, unit)
