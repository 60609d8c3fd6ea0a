"""The check workers: at most `size` threads for the board's whole life, each job in flight at most once.

A round's checks are handed over together and run by as few workers as keep up: a job wakes a worker only when
none is awake, and more are woken (twice as many each time) only when the queue stops moving, that is when the
awake ones wait on the network. On loopback or a healthy network one or two workers run a whole round one check
after another, instead of a thread woken (and the GIL handed over) for every check.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Callable, Deque, List, Optional, Set

log = logging.getLogger(__name__)

STARVED_WINDOW = 300.0   # seconds a wait for a worker longer than the interval keeps being reported
PATIENCE = 0.02          # seconds queued jobs wait while no worker takes one, before more workers are woken


def _computing(threads: Set[int]) -> bool:
    """Whether one of these threads (native ids) is running or runnable (Linux's /proc says R), rather than
    sleeping on a socket or a lock; False where that cannot be read."""
    for tid in threads:
        try:
            with open(f"/proc/self/task/{tid}/stat", "rb") as stat:
                if stat.read().rsplit(b")", 1)[1].split()[0] == b"R":
                    return True
        except (OSError, IndexError):
            continue
    return False


class WorkerPool:
    """At most `size` daemon threads running submitted calls, for the board's whole life (across reloads);
    threads start only as they are needed, and are woken only as the queue needs them (nudge()). It also knows
    which jobs are in flight, so a job is never run twice at once, even by two schedulers around a reload, and
    notices when jobs wait longer than their interval."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        self._jobs: Deque[Callable[[], None]] = deque()
        self._threads: List[threading.Thread] = []
        self._asleep = 0                # workers waiting for a job, less those already woken
        self._moved = time.monotonic()  # when a job was last taken, or the queue last became non-empty
        self._running: Set[int] = set()  # native ids of the workers running a call
        self._closed = False
        self._in_flight: Set[str] = set()
        self._late: Set[str] = set()   # jobs that came due while still running: run again when they end
        self.starved_at: Optional[float] = None   # time.monotonic() of the last wait longer than an interval
        self.starved_wait = 0.0
        self.missed = 0   # times a job came due while its last run had not ended (a round it missed)

    def submit(self, call: Callable[[], None]) -> None:
        """Run call on a worker thread: one that is awake takes it after its current call; with none awake,
        one is woken (or started)."""
        with self._lock:
            if not self._jobs:
                self._moved = time.monotonic()
            self._jobs.append(call)
            if len(self._threads) - self._asleep <= 0:
                try:
                    self._wake(1)
                except RuntimeError:   # not even one worker: the job is not taken
                    self._jobs.pop()
                    raise

    def _wake(self, count: int) -> int:
        """Wake up to `count` sleeping workers, starting threads (within the bound) where none sleeps; the lock
        is held. How many were woken or started."""
        woken = min(count, self._asleep)
        if woken:
            self._asleep -= woken
            self._ready.notify(woken)
        if woken < count:
            self._threads = [t for t in self._threads if t.is_alive()]
        while woken < count and len(self._threads) < self.size:
            thread = threading.Thread(target=self._work, name=f"check-{len(self._threads)}", daemon=True)
            try:
                thread.start()
            except RuntimeError as exc:   # "can't start new thread": the workers there are run the queue
                if not self._threads:
                    raise
                log.warning("cannot start another check thread (%s); %d run the checks", exc, len(self._threads))
                break
            self._threads.append(thread)
            woken += 1
        return woken

    def nudge(self) -> Optional[float]:
        """Wake more workers when queued jobs have waited PATIENCE with none taken (the awake workers wait on
        the network): as many again as are awake. Seconds until it should be called again; None: nothing queued."""
        with self._lock:
            if not self._jobs:
                return None
            now = time.monotonic()
            stuck = now - self._moved
            if stuck < PATIENCE:
                return PATIENCE - stuck
            if _computing(self._running):   # a worker is busy on the CPU, not waiting: more would not help
                self._moved = now
                return PATIENCE
            awake = len(self._threads) - self._asleep
            try:
                self._wake(min(len(self._jobs), max(1, awake)))
            except RuntimeError:   # no thread at all can be started now: tried again at the next nudge
                pass
            self._moved = now
            return PATIENCE

    def _work(self) -> None:
        me = threading.get_native_id()
        while True:
            with self._lock:
                while not self._jobs and not self._closed:
                    self._asleep += 1
                    self._ready.wait()   # whoever wakes us has counted us awake
                if self._closed:
                    return
                call = self._jobs.popleft()
                self._moved = time.monotonic()
                self._running.add(me)
            try:
                call()
            except Exception:  # noqa: BLE001 - a worker outlives whatever one call does
                log.exception("a check worker caught an error")
            finally:
                with self._lock:
                    self._running.discard(me)

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
        with self._lock:
            self._closed = True
            self._asleep = 0
            self._ready.notify_all()

    def join(self, limit: float) -> None:
        """After stop(): give the calls in flight up to `limit` seconds to end (the idle workers end at once), so
        the interpreter does not exit under them: OpenSSL's exit handler frees what a check still reads while it
        loads the CA certificates, and the process dies with SIGSEGV (seen 1 stop in 60 when SIGTERM came at the
        first checks)."""
        end = time.monotonic() + limit
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, end - time.monotonic()))
