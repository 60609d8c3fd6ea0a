"""A board's stop: the checks in flight get their moment to end (WorkerPool.join), and nothing else is waited for."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

# In a fresh interpreter (a test's own leftover workers would be waited for too): the reaper of the checks'
# deadlines, one thread for the process's life, and a worker's check in flight; then the stop's wait.
STOP = """
import json, threading, time
from statusboard.net.deadline import Deadline
from statusboard.workers import WorkerPool
with Deadline(time.monotonic() + 600):
    pass
pool = WorkerPool(4)
running = threading.Event()
pool.submit(lambda: (running.set(), time.sleep(0.3)))
pool.nudge()
running.wait(60)
check = next(t for t in threading.enumerate() if t.name == "check-0")
pool.stop()
start = time.monotonic()
pool.join(20.0)
print(json.dumps({"waited": time.monotonic() - start, "check": check.is_alive(),
                  "reaper": any(t.name == "check-deadlines" and t.is_alive() for t in threading.enumerate())}))
"""


def test_a_stop_waits_for_the_checks_in_flight_and_not_for_the_deadline_reaper_that_never_ends():
    done = subprocess.run([sys.executable, "-c", STOP], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["reaper"], "the reaper runs on after the stop's wait"
    assert not seen["check"], "the check in flight ended before the stop went on"
    assert seen["waited"] < 10, f"waited {seen['waited']:.1f} s: for the reaper, which never ends, up to the limit"
