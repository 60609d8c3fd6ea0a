"""When each target is checked: its own interval, a bounded number at once, and a round for --once."""

from __future__ import annotations

import heapq
import logging
import queue
import threading
import time
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from statusboard.checks import Check
from statusboard.config import Target
from statusboard.observation import Observation
from statusboard.states import UNKNOWN

log = logging.getLogger(__name__)

SPREAD = 1.0   # the first checks are spread over this many seconds
GRACE = 2.0    # how long past its timeout a round waits for a check before giving up on it
MIN_SHARE = 0.5  # the least share of its timeout a check gets, however late it starts


class WorkerPool:
    """At most `size` daemon threads running submitted calls; threads start only as they are needed."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._queue: "queue.SimpleQueue[Optional[Callable[[], None]]]" = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: List[threading.Thread] = []
        self._idle = 0

    def submit(self, call: Callable[[], None]) -> None:
        """Run call on a worker thread as soon as one is free."""
        with self._lock:
            if self._idle == 0 and len(self._threads) < self.size:
                thread = threading.Thread(target=self._work, name=f"check-{len(self._threads)}", daemon=True)
                self._threads.append(thread)
                thread.start()
            else:
                self._idle -= 1
        self._queue.put(call)

    def _work(self) -> None:
        while True:
            call = self._queue.get()
            if call is None:
                return
            try:
                call()
            finally:
                with self._lock:
                    self._idle += 1

    def stop(self) -> None:
        """Ask every worker to end after its current call (daemon threads never hold up exit)."""
        for _ in self._threads:
            self._queue.put(None)


class Scheduler:
    """Runs the checks of a board and hands every observation to `record`."""

    def __init__(self, targets: Sequence[Target], checks: Mapping[str, Check],
                 record: Callable[[Observation], None], concurrency: int = 64,
                 clock: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.targets = {t.name: t for t in targets}
        self.checks = checks
        self.record = record
        self.clock = clock
        self.monotonic = monotonic
        self.pool = WorkerPool(concurrency)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._in_flight: Set[str] = set()
        self._lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None

    def _submit(self, target: Target, due: float, done: Optional[Callable[[], None]] = None) -> None:
        """Queue one check that was due at `due` (a time.monotonic() value)."""
        self.pool.submit(lambda: self._check(target, due, done))

    def _check(self, target: Target, due: float, done: Optional[Callable[[], None]] = None) -> None:
        # The deadline counts from when the check was due, so a round ends with its slowest timeout even
        # when checks wait for the CPU; one that waited long for a worker still gets half its timeout.
        deadline = max(due + target.timeout, time.monotonic() + target.timeout * MIN_SHARE)
        try:
            obs = self.checks[target.kind].observe(target, deadline)
        except Exception as exc:  # a bug in a check must not take the board down
            log.exception("check of %s failed", target.name)
            obs = Observation.of(target.name, UNKNOWN, f"the check itself failed: {type(exc).__name__}: {exc}",
                                 self.clock())
        finally:
            with self._lock:
                self._in_flight.discard(target.name)
        if not self._stop.is_set():
            self.record(obs)
        if done:
            done()

    def run_once(self) -> None:
        """Check every target once, all at once (within the bound), and return when all have answered."""
        pending = len(self.targets)
        lock = threading.Lock()
        finished = threading.Event()

        def done() -> None:
            nonlocal pending
            with lock:
                pending -= 1
                if pending == 0:
                    finished.set()

        if not self.targets:
            return
        due = time.monotonic()
        for target in self.targets.values():
            self._submit(target, due, done)
        longest = max(t.timeout for t in self.targets.values())
        waves = -(-len(self.targets) // self.pool.size)
        limit = longest * (1 + MIN_SHARE * (waves - 1)) + GRACE
        if not finished.wait(limit):
            log.warning("some checks did not finish within %.1f s", limit)

    def start(self) -> None:
        """Start checking in the background, each target on its own interval."""
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop scheduling; checks in flight are abandoned (their threads never block exit)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        self.pool.stop()

    def _loop(self) -> None:
        start = self.monotonic()
        count = max(1, len(self.targets))
        due: List[Tuple[float, int, str]] = [
            (start + SPREAD * i / count, i, name) for i, name in enumerate(self.targets)]
        heapq.heapify(due)
        while not self._stop.is_set() and due:
            when, order, name = due[0]
            now = self.monotonic()
            if when > now:
                self._wake.wait(when - now)
                self._wake.clear()
                continue
            heapq.heappop(due)
            target = self.targets[name]
            with self._lock:
                busy = name in self._in_flight
                if not busy:
                    self._in_flight.add(name)
            if busy:
                log.warning("%s: previous check still running; skipping this turn", name)
            else:
                self._submit(target, when)
            nxt = when + target.interval
            if nxt <= now:  # fell behind (machine asleep?): keep the rhythm from now on
                nxt = now + target.interval
            heapq.heappush(due, (nxt, order, name))

    def in_flight(self) -> Dict[str, bool]:
        """Which targets have a check running now."""
        with self._lock:
            return {name: name in self._in_flight for name in self.targets}
