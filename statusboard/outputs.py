"""Where the board's state goes besides the LEDs: one Snapshot per turn of the main loop, handed to each output
(the state file, the kept observations, MQTT, systemd's status line), which decides itself what to send."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Mapping, Optional, Protocol, Tuple

from statusboard import files
from statusboard.config import Board
from statusboard.model import Observation
from statusboard.notify import Notifier
from statusboard.report import iso, report
from statusboard.table import Status
from statusboard.writer import StateWriter

STATE_VERSION = 2   # the state file's format (README: "The state file"); 1 had no "version"


@dataclass
class Snapshot:
    """The board at one moment: its config, every pixel's status, the newest observations, what is worth a
    warning, and the last reload; `document` is the state file's body, made once and only if asked for."""

    board: Board
    statuses: Mapping[str, Status]
    latest: Mapping[str, Observation]
    warnings: Tuple[str, ...] = ()
    last_reload: Optional[Dict[str, Any]] = None
    _document: Optional[Dict[str, Any]] = field(default=None, repr=False)

    @property
    def key(self) -> Tuple[Any, ...]:
        """What the document is made of: the same key, the same document."""
        return (self.board, self.statuses, self.warnings, self.last_reload)

    @property
    def document(self) -> Dict[str, Any]:
        """`run --once --json`'s document plus the last reload and the warnings."""
        if self._document is None:
            doc = report(self.board, self.statuses)
            doc.update({"config": self.board.path, "last_reload": self.last_reload, "warnings": list(self.warnings)})
            self._document = doc
        return self._document


class Output(Protocol):
    """One place the board's state goes."""

    def update(self, snapshot: Snapshot, force: bool = False) -> None:
        """Take the newest snapshot (force: send it even if it says nothing new)."""

    def renew(self, board: Board) -> None:
        """A reload swapped a new config in: follow it (an output that depends on none of it does nothing)."""


def summary(statuses: Mapping[str, Status]) -> str:
    """A one-line count of states for `systemctl status`: "12 targets: 10 up, 1 down, 1 unknown"."""
    counts = Counter(s.state for s in statuses.values())
    parts = ", ".join(f"{n} {state}" for state, n in counts.most_common())
    return f"{len(statuses)} targets: {parts}" if statuses else "no targets"


def status_line(snapshot: Snapshot) -> str:
    """systemd's one-line status: the counts, the warnings, and a refused reload until a good one follows."""
    line = summary(snapshot.statuses)
    for warning in snapshot.warnings:
        line += f"; {warning}"
    last = snapshot.last_reload
    if last is not None and not last["ok"]:
        problems = last["problems"]
        line += f"; RELOAD REFUSED ({len(problems)} problem{'s' if len(problems) != 1 else ''}): {problems[0]}"
    return line


class SystemdStatus(Output):
    """systemd's status line, sent when it changes."""

    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier
        self._sent: Optional[str] = None

    def update(self, snapshot: Snapshot, force: bool = False) -> None:
        """Send the status line if it changed."""
        line = status_line(snapshot)
        if force or line != self._sent:
            self._sent = line
            self.notifier.status(line)


class StateFile(Output):
    """state.json in the runtime directory, with this process named in it so `status` can tell a board that
    died; written when what it says changed (spaced by the writer), and on a heartbeat."""

    def __init__(self, writer: StateWriter, started: float) -> None:
        self.writer = writer
        self.started = started
        self._process = {"pid": os.getpid(), "pid_start": files.process_start(os.getpid()),
                         "boot_id": files.boot_id()}

    def update(self, snapshot: Snapshot, force: bool = False) -> None:
        """Write the state file if it is due."""
        self.writer.write_state(snapshot.key, lambda: self.document(snapshot), force)

    def document(self, snapshot: Snapshot) -> Dict[str, Any]:
        """The state file's whole body."""
        return {"version": STATE_VERSION, **snapshot.document, "started_at": iso(self.started), **self._process}


class KeptObservations(Output):
    """The newest observations, kept on disk for the next start (now and then: an SD card is spared)."""

    def __init__(self, writer: StateWriter) -> None:
        self.writer = writer

    def update(self, snapshot: Snapshot, force: bool = False) -> None:
        """Keep the observations if it is due."""
        self.writer.write_kept(snapshot.board, snapshot.latest, force)


class MqttOut(Output):
    """Every target's state to the broker, through the runtime's MQTT side (if it has one)."""

    def __init__(self, side: Callable[[], Any]) -> None:
        self.side = side   # the current runtime's MQTT side: a reload may change it

    def update(self, snapshot: Snapshot, force: bool = False) -> None:
        """Publish what changed (never waits on the network)."""
        side = self.side()
        if side is not None:
            side.update(snapshot.board, snapshot.statuses)

