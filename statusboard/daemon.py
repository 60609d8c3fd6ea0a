"""Wiring: board -> checks -> state table -> renderer -> display; the loop, signals, reload and kept state."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections import Counter
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from statusboard import statefile
from statusboard.checks import AWS_KINDS, Check, make_checks
from statusboard.config import Board, parse, read
from statusboard.controls import Controls
from statusboard.display.base import Display, Frame
from statusboard.errors import ConfigError, DisplayError, Problem
from statusboard.mqtt.board import MqttSide, mqtt_side
from statusboard.notify import Notifier
from statusboard.render import FIND_HZ, brightness_at, has_blinking, in_night_hours, render
from statusboard.report import iso, report
from statusboard.scheduler import Scheduler, WorkerPool
from statusboard.state import StateTable, Status
from statusboard.states import STALE
from statusboard.writer import StateWriter

log = logging.getLogger(__name__)

IDLE_MAX = 30.0    # the longest the main loop sleeps with nothing due (a running board's loop still turns)
QUIET = 0.03       # a change people can see is drawn this long after it came, with the results that came with it
COALESCE = 1.0     # results that change only details (a round's) are gathered this long and drawn together
SETTLE = 0.2       # a reload reads the config until two reads this far apart agree (an editor mid-save)
SETTLE_LIMIT = 5.0  # ... and refuses a file that keeps changing for this long

OpenDisplay = Callable[[Board], Display]


class _Cancelled(Exception):
    """The board is stopping: a reload in progress is dropped."""


class Runner:
    """One board running: its state table, its scheduler and the display it draws on.

    `clock` is wall-clock time, for people (checked_at, night hours); every age and interval is measured on
    time.monotonic(), as the checks stamp their observations, so a wall clock that jumps (a Pi has no
    real-time clock) changes nothing on the board.
    """

    def __init__(self, board: Board, display: Display, clock: Callable[[], float] = time.time,
                 checks: Optional[Mapping[str, Check]] = None, notifier: Optional[Notifier] = None,
                 open_display: Optional[OpenDisplay] = None, keep: bool = False) -> None:
        self.board = board
        self.display = display
        self.clock = clock
        self.notifier = notifier or Notifier("")
        self.open_display = open_display
        self.table = StateTable(board.targets)
        self.controls = Controls(on_change=lambda: self._wake())   # the table a reload made, too
        self._attach(display)
        self.mqtt = mqtt_side(board.mqtt)   # the broker link, before the checks that read from it
        self.checks: Dict[str, Check] = dict(checks) if checks is not None else self._checks_for(board, {}, self.mqtt)
        self.pool = WorkerPool(board.concurrency)   # one bound on checks in flight for the board's whole life
        self.scheduler = Scheduler(board.targets, self.checks, self.table.record, clock=clock, pool=self.pool)
        self.scheduler.on_death = self._wake
        self.last_frame: Optional[Frame] = None
        self.started = clock()
        self._pid_start = statefile.process_start(os.getpid())   # with the pid, names this process
        self.last_reload: Optional[Dict[str, Any]] = None
        self.reloads = 0
        self.failed = False   # set when the board stopped because a part of it died
        self._stop = threading.Event()
        self._reload = threading.Event()
        self._hurry = threading.Event()   # a stop or a reload: no waiting for more results first
        self.files = statefile.Files(keep)
        self.writer = StateWriter(self.files, clock)
        self._drawn_from: Optional[Tuple[Any, ...]] = None

    def _checks_for(self, board: Board, old: Mapping[str, Check], mqtt: Optional[MqttSide]) -> Dict[str, Check]:
        """Checks for a board, reusing old ones of the same kind (their ICMP probe, what the HTTP check read
        of the environment); mqtt targets read from the link of `mqtt`, the board's MQTT side."""
        kinds = {t.kind for t in board.targets}
        reuse = {k: c for k, c in old.items() if k in kinds}
        fresh = make_checks(kinds - set(reuse), self.clock, board.aws, mqtt.link if mqtt else None)
        return {**reuse, **fresh}

    def _attach(self, display: Display) -> None:
        """A display that can be closed by a person (a window) stops the board when it is."""
        if hasattr(display, "on_close"):
            display.on_close = self.stop  # type: ignore[attr-defined]
        if hasattr(display, "on_button"):   # a board with buttons (the Unicorn HAT Mini)
            display.on_button = self.press  # type: ignore[attr-defined]

    def press(self, button: str) -> None:
        """A button on the board was pressed (safe from the button's own thread)."""
        self.controls.press(button, in_night_hours(self.board, self.clock()))

    def draw(self) -> Dict[str, Status]:
        """Render the board now and show the frame if it differs from the last one."""
        statuses = self.table.snapshot(time.monotonic())
        adjust, now = self.controls.snapshot(), self.clock()
        # What the frame is made of; when none of it changed (an idle board's watchdog turn) the frame is the
        # same, and rendering it again is work for nothing.
        inputs = (self.board, statuses, adjust, brightness_at(self.board, now, adjust))
        moving = has_blinking(statuses) or adjust.finding(time.monotonic())
        if moving or inputs != self._drawn_from or self.last_frame is None:
            frame = render(self.board, statuses, now, adjust, time.monotonic())
            if frame != self.last_frame:
                self.display.show(frame)
                self.last_frame = frame
            self._drawn_from = inputs
        if self.mqtt is not None:
            self.mqtt.update(self.board, statuses)
        return statuses

    def once(self) -> Dict[str, Status]:
        """Check every target once, concurrently, draw one frame, and return the statuses."""
        self.scheduler.run_once()
        return self.draw()

    def _wake(self) -> None:
        """Turn the main loop now, without waiting for more results (from any thread)."""
        self.table.visible.set()
        self.table.changed.set()

    def stop(self) -> None:
        """Make run() return promptly (safe from a signal handler or another thread)."""
        self._stop.set()
        self._hurry.set()
        self._wake()

    def request_reload(self) -> None:
        """Re-read the config file at the next turn of the loop (safe from a signal handler)."""
        self._reload.set()
        self._hurry.set()
        self._wake()

    def run(self) -> None:
        """Check and draw until stop() is called (or a part of the board dies: then `failed` is set)."""
        self._restore()
        self.scheduler.start()
        statuses = self.draw()
        self._publish(statuses, force=True)
        self.notifier.ready(self.status_line(statuses))
        try:
            while not self._stop.is_set():
                # Cleared before anything is looked at: what comes meanwhile wakes the wait below at once.
                self._hurry.clear()
                self.table.changed.clear()
                self.table.visible.clear()
                if self._reload.is_set():
                    self._reload.clear()
                    self.reload()
                statuses = self.draw()
                self._publish(statuses)
                if not self.scheduler.alive() and not self._stop.is_set():
                    # Without its scheduler the board would show stale pixels for ever while the watchdog
                    # stays fed: stop, so that systemd (Restart=on-failure) starts it afresh.
                    log.critical("the scheduler thread has died: stopping the board so that it is restarted")
                    self.failed = True
                    break
                self.notifier.watchdog(time.monotonic())
                if self.table.changed.wait(self._next_wake(statuses)):
                    self._gather()
        finally:
            self.notifier.stopping()
            self.scheduler.stop()
            self.pool.stop()
            self.writer.keep(self.board, self.table.latest(), force=True)
            if self.mqtt is not None:
                self.mqtt.close()

    def _gather(self) -> None:
        """After a result: results that change only details are gathered for COALESCE, so a round costs one
        frame, unless a change a person can see comes (or a button, a stop, a reload); that is drawn once the
        results that came with it are in (QUIET)."""
        if not self.table.visible.is_set():
            self.table.visible.wait(COALESCE)
        self._hurry.wait(QUIET)

    def _next_wake(self, statuses: Mapping[str, Status]) -> float:
        """Seconds the loop may sleep: until the next thing that can change a pixel (a result wakes it at once;
        a blink, a flash, a result turning stale, a minute of night hours, the watchdog), never once a second
        for nothing."""
        now = time.monotonic()
        waits = [IDLE_MAX]
        write_in = self.writer.next_write()
        if write_in is not None:
            waits.append(write_in)   # the state file's next spaced write
        if self.notifier.watchdog_every is not None:
            waits.append(max(0.0, self.notifier.watchdog_every - (now - self.notifier.last_ping)))
        if has_blinking(statuses):
            waits.append(0.5 - (self.clock() % 0.5) + 0.001)
        if self.controls.snapshot().finding(now):
            waits.append(0.5 / FIND_HZ)
        if any(s.state == STALE for s in statuses.values()):
            waits.append(1.0)   # a stale pixel's detail counts the seconds since its last result
        stale_in = self.table.next_stale(now)
        if stale_in is not None:
            waits.append(stale_in + 0.01)
        if self.board.display.night is not None:
            waits.append(60.0 - (self.clock() % 60.0) + 0.01)   # night hours start and end on a minute
        return max(0.0, min(waits))

    def _settled_text(self, path: str) -> str:
        """The config's text once two reads SETTLE apart agree (an editor may still be writing it)."""
        text = read(path)
        give_up = time.monotonic() + SETTLE_LIMIT
        while True:
            if self._stop.wait(SETTLE):
                raise _Cancelled()
            again = read(path)
            if again == text:
                return text
            if time.monotonic() > give_up:
                raise ConfigError([Problem(path, None, "", f"still changing after {SETTLE_LIMIT:g} s (being "
                                                           "written?); reload again once it is saved")])
            text = again

    def reload(self) -> None:
        """Re-read the config: everything new is made ready before anything old stops, then swapped in one step;
        a config, check or display that cannot be made changes nothing."""
        self.notifier.reloading()
        self.reloads += 1
        display: Optional[Display] = None
        mqtt = self.mqtt
        try:
            board = parse(self._settled_text(self.board.path), self.board.path)
            fresh = set(AWS_KINDS)   # new AWS sessions read credentials and profiles added since the start
            if board.mqtt != self.board.mqtt:
                mqtt = mqtt_side(board.mqtt)   # a new broker, or none: its link is made first
                fresh.add("mqtt")
            checks = self._checks_for(board, {k: c for k, c in self.checks.items() if k not in fresh}, mqtt)
            table = StateTable(board.targets)
            scheduler = Scheduler(board.targets, checks, table.record, clock=self.clock, pool=self.pool)
            scheduler.on_death = self._wake
            if board.display != self.board.display and self.open_display is not None:
                display = self.open_display(board)   # opened before the old one closes
        except _Cancelled:
            return
        except Exception as exc:  # noqa: BLE001 - whatever goes wrong, the running board stays as it was
            if display is not None:
                display.close()
            if mqtt is not self.mqtt and mqtt is not None:
                mqtt.close()
            self._refuse(exc)
            return
        self.scheduler.stop()
        table.adopt(self.table)   # after the old checks stopped recording
        if display is not None:
            self.display.close()
            self.display = display
            self._attach(display)
            self.last_frame = None
        self.pool.size = board.concurrency
        if mqtt is not self.mqtt:
            if self.mqtt is not None:
                self.mqtt.close()
            self.mqtt = mqtt
        self.board, self.checks, self.table, self.scheduler = board, checks, table, scheduler
        scheduler.start()
        self.last_reload = {"n": self.reloads, "at": iso(self.clock()), "ok": True, "problems": []}
        log.info("reloaded %s: %d targets", board.path, len(board.targets))
        statuses = self.draw()
        self._publish(statuses, force=True)
        self.notifier.ready(self.status_line(statuses))

    def _refuse(self, exc: BaseException) -> None:
        """Log why a reload was refused, keep it in the state file and in systemd's status line."""
        if isinstance(exc, ConfigError):
            problems = [str(p) for p in exc.problems]
        elif isinstance(exc, DisplayError):
            problems = [str(exc)]
        else:
            log.exception("reload: unexpected error")
            problems = [f"{self.board.path}: could not be applied: {type(exc).__name__}: {exc}"]
        for problem in problems:
            log.error("reload: %s", problem)
        log.error("reload refused: still running on the config loaded before")
        self.last_reload = {"n": self.reloads, "at": iso(self.clock()), "ok": False, "problems": problems}
        statuses = self.table.snapshot(time.monotonic())
        self._publish(statuses, force=True)
        self.notifier.ready(self.status_line(statuses))

    def status_line(self, statuses: Mapping[str, Status]) -> str:
        """systemd's one-line status: the counts, checks starved of workers, and a refused reload until a good
        one follows."""
        line = summary(statuses)
        starving = self.pool.starving()
        if starving:
            line += f"; {starving}"
        if self.last_reload is not None and not self.last_reload["ok"]:
            problems = self.last_reload["problems"]
            line += f"; RELOAD REFUSED ({len(problems)} problem{'s' if len(problems) != 1 else ''}): {problems[0]}"
        return line

    def _restore(self) -> None:
        """Show the observations kept from the last run at once, as stale, until fresh ones arrive."""
        kept = self.files.restore(self.board)
        for obs in kept:
            self.table.record(obs)
        if kept:
            log.info("showing %d observations kept from the last run (stale until checked again)", len(kept))

    def document(self, statuses: Mapping[str, Status]) -> Dict[str, Any]:
        """The state file: the `run --once --json` document plus config path, start time, last reload, warnings,
        and this process (so `status` can tell a running board from one that has died)."""
        doc = report(self.board, statuses)
        doc.update({"config": self.board.path, "started_at": iso(self.started), "last_reload": self.last_reload,
                    "warnings": [w for w in [self.pool.starving()] if w],
                    "pid": os.getpid(), "pid_start": self._pid_start, "boot_id": statefile.boot_id()})
        return doc

    def _publish(self, statuses: Mapping[str, Status], force: bool = False) -> None:
        """Write the state file when what it says changed, and keep observations now and then."""
        self.writer.keep(self.board, self.table.latest(), force)
        self.writer.publish((self.board, statuses, self.pool.starving(), self.last_reload),
                            lambda: self.document(statuses),
                            lambda: self.notifier.status(self.status_line(statuses)), force)


def summary(statuses: Mapping[str, Status]) -> str:
    """A one-line count of states for `systemctl status`: "12 targets: 10 up, 1 down, 1 unknown"."""
    counts = Counter(s.state for s in statuses.values())
    parts = ", ".join(f"{n} {state}" for state, n in counts.most_common())
    return f"{len(statuses)} targets: {parts}" if statuses else "no targets"


def handle_signals(runner: Runner) -> None:
    """SIGTERM and SIGINT stop the board (LEDs off); SIGHUP re-reads the config."""
    def stop(signum: int, _frame: Any) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        runner.stop()

    def reload(_signum: int, _frame: Any) -> None:
        log.info("received SIGHUP, reloading %s", runner.board.path)
        runner.request_reload()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, reload)
