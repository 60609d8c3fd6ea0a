"""Every state a pixel can show, its severity and its default colour."""

from __future__ import annotations

from enum import Enum
from typing import Dict, Tuple

RGB = Tuple[int, int, int]


class Severity(str, Enum):
    """How much a state matters to the person looking at the board."""

    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"
    TRANSITIONAL = "transitional"
    UNKNOWN = "unknown"


# The board's own states, whatever the target kind.
UNKNOWN = "unknown"
STALE = "stale"
# Probe states (http, ping).
UP = "up"
SLOW = "slow"
DOWN = "down"

# state -> (severity, default colour). Transitional states blink.
STATES: Dict[str, Tuple[Severity, RGB]] = {
    UNKNOWN: (Severity.UNKNOWN, (90, 90, 90)),
    STALE: (Severity.UNKNOWN, (70, 0, 90)),
    UP: (Severity.OK, (0, 255, 0)),
    SLOW: (Severity.WARNING, (255, 170, 0)),
    DOWN: (Severity.CRITICAL, (255, 0, 0)),
    # EC2 instance states, and the board's reading of them.
    "pending": (Severity.TRANSITIONAL, (0, 255, 0)),
    "running": (Severity.OK, (0, 0, 255)),
    "stopping": (Severity.TRANSITIONAL, (192, 128, 32)),
    "stopped": (Severity.CRITICAL, (255, 0, 0)),
    "shutting-down": (Severity.TRANSITIONAL, (255, 60, 0)),
    "terminated": (Severity.CRITICAL, (120, 0, 0)),
    "absent": (Severity.CRITICAL, (255, 0, 160)),
    "impaired": (Severity.CRITICAL, (255, 0, 255)),
    "initializing": (Severity.TRANSITIONAL, (0, 160, 255)),
    # CloudWatch alarm states. Insufficient data is not healthy: the alarm cannot tell.
    "ok": (Severity.OK, (0, 255, 0)),
    "alarm": (Severity.CRITICAL, (255, 0, 0)),
    "insufficient-data": (Severity.UNKNOWN, (0, 90, 110)),
}


def severity_of(state: str) -> Severity:
    """The severity of a state; a state the board does not know counts as unknown."""
    entry = STATES.get(state)
    return entry[0] if entry else Severity.UNKNOWN
