"""The legend and the key to the letters, as lines of text for the window (the terminal has its own)."""

from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

from statusboard.display.base import LegendEntry

NAME_WIDTH = 16   # a name's column at most (longer names are cut with an ellipsis)
STATE_WIDTH = 17  # the state's column at least: the longest state any kind declares (insufficient-data), so the
                  # column is as wide in the first frame as in any later one (tests/test_render.py holds it)


def fit(text: str, chars: int) -> str:
    """Text cut to at most `chars` characters, ending with an ellipsis when cut."""
    return text if len(text) <= chars else text[:max(chars - 1, 0)] + "…"


def key_of(legend: Sequence[LegendEntry]) -> List[Tuple[str, str]]:
    """(letter, state) for each state on the board now, in the order the legend first shows them."""
    seen: Dict[str, str] = {}
    for entry in legend:
        seen.setdefault(entry.state, entry.letter)
    return [(letter, state) for state, letter in seen.items()]


def columns(legend: Sequence[LegendEntry], before: Tuple[int, int] = (0, 0)) -> Tuple[int, int]:
    """The name and state columns' widths: wide enough for every entry, and never narrower than before (so the
    details stay put from one frame to the next)."""
    name = min(NAME_WIDTH, max([len(e.name) for e in legend] + [before[0]]))
    state = max([len(e.state) for e in legend] + [before[1], STATE_WIDTH])
    return name, state


def line(entry: LegendEntry, widths: Tuple[int, int], chars: int, least: int, place: int = 0) -> str:
    """One legend line: letter, place (in `place` columns), name and state in their columns, two spaces, then the
    detail cut to `chars` characters in all, at least `least` of it; none where fewer than 4 would be left."""
    name_width, state_width = widths
    where = f"[{entry.x},{entry.y}]"
    head = f"{entry.letter} {where:<{place}} {fit(entry.name, name_width):<{name_width}} {entry.state:<{state_width}}"
    room = max(chars - len(head) - 2, least)
    return head.rstrip() if room < 4 else f"{head}  {fit(entry.detail, room)}"
