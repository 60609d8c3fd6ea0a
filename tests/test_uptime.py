"""The page's history summary: uptime over 24 h, 7 d and 30 d and the 24-hour bar, from a real SQLite history,
read whole once and then only what came since."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from statusboard.history import connect
from statusboard.vocabulary import Severity
from statusboard.web.uptime import BAR, SLOT, Uptime

SEVERITY = {"up": Severity.OK, "down": Severity.CRITICAL, "slow": Severity.WARNING, "stale": Severity.UNKNOWN}


def write(path: Path, *rows: tuple) -> None:
    db = connect(path)
    with db:
        db.executemany("INSERT INTO changes VALUES (?, ?, 'http', ?, '', 0.01)",
                       [(int(at * 1e6), target, state) for at, target, state in rows])
    db.close()


def summary(path: Path) -> Uptime:
    return Uptime(path, lambda state: SEVERITY.get(state, Severity.UNKNOWN))


def test_uptime_over_each_window_and_the_worst_state_of_each_half_hour(tmp_path):
    path = tmp_path / "history.sqlite3"
    now = (time.time() // SLOT) * SLOT + 600          # ten minutes into a half hour
    day = 86400.0
    write(path, (now - 20 * day, "api", "up"), (now - 10 * day, "api", "down"), (now - 9 * day, "api", "up"),
          (now - 2 * day, "api", "slow"), (now - 1.5 * day, "api", "up"),
          (now - 3 * 3600, "api", "down"), (now - 3 * 3600 + 60, "api", "up"),      # a minute's outage
          (now - 5 * 3600, "web", "stale"), (now - 4 * 3600, "web", "up"))
    answer = summary(path).answer(["api", "web", "new"], now)
    api = answer["targets"]["api"]["uptime"]
    window = {n: 600 + (n - 1) * SLOT for n in (48, 336)}     # whole half hours, and this one so far
    assert api["24h"] == pytest.approx(1 - 60 / window[48], abs=2e-5)
    assert api["7d"] == pytest.approx(1 - (0.5 * day + 60) / window[336], abs=2e-5), "a warning counts against"
    assert api["30d"] == pytest.approx(1 - (1.5 * day + 60) / (20 * day), abs=2e-5), "over the time known only"
    assert answer["targets"]["web"]["uptime"]["24h"] == 1.0, "stale time is left out, not counted down"
    assert answer["targets"]["new"] == {"uptime": {"24h": None, "7d": None, "30d": None}, "bar": [-1] * BAR}
    bar = [answer["states"][i] if i >= 0 else None for i in answer["targets"]["api"]["bar"]]
    assert len(bar) == BAR and bar[-1] == "up"
    assert bar[-7] == "down", "a minute's outage shows as its half hour's worst"
    assert bar.count("down") == 1
    web = [answer["states"][i] if i >= 0 else None for i in answer["targets"]["web"]["bar"]]
    assert web[:BAR - 11] == [None] * (BAR - 11) and web[-11] == "stale"


def test_later_changes_count_even_one_kept_after_a_newer_one_and_a_new_history_is_read_afresh(tmp_path):
    path = tmp_path / "history.sqlite3"
    now = time.time()
    write(path, (now - 7200, "api", "up"))
    uptime = summary(path)
    assert uptime.answer(["api"], now)["targets"]["api"]["uptime"]["24h"] == 1.0
    write(path, (now - 20, "api", "slow"))
    assert uptime.answer(["api"], now + 1)["targets"]["api"]["uptime"]["24h"] == pytest.approx(1 - 21 / 7201, abs=2e-5)
    write(path, (now - 30, "api", "down"))         # seen before the slow answer, kept a second after it
    answer = uptime.answer(["api"], now + 2)
    assert answer["targets"]["api"]["uptime"]["24h"] == pytest.approx(1 - 32 / 7202, abs=2e-5)
    assert answer["states"][answer["targets"]["api"]["bar"][-1]] == "down", "the half hour's worst"
    assert uptime.key == int((now - 7200) * 1e6), "the last two minutes are read afresh, the rest is kept"
    path.unlink()
    write(path, (now - 9000, "web", "up"))        # a history made anew (its keys begin again): read afresh
    answer = uptime.answer(["api", "web"], now + 3)
    assert answer["targets"]["api"]["uptime"]["24h"] is None and answer["targets"]["web"]["bar"][-1] >= 0


def test_a_step_of_the_wall_clock_reads_the_history_afresh(tmp_path):
    path = tmp_path / "history.sqlite3"
    now = time.time()
    write(path, (now - 7200, "api", "up"))
    wall = [now]
    uptime = Uptime(path, lambda state: SEVERITY.get(state, Severity.UNKNOWN), lambda: wall[0])
    uptime.answer(["api"], now)
    before = uptime.tracks["api"]
    time.sleep(0.2)
    uptime.answer(["api"], now)                    # the clocks went on together: what was read is kept
    assert uptime.tracks["api"] is before
    wall[0] += 3600                                # an hour on the wall clock, a moment on the monotonic one
    uptime.answer(["api"], now + 3600)
    assert uptime.tracks["api"] is not before
