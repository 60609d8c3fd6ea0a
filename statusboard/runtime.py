"""A board's runtime: the table, the checks and sources, the scheduler, the MQTT side and the display, built
whole from one config and swapped in whole on reload (everything new is ready before anything old stops)."""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Dict, List, Mapping, Optional

from statusboard.config import Board
from statusboard.display.base import Display
from statusboard.kinds.kind import Context, Kind, Made, Source
from statusboard.mqtt.side import MqttSide, mqtt_side
from statusboard.scheduler import Scheduler
from statusboard.table import Listener, StateTable
from statusboard.workers import WorkerPool

log = logging.getLogger(__name__)

OpenDisplay = Callable[[Board], Display]


class Runtime:
    """Everything one config makes. Built with `previous`, it reuses what the config did not change (the MQTT
    link, the display, checks whose context is the same) and makes the rest anew; nothing starts until start().

    A failure while building closes whatever was made new and raises: the previous runtime runs on untouched.
    """

    def __init__(self, board: Board, display: Display, kinds: Mapping[str, Kind], pool: WorkerPool,
                 listener: Listener, clock: Callable[[], float] = time.time,
                 previous: Optional["Runtime"] = None, open_display: Optional[OpenDisplay] = None,
                 on_death: Optional[Callable[[], None]] = None) -> None:
        self.board = board
        self.kinds = kinds
        self.pool = pool
        self.clock = clock
        self._made: List[Any] = []   # what this runtime made itself, and closes if it is dropped
        try:
            self.mqtt = self._mqtt_side(previous)
            self.context = Context(clock=clock, states=board.states, aws=board.aws,
                                   link=self.mqtt.link if self.mqtt is not None else None)
            self.checks: Dict[str, Made] = self._checks(previous)
            self.table = StateTable(board.targets, listener)
            polled = {k: c for k, c in self.checks.items() if not isinstance(c, Source)}
            self.scheduler = Scheduler(board.targets, polled, self.table.record, clock=clock, pool=pool)
            self.scheduler.on_death = on_death   # told if its thread ever ends early
            self.display = self._display(display, previous, open_display)
        except BaseException:
            self.close_new()
            raise

    def _mqtt_side(self, previous: Optional["Runtime"]) -> Optional[MqttSide]:
        """The board's MQTT side: the previous one when the mqtt section did not change, else a new link."""
        if previous is not None and previous.board.mqtt == self.board.mqtt:
            return previous.mqtt
        side = mqtt_side(self.board.mqtt)
        if side is not None:
            self._made.append(side)
        return side

    def _checks(self, previous: Optional["Runtime"]) -> Dict[str, Made]:
        """A check (or source) per kind in use: the previous one where its context is the same and its kind
        does not ask for a fresh one (AWS: new sessions read credentials and profiles added since)."""
        out: Dict[str, Made] = {}
        for key in sorted({t.kind for t in self.board.targets}):
            kind = self.kinds[key]
            old = previous.checks.get(key) if previous is not None else None
            if old is not None and not kind.fresh_on_reload and previous.context == self.context:
                out[key] = old
            else:
                out[key] = kind.make(self.context)
            prepare = getattr(out[key], "prepare", None)
            if prepare is not None:   # AWS: its clients are made now, beside the running board, not in a check
                prepare([t for t in self.board.targets if t.kind == key])
        return out

    def prepared(self, limit: float) -> None:
        """Wait (at most `limit` seconds) until what the checks prepare off their critical path is ready: `run
        --once` has one round, whose checks then each have their whole timeout."""
        end = time.monotonic() + limit
        for check in self.checks.values():
            wait = getattr(check, "wait_prepared", None)
            if wait is not None:
                wait(max(0.0, end - time.monotonic()))

    def _display(self, display: Display, previous: Optional["Runtime"],
                 open_display: Optional[OpenDisplay]) -> Display:
        """The display: the one running, unless the display settings changed (then opened anew, before the old
        one closes)."""
        if previous is None or previous.board.display == self.board.display or open_display is None:
            return display
        fresh = open_display(self.board)
        self._made.append(fresh)
        return fresh

    def start(self, previous: Optional["Runtime"] = None) -> None:
        """Take over from `previous` (stopped here, its table adopted), then run: pushed sources write to this
        table, the scheduler checks the rest."""
        if previous is not None:
            previous.scheduler.stop()
            for source in previous.sources():
                source.stop()
            self.table.adopt(previous.table)   # after the old checks stopped recording
            previous.close_unshared(self)
        self.serve()
        self.scheduler.start()

    def serve(self) -> None:
        """Pushed sources write their targets' observations to this table from now on."""
        for key, source in self.checks.items():
            if isinstance(source, Source):
                source.serve([t for t in self.board.targets if t.kind == key], self.table.record)

    def sources(self) -> List[Source]:
        """The pushed sources of this runtime."""
        return [c for c in self.checks.values() if isinstance(c, Source)]

    def update(self, statuses: Mapping[str, Any]) -> None:
        """Publish the board's states over MQTT (never waits on the network)."""
        if self.mqtt is not None:
            self.mqtt.update(self.board, statuses)

    def stop(self) -> None:
        """Stop checking and close the MQTT side (the display is closed by whoever opened it)."""
        self.scheduler.stop()
        for source in self.sources():
            source.stop()
        if self.mqtt is not None:
            self.mqtt.close()

    def close_new(self) -> None:
        """Close what this runtime made itself (a reload that failed half-way)."""
        for part in reversed(self._made):
            try:
                part.close()
            except Exception:  # noqa: BLE001 - closing the rest goes on
                log.exception("closing a part of a refused reload failed")
        self._made = []

    def close_unshared(self, successor: "Runtime") -> None:
        """Close the parts the successor does not use (an old display, an old MQTT link)."""
        if self.display is not successor.display:
            self.display.close()
        if self.mqtt is not None and self.mqtt is not successor.mqtt:
            self.mqtt.close()
