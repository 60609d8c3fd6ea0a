"""The state table: failures held until fail_after, recovery at once, staleness, and the first check."""

from __future__ import annotations

from statusboard.kinds import STATES
from statusboard.model import Observation
from statusboard.table import StateTable
from statusboard.vocabulary import Severity
from tests.conftest import board_from

BOARD = board_from("""
    defaults: {interval: 10s, fail_after: 2}
    targets:
      api: {pixel: [0, 0], http: "http://127.0.0.1:1/"}
      now: {pixel: [1, 0], http: "http://127.0.0.1:1/", fail_after: 1}
""")


def obs(name, state, detail, at):
    """An observation seen at `at` on the test's clock, which stands for both the wall and monotonic clocks."""
    return Observation.of(name, state, detail, at, STATES, mono=at)


def test_unknown_until_first_check(clock):
    table = StateTable(BOARD.targets)
    status = table.status("api", clock())
    assert (status.state, status.severity, status.checked_at) == ("unknown", Severity.UNKNOWN, None)
    assert status.detail == "waiting for the first check"


def test_down_is_held_until_fail_after_then_recovers_at_once(clock):
    table = StateTable(BOARD.targets)
    table.record(obs("api", "up", "HTTP 200 in 3 ms", clock()))
    clock.step(10)
    table.record(obs("api", "down", "HTTP 503 in 4 ms", clock()))
    held = table.status("api", clock())
    assert held.state == "up" and held.detail == "1 failure, holding: HTTP 503 in 4 ms"
    assert held.checked_at == clock()
    clock.step(10)
    table.record(obs("api", "down", "HTTP 503 in 5 ms", clock()))
    assert table.status("api", clock()).state == "down"
    assert table.status("api", clock()).detail == "HTTP 503 in 5 ms"
    clock.step(10)
    table.record(obs("api", "up", "HTTP 200 in 2 ms", clock()))
    assert table.status("api", clock()).state == "up"


def test_fail_after_one_turns_down_at_once(clock):
    table = StateTable(BOARD.targets)
    table.record(obs("now", "up", "ok", clock()))
    table.record(obs("now", "down", "connection refused", clock()))
    assert table.status("now", clock()).state == "down"


def test_first_result_down_is_shown_at_once(clock):
    """With nothing good to hold on to, a failure is shown as it is."""
    table = StateTable(BOARD.targets)
    table.record(obs("api", "down", "connection refused", clock()))
    assert table.status("api", clock()).state == "down"


def test_a_slow_answer_resets_the_failure_count(clock):
    table = StateTable(BOARD.targets)
    table.record(obs("api", "up", "ok", clock()))
    table.record(obs("api", "down", "refused", clock()))
    table.record(obs("api", "slow", "HTTP 200 in 900 ms", clock()))
    table.record(obs("api", "down", "refused", clock()))
    assert table.status("api", clock()).state == "slow"


def test_old_data_goes_stale_never_keeping_a_healthy_colour(clock):
    table = StateTable(BOARD.targets)
    table.record(obs("api", "up", "HTTP 200 in 3 ms", clock()))
    clock.step(30)
    assert table.status("api", clock()).state == "up"
    clock.step(1)
    stale = table.status("api", clock())
    assert stale.state == "stale" and stale.severity is Severity.UNKNOWN
    assert stale.detail == "no result for 31 s; last up: HTTP 200 in 3 ms"
    table.record(obs("api", "up", "HTTP 200 in 3 ms", clock()))
    assert table.status("api", clock()).state == "up"


def test_the_listener_hears_every_result_and_no_strangers(clock):
    heard = []
    table = StateTable(BOARD.targets, heard.append)
    table.record(obs("nobody", "up", "", clock()))
    assert heard == []
    table.record(obs("api", "up", "", clock()))
    assert heard == [True]


def test_the_listener_is_told_when_a_pixel_would_change_not_for_a_detail(clock):
    """The main loop draws a change a person can see at once, and batches results that change only details."""
    heard = []
    table = StateTable(BOARD.targets, heard.append)
    table.record(obs("api", "up", "HTTP 200 in 3 ms", clock()))
    assert heard == [True], "the first result lights the pixel"
    clock.step(10)
    table.record(obs("api", "up", "HTTP 200 in 4 ms", clock()))
    table.record(obs("api", "down", "HTTP 503 in 4 ms", clock()))   # held: still up
    assert heard[1:] == [False, False]
    table.record(obs("api", "down", "HTTP 503 in 5 ms", clock()))
    assert heard[-1] is True, "held no more: red"
    clock.step(100)   # older than stale_after (3 intervals): the pixel shows stale until this result
    table.record(obs("api", "down", "HTTP 503 in 5 ms", clock()))
    assert heard[-1] is True, "stale to fresh"
