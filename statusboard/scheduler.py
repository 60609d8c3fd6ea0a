"""When each target is checked: its own interval, a bounded number at once, and a round for --once."""

from __future__ import annotations

import heapq
import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from statusboard.checks import Check
from statusboard.config import Target
from statusboard.observation import Observation
from statusboard.states import UNKNOWN

log = logging.getLogger(__name__)

SPREAD = 1.0     # the first checks are spread over this many seconds
GRACE = 2.0      # how long past its timeout a round waits for a check before giving up on it
MIN_SHARE = 0.5  # the least share of its timeout a check gets, however late it starts


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
                return False
            self._in_flight.add(name)
            return True

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


@dataclass(frozen=True)
class Job:
    """What is scheduled: one target, or every target a batched check answers for in one go."""

    name: str
    kind: str
    targets: Tuple[Target, ...]

    @property
    def interval(self) -> float:
        """The shortest interval among its targets."""
        return min(t.interval for t in self.targets)

    @property
    def timeout(self) -> float:
        """The longest timeout among its targets."""
        return max(t.timeout for t in self.targets)


def make_jobs(targets: Sequence[Target], checks: Mapping[str, Check]) -> List[Job]:
    """One job per target, except that a batched check's targets are grouped (EC2: per profile and region)."""
    jobs: List[Job] = []
    groups: Dict[Tuple[str, object], List[Target]] = {}
    for target in targets:
        check = checks[target.kind]
        if getattr(check, "batched", False):
            groups.setdefault((target.kind, check.group(target)), []).append(target)  # type: ignore[attr-defined]
        else:
            jobs.append(Job(target.name, target.kind, (target,)))
    for (kind, key), members in groups.items():
        parts = [str(k) for k in (key if isinstance(key, tuple) else (key,)) if k]
        jobs.append(Job(f"{kind} {' '.join(parts) or 'default'}", kind, tuple(members)))
    return jobs


class Scheduler:
    """Runs the checks of a board and hands every observation to `record`."""

    def __init__(self, targets: Sequence[Target], checks: Mapping[str, Check],
                 record: Callable[[Observation], None], concurrency: int = 64,
                 clock: Callable[[], float] = time.time, pool: Optional[WorkerPool] = None) -> None:
        self.checks = checks
        self.jobs = make_jobs(targets, checks)
        self.record = record
        self.clock = clock
        self.pool = pool or WorkerPool(concurrency)
        self._own_pool = pool is None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._urgent: Set[str] = set()
        self.on_death: Optional[Callable[[], None]] = None   # told if the scheduling thread ever ends early
        self._ended = False
        for kind, check in checks.items():
            if hasattr(check, "on_news"):   # a check fed by pushed messages (mqtt) asks to run at once
                check.on_news = lambda kind=kind: self.run_now(kind)  # type: ignore[attr-defined]

    def run_now(self, kind: str) -> None:
        """Run the jobs of this kind as soon as they are free (safe from any thread)."""
        self._urgent.add(kind)
        self._wake.set()

    def _submit(self, job: Job, due: float, done: Optional[Callable[[], None]] = None) -> None:
        """Queue one job that was due at `due` (a time.monotonic() value); it is claimed already."""
        try:
            self.pool.submit(lambda: self._run(job, due, done))
        except Exception:  # noqa: BLE001 - not even one worker: the job is checked when next due
            self.pool.release(job.name)
            log.exception("%s: could not be started", job.name)
            if done:
                done()

    def _run(self, job: Job, due: float, done: Optional[Callable[[], None]] = None) -> None:
        # The deadline counts from when the check was due, so a round ends with its slowest timeout even
        # when checks wait for the CPU; one that waited long for a worker still gets half its timeout.
        started = time.monotonic()
        self.pool.waited(started - due, job.interval)
        deadline = max(due + job.timeout, started + job.timeout * MIN_SHARE)
        check = self.checks[job.kind]
        try:
            if len(job.targets) > 1 or getattr(check, "batched", False):
                results = check.observe_batch(job.targets, deadline)  # type: ignore[attr-defined]
            else:
                results = [check.observe(job.targets[0], deadline)]
        except Exception as exc:  # a bug in a check must not take the board down
            log.exception("check %s failed", job.name)
            now = self.clock()
            results = [Observation.of(t.name, UNKNOWN, f"the check itself failed: {type(exc).__name__}: {exc}", now)
                       for t in job.targets]
        try:
            if not self._stop.is_set():
                for obs in results:
                    self.record(obs)
        finally:
            if self.pool.release(job.name):
                if self._stop.is_set():
                    self.pool.release(job.name)
                else:   # it came due while running (its timeout is as long as its interval): go again now
                    self._submit(job, time.monotonic())
            if done:
                done()

    def run_once(self) -> None:
        """Run every job once, all at once (within the bound), and return when all have answered."""
        if not self.jobs:
            return
        pending = len(self.jobs)
        lock = threading.Lock()
        finished = threading.Event()

        def done() -> None:
            nonlocal pending
            with lock:
                pending -= 1
                if pending == 0:
                    finished.set()

        due = time.monotonic()
        for job in self.jobs:
            if self.pool.claim(job.name):
                self._submit(job, due, done)
            else:
                done()
        longest = max(job.timeout for job in self.jobs)
        waves = -(-len(self.jobs) // self.pool.size)
        limit = longest * (1 + MIN_SHARE * (waves - 1)) + GRACE
        if not finished.wait(limit):
            log.warning("some checks did not finish within %.1f s", limit)

    def start(self) -> None:
        """Start checking in the background, each job on its own interval."""
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop scheduling; checks in flight are abandoned (their threads never block exit). A shared pool
        stays for the next scheduler: its bound holds for the board's whole life."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        if self._own_pool:
            self.pool.stop()

    def alive(self) -> bool:
        """Whether the scheduling thread runs (it is never expected to end before stop())."""
        return self._thread is not None and self._thread.is_alive() and not self._ended

    def _loop(self) -> None:
        start = time.monotonic()
        count = max(1, len(self.jobs))
        due: List[Tuple[float, int]] = [(start + SPREAD * i / count, i) for i in range(len(self.jobs))]
        heapq.heapify(due)
        try:
            while not self._stop.is_set() and due:
                try:
                    self._turn(due)
                except Exception:  # noqa: BLE001 - the loop outlives a bad turn; the board must not freeze
                    log.exception("scheduler: a turn failed; going on")
                    self._stop.wait(1.0)
        finally:
            self._ended = True
            if not self._stop.is_set() and self.on_death is not None:
                self.on_death()

    def _turn(self, due: List[Tuple[float, int]]) -> None:
        """Wait for the next due job, or start it."""
        while self._urgent:
            kind = self._urgent.pop()
            for job in self.jobs:
                if job.kind == kind and self.pool.claim(job.name):
                    self._submit(job, time.monotonic())
        when, index = due[0]
        now = time.monotonic()
        if when > now:
            self._wake.wait(when - now)
            self._wake.clear()
            return
        heapq.heappop(due)
        job = self.jobs[index]
        nxt = when + job.interval
        if nxt <= now:  # fell behind (machine asleep?): keep the rhythm from now on
            nxt = now + job.interval
        heapq.heappush(due, (nxt, index))
        if self.pool.claim(job.name):
            self._submit(job, when)
        else:
            log.debug("%s: still running when due again; it runs again as soon as it ends", job.name)
