"""A board's stop: the checks in flight get their moment to end (cli._checks_end), and nothing else is waited for."""

from __future__ import annotations

import threading
import time

from statusboard.cli import _checks_end
from statusboard.net.deadline import Deadline


def test_a_stop_waits_for_the_checks_in_flight_and_not_for_the_deadline_reaper_that_never_ends():
    with Deadline(time.monotonic() + 600):   # the reaper of the checks' deadlines: one thread, for the process's life
        pass
    assert any(t.name == "check-deadlines" and t.is_alive() for t in threading.enumerate())
    check = threading.Thread(target=time.sleep, args=(0.3,), name="check-0", daemon=True)   # a worker's check
    check.start()
    start = time.monotonic()
    _checks_end(20.0)
    waited = time.monotonic() - start
    assert not check.is_alive(), "the check in flight ended before the stop went on"
    assert waited < 10, f"waited {waited:.1f} s: for the reaper, which never ends, up to the whole limit"
