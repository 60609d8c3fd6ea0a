"""The state vocabulary: severities, colours, and the states every kind shares (each kind adds its own)."""

from __future__ import annotations

from enum import Enum
from typing import Dict, Mapping, NamedTuple, Optional, Tuple

RGB = Tuple[int, int, int]


class Severity(str, Enum):
    """How much a state matters to the person looking at the board."""

    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"
    TRANSITIONAL = "transitional"
    UNKNOWN = "unknown"


class StateInfo(NamedTuple):
    """What the board knows of a state: its severity, its default colour, and its letter in the terminal."""

    severity: Severity
    colour: RGB
    letter: str


States = Mapping[str, StateInfo]

# The board's own states, whatever the target kind.
UNKNOWN = "unknown"
STALE = "stale"
BOARD_STATES: Dict[str, StateInfo] = {
    UNKNOWN: StateInfo(Severity.UNKNOWN, (90, 90, 90), "?"),
    STALE: StateInfo(Severity.UNKNOWN, (70, 0, 90), "~"),
}

# The states of a probe (http, ping, and anything else that answers or not).
UP = "up"
SLOW = "slow"
DOWN = "down"
PROBE_STATES: Dict[str, StateInfo] = {
    UP: StateInfo(Severity.OK, (0, 255, 0), "U"),
    SLOW: StateInfo(Severity.WARNING, (255, 170, 0), "S"),
    DOWN: StateInfo(Severity.CRITICAL, (255, 0, 0), "D"),
}


def merge(*tables: States) -> Dict[str, StateInfo]:
    """One table of states from several; a state two tables declare differently is a mistake in the code."""
    out: Dict[str, StateInfo] = {}
    for table in tables:
        for state, info in table.items():
            if out.get(state, info) != info:
                raise ValueError(f"state {state!r} is declared twice, differently: {out[state]} and {info}")
            out[state] = info
    return out


def severity_in(states: States, state: str) -> Severity:
    """The severity of a state in a table; a state the table does not know counts as unknown."""
    info = states.get(state)
    return info.severity if info else Severity.UNKNOWN


# A palette for everyone: one colour per severity, chosen so that every two severities stay at least 20 apart
# (CIEDE2000) as the HAT shows them at brightness 0.4, with normal vision and under full deuteranopia,
# protanopia and tritanopia (tests/display/test_palette.py). Within a severity the letters tell states apart;
# stale takes unknown's colour (a dimmed last colour cannot stay clear of every severity under every vision).
COLOUR_BLIND: Dict[Severity, RGB] = {
    Severity.OK: (128, 248, 208),            # mint
    Severity.WARNING: (240, 192, 0),         # amber-yellow
    Severity.CRITICAL: (192, 0, 0),          # red
    Severity.TRANSITIONAL: (128, 112, 240),  # lavender (blinking)
    Severity.UNKNOWN: (8, 0, 80),            # dim indigo
}
PALETTES: Dict[str, Optional[Mapping[Severity, RGB]]] = {
    "default": None, "colour-blind": COLOUR_BLIND, "color-blind": COLOUR_BLIND}


def named_palette(name: str, states: States) -> Optional[Dict[str, RGB]]:
    """Every state's colour in a named palette (empty for the default: each kind's own colours); None for a name
    no palette has."""
    if name not in PALETTES:
        return None
    by_severity = PALETTES[name]
    if by_severity is None:
        return {}
    return {state: by_severity[info.severity] for state, info in states.items()}
