"""Every output of a running board as one: the state file, the kept observations, MQTT and systemd's status
line from the start, the history and the page once the first frame is shown (they import sqlite3, asyncio and
prometheus_client). The main loop hands each turn's snapshot to update(); the runtime's swap calls renew()."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Sequence

from statusboard.config import Board
from statusboard.files import Files, state_dir
from statusboard.model import Observation
from statusboard.notify import Notifier
from statusboard.outputs import KeptObservations, MqttOut, Output, Snapshot, StateFile, SystemdStatus
from statusboard.writer import StateWriter

if TYPE_CHECKING:   # sqlite3, and the page's modules: imported when the history and the page are made
    from statusboard.history import History
    from statusboard.web.output import WebOut

log = logging.getLogger(__name__)


class HistoryOut(Output):
    """The history of changes, kept in the state directory when the board keeps its files and its config wants
    it; a swap that changes the history settings closes it and keeps it (or not) as the new config says."""

    def __init__(self, board: Board, keep_files: bool, clock: Callable[[], float]) -> None:
        self.keep_files = keep_files
        self.clock = clock
        self.settings = board.history
        self.current: Optional["History"] = self._made(board)

    def _made(self, board: Board) -> Optional["History"]:
        """A history for `board`'s settings, or None."""
        where = state_dir() if self.keep_files and board.history.enabled else None
        if where is None:
            return None
        from statusboard.history import NAME, History
        return History(where / NAME, board.history.retention, self.clock)

    @property
    def path(self) -> Optional[Path]:
        """The history's file, when one is kept."""
        return self.current.path if self.current is not None else None

    def update(self, snapshot: Snapshot, force: bool = False) -> None:
        """Queue what changed."""
        if self.current is not None:
            self.current.update(snapshot, force)

    def renew(self, board: Board) -> None:
        """Follow a new config's history settings (nothing changes when they are the same)."""
        if board.history == self.settings:
            return
        self.settings = board.history
        if self.current is not None:
            self.current.close()
        self.current = self._made(board)

    def close(self, last: Optional[Snapshot] = None) -> None:
        """Keep the last snapshot's changes, then stop writing."""
        if self.current is not None:
            if last is not None:
                self.current.update(last)
            self.current.close()


class Outputs:
    """The board's outputs. `keep_files`: this run writes its state file, kept observations and history."""

    def __init__(self, board: Board, clock: Callable[[], float], notifier: Notifier, keep_files: bool,
                 mqtt_side: Callable[[], Any], counters: Callable[[], Dict[str, float]],
                 brightness: Callable[[], float], kind_states: Mapping[str, Sequence[str]]) -> None:
        self.board = board   # the config the history and the page are first made for
        self.clock = clock
        self.keep_files = keep_files
        self.files = Files(keep_files)
        self.writer = StateWriter(self.files, clock)
        self._page_parts = (counters, brightness, kind_states)   # read by kind (a kind's module on first use)
        self.outputs: List[Output] = [StateFile(self.writer, clock()), KeptObservations(self.writer),
                                      MqttOut(mqtt_side), SystemdStatus(notifier)]
        self._late_lock = threading.Lock()
        self._web: Optional["WebOut"] = None
        self._history: Optional[HistoryOut] = None

    def late(self) -> "WebOut":
        """Make the outputs that wait for the first frame (or for their first use): the history and the page."""
        with self._late_lock:
            if self._web is None:
                from statusboard.web.output import WebOut
                history = HistoryOut(self.board, self.keep_files, self.clock)
                counters, brightness, kind_states = self._page_parts
                self._web = WebOut(lambda: history.path, counters, brightness, kind_states, self.clock)
                self._history = history
                self.outputs += [self._web, history]
            return self._web

    @property
    def web(self) -> "WebOut":
        """The board's page (made on first use)."""
        return self.late()

    @property
    def history(self) -> Optional["History"]:
        """The history of changes, if the board keeps one (made on first use)."""
        self.late()
        assert self._history is not None
        return self._history.current

    def restore(self, board: Board, record: Callable[[Observation], None]) -> None:
        """Show the observations kept by the last run at once, as stale, until fresh ones arrive."""
        kept = self.files.restore(board)
        for obs in kept:
            record(obs)
        if kept:
            log.info("showing %d observations kept from the last run (stale until checked again)", len(kept))

    def next_write(self) -> Optional[float]:
        """Seconds until the state file's next spaced write, if one waits."""
        return self.writer.next_write()

    def update(self, snapshot: Snapshot, force: bool = False) -> Snapshot:
        """Hand the snapshot to every output."""
        for output in list(self.outputs):
            output.update(snapshot, force)
        return snapshot

    def renew(self, board: Board) -> None:
        """A reload swapped the runtime in: each output follows the new config as it needs to."""
        self.board = board
        for output in list(self.outputs):
            output.renew(board)

    def close(self, board: Board, latest: Mapping[str, Observation], last: Callable[[], Snapshot]) -> None:
        """The board stops: keep the observations, stop the page, write the history's last changes."""
        self.writer.write_kept(board, latest, force=True)
        if self._web is not None:
            self._web.close()
        if self._history is not None:
            self._history.close(last())
