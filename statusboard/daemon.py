"""Wiring: board -> checks -> state table -> renderer -> display, the main loop, and clean stops."""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Mapping, Optional

from statusboard.checks import Check, make_checks
from statusboard.config import Board
from statusboard.display.base import Display, Frame
from statusboard.render import colour_of, has_blinking, render
from statusboard.scheduler import Scheduler
from statusboard.state import StateTable, Status

log = logging.getLogger(__name__)

IDLE_WAKE = 1.0   # seconds between redraw checks when nothing blinks (staleness is time-driven)
COALESCE = 0.05   # after a result arrives, wait this long for others before drawing


class Runner:
    """One board running: its state table, its scheduler and the display it draws on."""

    def __init__(self, board: Board, display: Display, clock: Callable[[], float] = time.time,
                 checks: Optional[Mapping[str, Check]] = None) -> None:
        self.board = board
        self.display = display
        self.clock = clock
        self.table = StateTable(board.targets)
        self.checks = checks if checks is not None else make_checks((t.kind for t in board.targets), clock, board.aws)
        self.scheduler = Scheduler(board.targets, self.checks, self.table.record, board.concurrency, clock)
        self.last_frame: Optional[Frame] = None
        self._stop = threading.Event()

    def draw(self) -> Dict[str, Status]:
        """Render the board now and show the frame if it differs from the last one."""
        now = self.clock()
        statuses = self.table.snapshot(now)
        frame = render(self.board, statuses, now)
        if frame != self.last_frame:
            self.display.show(frame)
            self.last_frame = frame
        return statuses

    def once(self) -> Dict[str, Status]:
        """Check every target once, concurrently, draw one frame, and return the statuses."""
        self.scheduler.run_once()
        return self.draw()

    def stop(self) -> None:
        """Make run() return promptly (safe from a signal handler or another thread)."""
        self._stop.set()
        self.table.changed.set()

    def run(self) -> None:
        """Check and draw until stop() is called."""
        self.scheduler.start()
        try:
            while not self._stop.is_set():
                self.table.changed.clear()
                statuses = self.draw()
                wait = IDLE_WAKE
                if has_blinking(statuses):
                    now = self.clock()
                    wait = 0.5 - (now % 0.5) + 0.001
                if self.table.changed.wait(wait):
                    self._stop.wait(COALESCE)   # results arriving together are drawn together
        finally:
            self.scheduler.stop()


def report(board: Board, statuses: Mapping[str, Status]) -> Dict[str, Any]:
    """The JSON document of `run --once --json`: every target's pixel, state, colour and detail."""
    out = []
    for target in board.targets:
        status = statuses[target.name]
        checked = None
        if status.checked_at is not None:
            stamp = datetime.fromtimestamp(status.checked_at, tz=timezone.utc)
            checked = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append({
            "name": target.name,
            "pixel": list(target.pixel),
            "kind": target.kind,
            "state": status.state,
            "severity": status.severity.value,
            "colour": list(colour_of(board, status)),
            "detail": status.detail,
            "checked_at": checked,
        })
    return {"targets": out}


def stop_on_signals(stop: Callable[[], None]) -> None:
    """SIGTERM and SIGINT call stop, so the loop ends and the LEDs go off."""
    def handler(signum: int, _frame: Any) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
