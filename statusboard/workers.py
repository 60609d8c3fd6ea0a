"""The check workers: at most `size` threads for the board's whole life, each job in flight at most once."""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Callable, List, Optional, Set

log = logging.getLogger(__name__)

STARVED_WINDOW = 300.0   # seconds a wait for a worker longer than the interval keeps being reported


class WorkerPool:
    """At most `size` daemon threads running submitted calls, for the board's whole life (across reloads);
    threads start only as they are needed. It also knows which jobs are in flight, so a job is never run twice
    at once, even by two schedulers around a reload, and notices when jobs wait longer than their interval."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._queue: "queue.SimpleQueue[Optional[Callable[[], None]]]" = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: List[threading.Thread] = []
        self._idle = 0
        self._in_flight: Set[str] = set()
        self._late: Set[str] = set()   # jobs that came due while still running: run again when they end
        self.starved_at: Optional[float] = None   # time.monotonic() of the last wait longer than an interval
        self.starved_wait = 0.0
        self.missed = 0   # times a job came due while its last run had not ended (a round it missed)

    def submit(self, call: Callable[[], None]) -> None:
        """Run call on a worker thread as soon as one is free."""
        with self._lock:
            grow = False
            if self._idle <= 0:   # only then can a new thread be needed; the dead ones are counted out first
                self._threads = [t for t in self._threads if t.is_alive()]
                grow = len(self._threads) < self.size
            if not grow:
                self._idle -= 1
        if grow:
            thread = threading.Thread(target=self._work, name=f"check-{len(self._threads)}", daemon=True)
            try:
                thread.start()
            except RuntimeError as exc:   # "can't start new thread": queue it for the workers there are
                with self._lock:
                    if not self._threads:
                        raise
                    self._idle -= 1
                log.warning("cannot start another check thread (%s); %d run the checks", exc, len(self._threads))
            else:
                with self._lock:
                    self._threads.append(thread)
        self._queue.put(call)

    def _work(self) -> None:
        while True:
            call = self._queue.get()
            if call is None:
                return
            try:
                call()
            except Exception:  # noqa: BLE001 - a worker outlives whatever one call does
                log.exception("a check worker caught an error")
            finally:
                with self._lock:
                    self._idle += 1

    def claim(self, name: str) -> bool:
        """Mark a job in flight; False (and it runs again when it ends) when it already is."""
        with self._lock:
            if name in self._in_flight:
                self._late.add(name)
                self.missed += 1
                return False
            self._in_flight.add(name)
            return True

    def busy(self) -> int:
        """How many jobs are running (or waiting for a worker) now."""
        with self._lock:
            return len(self._in_flight)

    def release(self, name: str) -> bool:
        """A job ended; True when it came due again meanwhile (it stays claimed and should run again now)."""
        with self._lock:
            if name in self._late:
                self._late.discard(name)
                return True
            self._in_flight.discard(name)
            return False

    def waited(self, seconds: float, interval: float) -> None:
        """Note how long a job waited for a worker; say so once when jobs wait longer than their interval."""
        if seconds <= interval:
            return
        with self._lock:
            now = time.monotonic()
            quiet = self.starved_at is None or now - self.starved_at > STARVED_WINDOW
            self.starved_at, self.starved_wait = now, max(seconds, self.starved_wait if not quiet else 0.0)
        if quiet:
            log.warning("checks wait %.0f s for a free worker, longer than their interval: %d run at once "
                        "(concurrency) and some are slow or hung; raise concurrency or shorten timeouts",
                        seconds, self.size)

    def starving(self) -> Optional[str]:
        """A line for people while checks have waited longer than their interval in the last few minutes."""
        with self._lock:
            if self.starved_at is None or time.monotonic() - self.starved_at > STARVED_WINDOW:
                return None
            return (f"checks waited up to {self.starved_wait:.0f} s for a free worker (concurrency {self.size}): "
                    "raise concurrency or shorten timeouts")

    def stop(self) -> None:
        """Ask every worker to end after its current call (daemon threads never hold up exit)."""
        for _ in self._threads:
            self._queue.put(None)
