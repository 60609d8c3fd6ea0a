"""What every LED board must show, judged on the light decoded from its wire: every state lit, unused pixels
off, and states of different colours told apart (a stale pixel from its own state and from unknown)."""

from __future__ import annotations

from typing import Dict, Sequence, Tuple

from statusboard.display.base import Frame, blank
from statusboard.render import colour_of
from statusboard.table import Status
from statusboard.kinds import STATES
from statusboard.vocabulary import STALE, UNKNOWN, Severity

LED = Tuple[int, int]


def frame_of(shape: Tuple[int, int], lit: Dict[LED, Tuple[int, int, int]], brightness: float = 0.4) -> Frame:
    """A frame of this shape with these pixels lit."""
    rows = [list(row) for row in blank(shape).pixels]
    for (x, y), rgb in lit.items():
        rows[y][x] = rgb
    return Frame(tuple(tuple(r) for r in rows), brightness)


def states_frame(board, shape: Tuple[int, int], brightness: float) -> Tuple[Frame, Dict[str, LED]]:
    """Every state, and every state gone stale, on its own pixel; and where each is."""
    colours = {}
    for state in STATES:
        if state != STALE:
            colours[state] = board.colour(state)
            colours[f"stale {state}"] = colour_of(board, Status(STALE, Severity.UNKNOWN, "", 0.0, last=state))
    places, lit = {}, {}
    for i, (name, rgb) in enumerate(colours.items()):
        places[name] = (i % shape[0], i // shape[0])
        lit[places[name]] = rgb
    return frame_of(shape, lit, brightness), places


def judge_states(board, leds: Dict[LED, Sequence[float]], places: Dict[str, LED], brightness: float) -> None:
    """Assert what a person must see of states_frame on the LEDs (decoded per LED; zero is dark)."""
    on = {name: tuple(leds[p]) for name, p in places.items()}
    assert {tuple(rgb) for p, rgb in leds.items() if p not in places.values()} == {(0, 0, 0)}, "unused pixels are off"
    dark = [name for name, rgb in on.items() if max(rgb) == 0]
    assert not dark, f"dark at brightness {brightness}: {dark}"
    fresh = [s for s in STATES if s != STALE]
    for a in fresh:
        for b in fresh:
            if a < b and board.colour(a) != board.colour(b):
                assert on[a] != on[b], f"{a} and {b} look the same at brightness {brightness}"
        assert on[f"stale {a}"] != on[a]
        assert on[f"stale {a}"] != on[UNKNOWN] or a == UNKNOWN
    assert len({on["down"], on["shutting-down"], on["terminated"]}) == 3
