"""What a person at the desk changes with a board's buttons (the Unicorn HAT Mini's A, B, X, Y): brightness up
and down, night mode on and off, and every critical pixel flashing for a few seconds so it can be found.

The buttons only set these; `render` reads a snapshot of them, so the flow stays one-directional and a board
without buttons renders exactly as before.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional

log = logging.getLogger(__name__)

STEP = 1.5          # each press of A or B multiplies the brightness by this (or divides by it)
MAX_STEPS = 6       # at most this many steps up or down from the configured brightness
FIND_SECONDS = 6.0  # how long critical pixels flash after Y
NIGHT = 0.05        # the brightness of night mode on a board whose config has no night hours
ACTIONS = {"A": "brighter", "B": "dimmer", "X": "night", "Y": "find"}


@dataclass(frozen=True)
class Adjustments:
    """A snapshot of what the buttons have set: brightness steps, a night override, and whether to flash
    critical pixels (finding: until this time.monotonic() value)."""

    steps: int = 0
    night: Optional[bool] = None     # None: the config's night hours decide; True/False: forced on or off
    finding_until: float = 0.0

    def finding(self, mono: float) -> bool:
        """Whether critical pixels flash at this monotonic time."""
        return mono < self.finding_until

    def brightness(self, day: float, night_brightness: float, in_night_hours: bool) -> float:
        """The brightness to show, from the config's and the buttons' say."""
        at_night = in_night_hours if self.night is None else self.night
        base = night_brightness if at_night else day
        if base <= 0 or self.steps == 0:
            return base
        return max(0.01, min(1.0, base * STEP ** self.steps))


class Controls:
    """The board's buttons, seen from the board: press(name) from any thread, snapshot() for render."""

    def __init__(self, on_change: Optional[Callable[[], None]] = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._state = Adjustments()
        self._on_change = on_change
        self._monotonic = monotonic

    def snapshot(self) -> Adjustments:
        """What the buttons have set, now."""
        with self._lock:
            return self._state

    def press(self, button: str, in_night_hours: bool = False) -> None:
        """A button was pressed: A brighter, B dimmer, X night mode on/off, Y flash critical pixels."""
        action = ACTIONS.get(button)
        if action is None:
            return
        with self._lock:
            s = self._state
            if action == "brighter":
                s = Adjustments(min(MAX_STEPS, s.steps + 1), s.night, s.finding_until)
            elif action == "dimmer":
                s = Adjustments(max(-MAX_STEPS, s.steps - 1), s.night, s.finding_until)
            elif action == "night":
                at_night = in_night_hours if s.night is None else s.night
                s = Adjustments(s.steps, not at_night, s.finding_until)
            else:
                s = Adjustments(s.steps, s.night, self._monotonic() + FIND_SECONDS)
            self._state = s
        log.info("button %s: %s (brightness steps %+d, night %s)", button, action, s.steps,
                 {None: "by the clock", True: "on", False: "off"}[s.night])
        if self._on_change is not None:
            self._on_change()
