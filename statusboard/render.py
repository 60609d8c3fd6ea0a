"""Pure rendering: (board, statuses, now) -> Frame, with blinking, stale dimming and unused pixels off."""

from __future__ import annotations

import time
from typing import List, Mapping, Optional

from statusboard.config import Board
from statusboard.controls import NIGHT, Adjustments
from statusboard.display.base import Frame, LegendEntry
from statusboard.table import Status
from statusboard.vocabulary import RGB, STALE, Severity

OFF: RGB = (0, 0, 0)
BLINK_HZ = 1.0
FIND_HZ = 3.0     # critical pixels flash this fast while a person looks for them (the Mini's Y button)
STALE_DIM = 0.2   # a stale pixel shows its last colour at this share: recognisable, never the healthy colour


def colour_of(board: Board, status: Status) -> RGB:
    """The colour a pixel shows for a status at full brightness; stale is the last colour, dimmed,
    unless the palette names a colour for `stale`."""
    if status.state == STALE and status.last and STALE not in board.palette:
        return tuple(round(c * STALE_DIM) for c in board.colour(status.last))  # type: ignore[return-value]
    return board.colour(status.state)


def blink_on(now: float) -> bool:
    """Whether transitional pixels are lit at time now (1 Hz, half on, half off)."""
    return (now * BLINK_HZ * 2) % 2 < 1


def in_night_hours(board: Board, now: float) -> bool:
    """Whether time now (local time) falls in the config's night hours."""
    night = board.display.night
    if night is None:
        return False
    local = time.localtime(now)
    return night.covers(local.tm_hour * 60 + local.tm_min)


def brightness_at(board: Board, now: float, adjust: Adjustments = Adjustments()) -> float:
    """The board's brightness at time now: the night's during night hours (local time), else the day's; then
    what the buttons changed, if the board has any."""
    night = board.display.night
    return adjust.brightness(board.display.brightness, night.brightness if night else NIGHT,
                             in_night_hours(board, now))


def render(board: Board, statuses: Mapping[str, Status], now: float,
           adjust: Adjustments = Adjustments(), mono: Optional[float] = None) -> Frame:
    """The frame the board shows at time now (and, for the buttons' flashing, monotonic time mono)."""
    width, height = board.shape
    grid: List[List[RGB]] = [[OFF] * width for _ in range(height)]
    legend: List[LegendEntry] = []
    lit = blink_on(now)
    finding = mono is not None and adjust.finding(mono)
    flash_on = finding and (mono * FIND_HZ * 2) % 2 < 1   # type: ignore[operator]
    for target in board.targets:
        status = statuses.get(target.name)
        if status is None:
            continue
        colour = colour_of(board, status)
        x, y = target.pixel
        shown = colour if lit or status.severity is not Severity.TRANSITIONAL else OFF
        if finding and status.severity is Severity.CRITICAL:
            shown = colour if flash_on else OFF
        grid[y][x] = shown
        letter = board.states[status.state].letter if status.state in board.states else "#"
        legend.append(LegendEntry(x, y, target.name, status.state, status.detail, colour, status.checked_at, letter))
    legend.sort(key=lambda e: (e.y, e.x))
    return Frame(tuple(tuple(row) for row in grid), brightness_at(board, now, adjust), tuple(legend))


def has_blinking(statuses: Mapping[str, Status]) -> bool:
    """Whether any pixel blinks, so the frame changes with time alone."""
    return any(s.severity is Severity.TRANSITIONAL for s in statuses.values())
