"""The scheduler, with real HTTP checks: concurrent rounds, a bound, own intervals, hung targets isolated."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter

from statusboard.kinds import make_checks
from statusboard.scheduler import Scheduler
from statusboard.table import StateTable
from tests.conftest import board_from, wait_for


def http_board(web_port, silent_port, fast=12, hung=4, interval="5s", timeout="1s", concurrency=64):
    lines = [f"concurrency: {concurrency}", f"defaults: {{interval: {interval}, timeout: {timeout}}}", "targets:"]
    for i in range(fast + hung):
        port, path = (silent_port, "") if i < hung else (web_port, "ok")
        lines.append(f"  t{i}: {{pixel: [{i % 8}, {i // 8}], http: 'http://127.0.0.1:{port}/{path}'}}")
    return board_from("\n".join(lines) + "\n")


class Recorder:
    def __init__(self):
        self.seen = []
        self.lock = threading.Lock()

    def __call__(self, obs):
        with self.lock:
            self.seen.append((time.monotonic(), obs))


def test_once_checks_every_target_concurrently(web, silent_port):
    board = http_board(web.port, silent_port, fast=12, hung=4)
    table = StateTable(board.targets)
    sched = Scheduler(board.targets, make_checks(["http"]), table.record, board.concurrency)
    start = time.monotonic()
    sched.run_once()
    took = time.monotonic() - start
    states = Counter(s.state for s in table.snapshot(time.monotonic()).values())
    assert states == {"up": 12, "down": 4}
    assert took < 1.8, "four hung targets with a 1 s timeout must time out together, not one after another"


def test_the_bound_is_kept(web, silent_port):
    board = http_board(web.port, silent_port, fast=0, hung=4, timeout="0.5s", concurrency=2)
    table = StateTable(board.targets)
    sched = Scheduler(board.targets, make_checks(["http"]), table.record, board.concurrency)
    earlier = set(threading.enumerate())
    start = time.monotonic()
    sched.run_once()
    took = time.monotonic() - start
    # Two at a time: the first wave runs its full 0.5 s; the second, due at the same moment, gets half.
    assert 0.7 < took < 1.3, took
    workers = [t for t in set(threading.enumerate()) - earlier if re.fullmatch(r"check-\d+", t.name)]
    assert len(workers) == 2, workers


def test_each_target_on_its_own_interval_and_a_hung_one_delays_no_other(web, silent_port):
    board = board_from(f"""
        targets:
          fast: {{pixel: [0, 0], interval: 0.2s, timeout: 0.2s, http: 'http://127.0.0.1:{web.port}/ok'}}
          hung: {{pixel: [1, 0], interval: 2s, timeout: 2s, http: 'http://127.0.0.1:{silent_port}/'}}
    """)
    record = Recorder()
    sched = Scheduler(board.targets, make_checks(["http"]), record, concurrency=4)
    start = time.monotonic()
    sched.start()
    fast = lambda: [t - start for t, o in record.seen if o.target == "fast"]  # noqa: E731
    wait_for(lambda: len(fast()) >= 5, timeout=1.8, what="five checks of the fast target before the hung one ends")
    sched.stop()
    fast = fast()
    assert fast[0] < 1.1, "first checks are spread over the first second"
    assert not any(o.target == "hung" for _, o in record.seen), "the hung check is still waiting for its deadline"


def test_a_broken_check_gives_unknown_not_a_dead_board(clock):
    class Broken:
        def observe(self, target, deadline=None):
            raise ZeroDivisionError("oops")

    board = board_from("targets: {a: {pixel: [0, 0], http: 'http://127.0.0.1:1/'}}\n")
    table = StateTable(board.targets)
    Scheduler(board.targets, {"http": Broken()}, table.record, clock=clock).run_once()
    status = table.status("a", time.monotonic())
    assert status.state == "unknown"
    assert status.detail == "the check itself failed: ZeroDivisionError: oops"
