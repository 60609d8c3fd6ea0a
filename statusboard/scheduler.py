"""When each polled target is checked: its own interval, a bounded number at once, and a round for --once."""

from __future__ import annotations

import heapq
import logging
import threading
import time
from dataclasses import dataclass, replace
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from statusboard.kinds.kind import BatchCheck, Check, Made, Source
from statusboard.model import Observation, Target
from statusboard.vocabulary import BOARD_STATES, UNKNOWN
from statusboard.workers import WorkerPool

log = logging.getLogger(__name__)

BATCH = 0.05     # jobs due within this many seconds of each other are handed to the workers together
GRACE = 2.0      # how long past its timeout a round waits for a check before giving up on it
MIN_SHARE = 0.5  # the least share of its timeout a check gets, however late it starts


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


def make_jobs(targets: Sequence[Target], checks: Mapping[str, Made]) -> List[Job]:
    """One job per polled target, except that a BatchCheck's targets are grouped (EC2: per profile and region);
    a pushed kind's targets (its check a Source, or none given here) have no job: their source writes to the
    table itself."""
    jobs: List[Job] = []
    groups: Dict[Tuple[str, object], List[Target]] = {}
    polled = {k for k, c in checks.items() if not isinstance(c, Source)}   # asked once a kind, not a target
    batches = {k: c for k, c in checks.items() if k in polled and isinstance(c, BatchCheck)}
    for target in targets:
        if target.kind not in polled:
            continue
        batch = batches.get(target.kind)
        if batch is not None:
            groups.setdefault((target.kind, batch.group(target)), []).append(target)
        else:
            jobs.append(Job(target.name, target.kind, (target,)))
    for (kind, key), members in groups.items():
        parts = [str(k) for k in (key if isinstance(key, tuple) else (key,)) if k]
        jobs.append(Job(f"{kind} {' '.join(parts) or 'default'}", kind, tuple(members)))
    return jobs


class Scheduler:
    """Runs the checks of a board and hands every observation to `record`."""

    def __init__(self, targets: Sequence[Target], checks: Mapping[str, Made],
                 record: Callable[[Observation], None], concurrency: int = 64,
                 clock: Callable[[], float] = time.time, pool: Optional[WorkerPool] = None) -> None:
        self.checks: Dict[str, Check] = {k: c for k, c in checks.items() if isinstance(c, Check)}
        self.batches: Dict[str, BatchCheck] = {k: c for k, c in checks.items() if isinstance(c, BatchCheck)}
        self.jobs = make_jobs(targets, checks)
        self.record = record
        self.clock = clock
        self.pool = pool or WorkerPool(concurrency)
        self._own_pool = pool is None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self.on_death: Optional[Callable[[], None]] = None   # told if the scheduling thread ever ends early
        self._ended = False

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
        batch = self.batches.get(job.kind)
        try:
            if batch is not None:
                results = batch.observe_batch(job.targets, deadline)
            else:
                results = [self.checks[job.kind].observe(job.targets[0], deadline)]
        except Exception as exc:  # a bug in a check must not take the board down
            log.exception("check %s failed", job.name)
            now = self.clock()
            results = [Observation.of(t.name, UNKNOWN, f"the check itself failed: {type(exc).__name__}: {exc}", now,
                                      BOARD_STATES) for t in job.targets]
        took = time.monotonic() - started
        results = [replace(obs, took=took) if obs.took is None else obs for obs in results]
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
        end = time.monotonic() + limit
        while not finished.wait(min(self.pool.nudge() or limit, max(0.0, end - time.monotonic()))):
            if time.monotonic() >= end:
                log.warning("some checks did not finish within %.1f s", limit)
                return

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
        # Every job is due at once at the start, so that a round is handed over together (and stays so: jobs of
        # the same interval keep the same rhythm); the pool runs it on as few workers as keep up.
        start = time.monotonic()
        due: List[Tuple[float, int]] = [(start, i) for i in range(len(self.jobs))]
        heapq.heapify(due)
        try:
            while not self._stop.is_set():
                if not due:   # every target is pushed: nothing to schedule until the board stops
                    self._stop.wait()
                    continue
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
        """Hand every job due now (or within BATCH) to the workers at once, then sleep until the next is due
        (or until the pool needs a nudge: queued jobs no worker takes)."""
        now = time.monotonic()
        while due[0][0] <= now + BATCH:
            when, index = heapq.heappop(due)
            job = self.jobs[index]
            nxt = when + job.interval
            if nxt <= now:  # fell behind (machine asleep?): keep the rhythm from now on
                nxt = now + job.interval
            heapq.heappush(due, (nxt, index))
            if self.pool.claim(job.name):
                self._submit(job, min(when, now))
            else:
                log.debug("%s: still running when due again; it runs again as soon as it ends", job.name)
        nudge = self.pool.nudge()
        wait = due[0][0] - time.monotonic()
        self._wake.wait(max(0.0, min(wait, nudge) if nudge is not None else wait))
        self._wake.clear()
