"""The renderer: colours per state, palette overrides, blinking at 1 Hz, stale pixels, unused pixels off."""

from __future__ import annotations

import itertools

import pytest

from statusboard.render import render
from statusboard.table import Status
from statusboard.kinds import STATES
from statusboard.vocabulary import Severity, StateInfo, merge, severity_in
from tests.conftest import board_from

BOARD = board_from("""
    display: {layout: phat, brightness: 0.3}
    palette: {up: "#00ff80", pending: [0, 200, 0]}
    targets:
      a: {pixel: [0, 0], http: "http://127.0.0.1:1/"}
      b: {pixel: [7, 3], ec2: i-0123456789abcdef0}
      c: {pixel: [3, 1], ping: 127.0.0.1}
""")


def st(state, detail="d"):
    return Status(state, severity_in(STATES, state), detail, 0.0)


def test_colours_palette_and_unused_pixels_off():
    frame = render(BOARD, {"a": st("up"), "b": st("stopped"), "c": st("down")}, 100.0)
    assert frame.shape == (8, 4) and frame.brightness == 0.3
    assert frame.pixels[0][0] == (0, 255, 128)   # palette override
    assert frame.pixels[3][7] == (255, 0, 0)
    assert frame.pixels[1][3] == (255, 0, 0)
    lit = {(x, y) for y, row in enumerate(frame.pixels) for x, rgb in enumerate(row) if rgb != (0, 0, 0)}
    assert lit == {(0, 0), (7, 3), (3, 1)}


def test_transitional_states_blink_at_one_hertz():
    states = {"a": st("up"), "b": st("pending"), "c": st("up")}
    on = render(BOARD, states, 100.0)
    off = render(BOARD, states, 100.5)
    again = render(BOARD, states, 101.0)
    assert on.pixels[3][7] == (0, 200, 0) and off.pixels[3][7] == (0, 0, 0) and again == on
    assert on.pixels[0][0] == off.pixels[0][0] == (0, 255, 128)   # steady states do not blink
    assert off.legend[-1].colour == (0, 200, 0)                    # the legend names the real colour


def test_stale_pixels_show_their_last_colour_dimmed_never_the_healthy_one():
    stale = Status("stale", Severity.UNKNOWN, "no result for 95 s; last up: HTTP 200", 0.0, last="up")
    frame = render(BOARD, {"a": stale, "b": st("unknown"), "c": st("up")}, 0.0)
    assert frame.pixels[0][0] == (0, 51, 26)    # the palette's up, #00ff80, at a fifth
    assert frame.pixels[3][7] == (90, 90, 90)   # unknown: dim grey
    assert frame.legend[0].colour == (0, 51, 26)


def test_a_palette_colour_for_stale_replaces_the_dimming():
    board = board_from("""
        palette: {stale: purple}
        targets: {a: {pixel: [0, 0], ping: 127.0.0.1}}
    """)
    stale = Status("stale", Severity.UNKNOWN, "old", 0.0, last="up")
    assert render(board, {"a": stale}, 0.0).pixels[0][0] == (110, 0, 160)


def test_legend_in_reading_order_with_details():
    frame = render(BOARD, {"a": st("up", "HTTP 200 in 3 ms"), "b": st("running"), "c": st("slow")}, 0.0)
    assert [(e.x, e.y, e.name) for e in frame.legend] == [(0, 0, "a"), (3, 1, "c"), (7, 3, "b")]
    assert frame.legend[0].detail == "HTTP 200 in 3 ms"


def test_every_state_of_every_kind_has_a_letter_of_its_own_and_kinds_agree_on_shared_ones():
    letters = [info.letter for info in STATES.values()]
    assert len(set(letters)) == len(letters), "the plain-text board tells every state apart"
    same = [(a, b) for (a, x), (b, y) in itertools.combinations(STATES.items(), 2)
            if x.letter.lower() == y.letter.lower()]
    assert not same, f"states whose letters differ only by case: {same}"
    assert all(len(letter) == 1 and letter.isprintable() and letter != " " for letter in letters)
    from statusboard.display.legendtext import STATE_WIDTH
    assert max(len(state) for state in STATES) <= STATE_WIDTH, "the legends' state column holds every state"
    assert Severity.TRANSITIONAL is severity_in(STATES, "stopping")
    other = StateInfo(Severity.OK, (1, 2, 3), "q")
    with pytest.raises(ValueError, match="'absent' is declared twice"):
        merge(STATES, {"absent": other})


def test_night_hours_dim_the_board_in_local_time(monkeypatch):
    import time
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    board = board_from("""
        display: {brightness: 0.5, night: {from: "22:00", to: "07:00", brightness: 0.05}}
        targets: {a: {pixel: [0, 0], ping: 127.0.0.1}}
    """)
    day = 1_800_000_000 - 1_800_000_000 % 86400 + 12 * 3600   # noon UTC
    night = day + 11 * 3600          # 23:00
    morning = day - 5 * 3600 - 1     # 06:59:59
    assert render(board, {"a": st("up")}, day).brightness == 0.5
    assert render(board, {"a": st("up")}, night).brightness == 0.05
    assert render(board, {"a": st("up")}, morning).brightness == 0.05
    assert render(board, {"a": st("up")}, morning + 1).brightness == 0.5
    monkeypatch.undo()
    time.tzset()
