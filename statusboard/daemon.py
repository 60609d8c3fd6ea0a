"""The main loop: it waits, draws, and hands each turn's snapshot to the outputs; signals stop it or reload it.

What a config makes (table, checks, scheduler, MQTT, display) is a Runtime (runtime.py), built whole and swapped
whole on reload; the outputs (outputset.py) follow the swap through renew(). The loop only waits and draws.
"""

from __future__ import annotations

import gc
import logging
import signal
import time
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from statusboard import config
from statusboard.config import Board
from statusboard.controls import Controls
from statusboard.display.base import Display, Frame
from statusboard.errors import ConfigError, DisplayError, Problem, reasons
from statusboard.kinds import KINDS, KindStates
from statusboard.kinds.kind import Kind
from statusboard.notify import Notifier
from statusboard.outputs import Snapshot, status_line
from statusboard.outputset import Outputs
from statusboard.render import FIND_HZ, brightness_at, has_blinking, in_night_hours, render
from statusboard.report import iso
from statusboard.runtime import OpenDisplay, Runtime
from statusboard.table import Status
from statusboard.vocabulary import STALE
from statusboard.waker import Waker
from statusboard.workers import WorkerPool

log = logging.getLogger(__name__)

IDLE_MAX = 30.0    # the longest the main loop sleeps with nothing due (a running board's loop still turns)
QUIET = 0.03       # a change people can see is drawn this long after it came, with the results that came with it
COALESCE = 1.0     # results that change only details (a round's) are gathered this long and drawn together
SETTLE = 0.2       # a reload reads the config until two reads this far apart agree (an editor mid-save)
SETTLE_LIMIT = 5.0  # ... and refuses a file that keeps changing for this long


class _Cancelled(Exception):
    """The board is stopping: a reload in progress is dropped."""


class Runner:
    """One board running: its runtime, the loop that draws it, and the outputs of its state.

    `clock` is wall-clock time, for people (checked_at, night hours); every age and interval is measured on
    time.monotonic(), as the checks stamp their observations, so a wall clock that jumps (a Pi has no
    real-time clock) changes nothing on the board.
    """

    def __init__(self, board: Board, display: Display, clock: Callable[[], float] = time.time,
                 notifier: Optional[Notifier] = None, open_display: Optional[OpenDisplay] = None,
                 keep_files: bool = False, kinds: Mapping[str, Kind] = KINDS) -> None:
        self.clock = clock
        self.kinds = kinds
        self.notifier = notifier or Notifier("")
        self.open_display = open_display
        self.waker = Waker()         # no lock: a signal handler wakes the loop too
        self.stopping = False        # set by stop(), read by the loop
        self.reload_asked = False    # set by request_reload(), read by the loop
        self.controls = Controls(on_change=lambda: self._wake())
        self.pool = WorkerPool(board.concurrency)   # one bound on checks in flight for the board's whole life
        self.runtime = Runtime(board, display, kinds, self.pool, self._result, clock, on_death=self._wake)
        self._attach(display)
        self.last_frame: Optional[Frame] = None
        self.last_reload: Optional[Dict[str, Any]] = None
        self.reloads = 0
        self.refused = 0
        self.failed = False   # set when the board stopped because a part of it died
        self.outputs = Outputs(board, clock, self.notifier, keep_files, lambda: self.runtime.mqtt, self.counters,
                               lambda: brightness_at(self.board, self.clock(), self.controls.snapshot()),
                               KindStates(kinds))
        self._drawn_from: Optional[Tuple[Any, ...]] = None

    def counters(self) -> Dict[str, float]:
        """The board's own counts, for /metrics."""
        return {"reloads": float(self.reloads), "reloads_refused": float(self.refused),
                "workers_busy": float(self.pool.busy()), "missed_rounds": float(self.pool.missed)}

    @property
    def board(self) -> Board:
        """The config the board runs on."""
        return self.runtime.board

    @property
    def display(self) -> Display:
        """The display the board draws on."""
        return self.runtime.display

    @property
    def table(self) -> Any:
        """The live table of what each pixel shows."""
        return self.runtime.table

    @property
    def scheduler(self) -> Any:
        """The scheduler of the polled checks."""
        return self.runtime.scheduler

    def _result(self, visible: bool) -> None:
        """A result came (from any thread): the loop turns, at once when a pixel changes."""
        self.waker.wake(visible=visible)

    def _attach(self, display: Display) -> None:
        """A display a person closes (a window) stops the board; its buttons (the Mini's) reach the board."""
        display.listen(self.stop, self.press)

    def press(self, button: str) -> None:
        """A button on the board was pressed (safe from the button's own thread)."""
        self.controls.press(button, in_night_hours(self.board, self.clock()))

    def draw(self) -> Dict[str, Status]:
        """Render the board now and show the frame if it differs from the last one."""
        board = self.board
        statuses = self.table.snapshot(time.monotonic())
        adjust, now = self.controls.snapshot(), self.clock()
        # What the frame is made of; when none of it changed (an idle board's watchdog turn) the frame is the
        # same, and rendering it again is work for nothing.
        inputs = (board, statuses, adjust, brightness_at(board, now, adjust))
        moving = has_blinking(statuses) or adjust.finding(time.monotonic())
        if moving or inputs != self._drawn_from or self.last_frame is None:
            frame = render(board, statuses, now, adjust, time.monotonic())
            if frame != self.last_frame:
                self.display.show(frame)
                self.last_frame = frame
            self._drawn_from = inputs
        return statuses

    def snapshot(self, statuses: Mapping[str, Status]) -> Snapshot:
        """The board now, for the outputs."""
        warnings = tuple(w for w in [self.pool.starving()] if w)
        return Snapshot(self.board, statuses, self.table.latest(), warnings, self.last_reload)

    def once(self) -> Dict[str, Status]:
        """Check every target once, concurrently, draw one frame, and return the statuses."""
        self.runtime.serve()
        self.scheduler.run_once()
        return self.draw()

    def _wake(self) -> None:
        """Turn the main loop now, without waiting for more results (from any thread)."""
        self.waker.wake(visible=True, hurry=True)

    def stop(self) -> None:
        """Make run() return promptly (safe from a signal handler or another thread: no lock is taken)."""
        self.stopping = True
        self._wake()

    def request_reload(self) -> None:
        """Re-read the config file at the next turn of the loop (safe from a signal handler: no lock is taken)."""
        self.reload_asked = True
        self._wake()

    def run(self) -> None:
        """Check and draw until stop() is called (or a part of the board dies: then `failed` is set)."""
        # The first frame comes first: the kept observations, as stale, before any check or output needs the
        # CPU (a Pi Zero's start is seconds of it); then the checks start, then the outputs that wait for it.
        self.restore()
        statuses = self.draw()
        if not gc.isenabled():   # the command's start (statusboard/__main__.py): what it made stays, untraversed
            gc.freeze()
            gc.enable()
        self.runtime.start()
        self.outputs.late()
        self.notifier.ready(status_line(self.outputs.update(self.snapshot(statuses), force=True)))
        try:
            while not self.stopping:
                # Cleared before anything is looked at: what comes meanwhile wakes the wait below at once.
                self.waker.clear()
                if self.reload_asked:
                    self.reload_asked = False
                    self.reload()
                statuses = self.draw()
                self.outputs.update(self.snapshot(statuses))
                if not self.scheduler.alive() and not self.stopping:
                    # Without its scheduler the board would show stale pixels for ever while the watchdog
                    # stays fed: stop, so that systemd (Restart=on-failure) starts it afresh.
                    log.critical("the scheduler thread has died: stopping the board so that it is restarted")
                    self.failed = True
                    break
                self.notifier.watchdog(time.monotonic())
                if self.waker.wait(self._next_wake(statuses)):
                    self._gather()
        finally:
            self.notifier.stopping()
            self.runtime.stop()
            self.pool.stop()
            self.outputs.close(self.board, self.table.latest(),
                               lambda: self.snapshot(self.table.snapshot(time.monotonic())))
            self.waker.close()

    def _gather(self) -> None:
        """After a result: results that change only details are gathered for COALESCE, so a round costs one
        frame, unless a change a person can see comes (or a button, a stop, a reload); that is drawn once the
        results that came with it are in (QUIET)."""
        self.waker.wait(COALESCE, lambda: self.waker.visible)
        self.waker.wait(QUIET, lambda: self.waker.hurry)

    def _next_wake(self, statuses: Mapping[str, Status]) -> float:
        """Seconds the loop may sleep: until the next thing that can change a pixel (a result wakes it at once;
        a blink, a flash, a result turning stale, a minute of night hours, the watchdog), never once a second
        for nothing."""
        now = time.monotonic()
        waits = [IDLE_MAX]
        write_in = self.outputs.next_write()
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
        text = config.read(path)
        give_up = time.monotonic() + SETTLE_LIMIT
        while True:
            if self.waker.wait(SETTLE, lambda: self.stopping):
                raise _Cancelled()
            again = config.read(path)
            if again == text:
                return text
            if time.monotonic() > give_up:
                raise ConfigError([Problem(path, None, "", f"still changing after {SETTLE_LIMIT:g} s (being "
                                                           "written?); reload again once it is saved")])
            text = again

    def reload(self) -> None:
        """Re-read the config: a whole new runtime is made ready before anything old stops, then swapped in one
        step; a config, check or display that cannot be made changes nothing."""
        self.notifier.reloading()
        self.reloads += 1
        old = self.runtime
        try:
            board = config.parse(self._settled_text(self.board.path), self.board.path, self.kinds)
            new = Runtime(board, old.display, self.kinds, self.pool, self._result, self.clock, previous=old,
                          open_display=self.open_display, on_death=self._wake)
        except _Cancelled:
            return
        except Exception as exc:  # noqa: BLE001 - whatever goes wrong, the running board stays as it was
            self._refuse(exc)
            return
        new.start(previous=old)
        self.runtime = new
        if new.display is not old.display:
            self._attach(new.display)
            self.last_frame = None
        self.pool.size = board.concurrency
        self.outputs.renew(board)
        self.last_reload = {"n": self.reloads, "at": iso(self.clock()), "ok": True, "problems": []}
        log.info("reloaded %s: %d targets", board.path, len(board.targets))
        statuses = self.draw()
        self.notifier.ready(status_line(self.outputs.update(self.snapshot(statuses), force=True)))

    def _refuse(self, exc: BaseException) -> None:
        """Log why a reload was refused, keep it in the state file and in systemd's status line."""
        if not isinstance(exc, (ConfigError, DisplayError)):
            log.exception("reload: unexpected error")
        problems = reasons(exc, self.board.path)
        for problem in problems:
            log.error("reload: %s", problem)
        log.error("reload refused: still running on the config loaded before")
        self.refused += 1
        self.last_reload = {"n": self.reloads, "at": iso(self.clock()), "ok": False, "problems": problems}
        self.notifier.ready(status_line(self.outputs.update(self.snapshot(self.table.snapshot(time.monotonic())),
                                                            force=True)))

    def restore(self) -> None:
        """Show the observations kept from the last run at once, as stale, until fresh ones arrive."""
        self.outputs.restore(self.board, self.table.record)


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
