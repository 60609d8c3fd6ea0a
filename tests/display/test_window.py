"""The window display under Xvfb, judged by the colours its canvas actually shows."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from typing import Iterator

import pytest

from statusboard.config.display import DisplaySettings
from statusboard.display import light
from statusboard.display.base import Frame, LegendEntry, blank
from statusboard.display.geometry import to_physical
from statusboard.errors import DisplayError
from tests.conftest import wait_for


@pytest.fixture(scope="module")
def screen() -> Iterator[str]:
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (tests/run.sh installs it)")
    try:
        import tkinter  # noqa: F401
    except ImportError:
        pytest.skip("this Python has no Tk")
    number = next(n for n in range(90, 190) if not os.path.exists(f"/tmp/.X{n}-lock"))
    proc = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.monotonic() + 15
    while not os.path.exists(f"/tmp/.X11-unix/X{number}"):
        if proc.poll() is not None or time.monotonic() > end:
            pytest.skip("Xvfb did not start")
        time.sleep(0.05)
    yield f":{number}"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def window(screen, monkeypatch):
    monkeypatch.setenv("DISPLAY", screen)
    from statusboard.display.window import WindowDisplay
    opened = []

    def make(settings):
        display = WindowDisplay(settings, title="test")
        opened.append(display)
        return display
    yield make
    for display in opened:
        display.close()


def lit(shape, pixels, brightness=1.0, legend=()):
    rows = [list(r) for r in blank(shape).pixels]
    for (x, y), rgb in pixels.items():
        rows[y][x] = rgb
    return Frame(tuple(tuple(r) for r in rows), brightness, tuple(legend))


def settle(display, frame, timeout=5.0):
    display.show(frame)
    end = time.monotonic() + timeout
    while display.shown != frame and time.monotonic() < end:
        time.sleep(0.02)
    assert display.shown == frame


def test_no_screen_is_one_clear_line(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    from statusboard.display.window import WindowDisplay
    with pytest.raises(DisplayError, match=r"no screen here \(\$DISPLAY is not set\): use --display terminal"):
        WindowDisplay(DisplaySettings())


def test_leds_show_the_frame_rotated_and_dimmed_like_the_hat(window):
    settings = DisplaySettings(layout="phat", rotation=90)   # 4 wide, 8 tall as the viewer sees it
    display = window(settings)
    frame = lit(settings.shape, {(0, 0): (0, 0, 255), (3, 7): (255, 0, 0)}, brightness=0.25)
    settle(display, frame)
    leds = display.led_colours()
    assert len(leds) == 4 and len(leds[0]) == 8, "the physical pHAT is 8 wide and 4 tall"
    bx, by = to_physical(0, 0, "phat", 90)
    rx, ry = to_physical(3, 7, "phat", 90)
    from statusboard.display.window import OFF_LED, shown_colour
    blue, red = shown_colour((0, 0, 255), 0.25), shown_colour((255, 0, 0), 0.25)
    assert blue == light.seen((0, 0, 255), 0.25) or light.luminance(blue) < 0.15, "what the HAT shows, dim ones lifted"
    assert leds[by][bx] == "#%02x%02x%02x" % blue and blue[2] > 4 * max(blue[:2]), "blue"
    assert leds[ry][rx] == "#%02x%02x%02x" % red and 0 < red[0] < 255 and red[1:] == (0, 0)
    others = {c for y, row in enumerate(leds) for x, c in enumerate(row) if (x, y) not in ((bx, by), (rx, ry))}
    assert others == {OFF_LED}


@pytest.mark.parametrize("layout, rotation, physical", [("hd", 90, (16, 16)), ("mini", 0, (17, 7)),
                                                       ("mini", 270, (17, 7))])
def test_the_hd_and_mini_are_drawn_in_their_own_shape(window, layout, rotation, physical):
    settings = DisplaySettings(driver="window", layout=layout, rotation=rotation)
    display = window(settings)
    width, height = settings.shape
    settle(display, lit(settings.shape, {(width - 1, height - 1): (0, 255, 0)}, brightness=0.4))
    leds = display.led_colours()
    assert (len(leds[0]), len(leds)) == physical
    x, y = to_physical(width - 1, height - 1, layout, rotation)
    from statusboard.display.window import shown_colour
    assert leds[y][x] == "#%02x%02x%02x" % shown_colour((0, 255, 0), 0.4)


def test_hover_names_target_state_detail_and_age(window):
    display = window(DisplaySettings())
    entry = LegendEntry(2, 1, "api", "down", "HTTP 503 in 120 ms", (255, 0, 0), time.time() - 7)
    settle(display, lit((8, 8), {(2, 1): (255, 0, 0)}, legend=[entry]))
    display.in_window(lambda: display.canvas.event_generate("<Motion>", x=12 + 2 * 44 + 22, y=12 + 44 + 22))
    tip = display.in_window(lambda: display.tip.cget("text"))
    legend = display.legend_text()
    assert tip == "api: down: HTTP 503 in 120 ms (checked 7 s ago)"
    assert "[2,1] api" in legend
    display.in_window(lambda: display.canvas.event_generate("<Motion>", x=12 + 22, y=12 + 22))
    assert display.in_window(lambda: display.tip.cget("text")) == "", "an unused LED says nothing"


@pytest.mark.parametrize("recorded", [False, True], ids=["window", "window-recorded"])
def test_closing_the_window_stops_the_board(window, web, tmp_path, recorded):
    from statusboard.daemon import Runner
    from statusboard.display.record import Recorder
    from statusboard.kinds import parse
    board = parse(f"targets: {{a: {{pixel: [0, 0], http: 'http://127.0.0.1:{web.port}/ok'}}}}\n")
    display = window(board.display)
    runner = Runner(board, Recorder(display, str(tmp_path / "frames.jsonl")) if recorded else display)
    thread = threading.Thread(target=runner.run)
    thread.start()
    wait_for(lambda: display.shown is not None, what="the board drawn")
    # What Tk does when the window manager's close button is pressed: run the WM_DELETE_WINDOW protocol.
    display.in_window(lambda: display.root.tk.eval(display.root.protocol("WM_DELETE_WINDOW")))
    thread.join(timeout=5)
    assert not thread.is_alive(), "closing the window stopped the board"


def test_the_window_fits_its_screen_and_can_be_resized(window):
    """A 1024-pixel screen and details of 400 characters: the window stays on the screen, each detail ends with
    an ellipsis, hovering its LED shows it whole, and a narrower window cuts the details shorter."""
    settings = DisplaySettings(layout="hat")
    display = window(settings)
    long = "HTTP 503 in 12 ms: " + "the upstream said why at great length " * 10
    legend = tuple(LegendEntry(i, 0, f"target-{i}", "down", long, (255, 0, 0), letter="D") for i in range(8))
    settle(display, lit(settings.shape, {(i, 0): (255, 0, 0) for i in range(8)}, legend=legend))

    def measure():
        display.root.update_idletasks()
        return display.root.winfo_width(), display.root.winfo_reqwidth(), display.legend.get("1.0", "end-1c")
    width, asked, text = display.in_window(measure)
    assert max(width, asked) <= 1024, f"the window asks for {asked} px on a 1024-pixel screen"
    lines = text.splitlines()
    assert len(lines) == 8 and all(line.endswith("…") for line in lines), "cut with an ellipsis"
    assert display.in_window(lambda: display.root.resizable()) == (True, True)

    def hover():
        x, y = to_physical(3, 0, "hat", 0)
        display.canvas.event_generate("<Motion>", x=12 + x * 44 + 22, y=12 + y * 44 + 22)
        display.root.update()
        return display.tip.cget("text")
    assert long in display.in_window(hover), "the whole detail on hover"

    def narrow():
        display.root.geometry("640x480")
        display.root.update()
        return display.root.winfo_width(), display.legend.get("1.0", "end-1c")
    width, text = wait_for(lambda: (lambda got: got if got[0] == 640 else None)(display.in_window(narrow)),
                           what="the window resized")
    shorter = text.splitlines()
    assert all(len(a) < len(b) for a, b in zip(shorter, lines)), "a narrower window cuts the details shorter"


@pytest.mark.parametrize("layout", ["hd", "mini"])
def test_a_large_board_fits_1024x768_and_its_legend_scrolls_and_says_how_many_rows(window, layout):
    settings = DisplaySettings(layout=layout)
    display = window(settings)
    width, height = settings.shape
    count = width * height
    legend = tuple(LegendEntry(n % width, n // width, f"target-{n}", "insufficient-data" if n % 5 else "up",
                               f"detail {n}", (0, 160, 255), letter="n" if n % 5 else "U") for n in range(count))
    settle(display, lit(settings.shape, {(e.x, e.y): (0, 160, 255) for e in legend}, 0.4, legend))

    def measure():
        display.root.update()
        return (display.root.winfo_reqwidth(), display.root.winfo_reqheight(), display.header.cget("text"),
                display.legend.yview(), display.scroll.winfo_ismapped(), display.legend.cget("width"))
    asked_width, asked_height, header, view, scrolls, chars = display.in_window(measure)
    assert asked_width <= 1024 and asked_height <= 768 - 40, f"{asked_width}x{asked_height} on a 1024x768 screen"
    shown = int(re.fullmatch(rf"{count} targets, (\d+) shown: scroll for the rest", header).group(1))
    assert 6 <= shown < count
    lines = display.legend_text().splitlines()
    assert len(lines) == count, "every row is in the legend, a scroll away"
    assert view[0] == 0.0 and view[1] < 1.0 and scrolls
    for text in lines:   # the state whole, in its column, never in the detail, and inside what the legend shows
        got = re.fullmatch(r"[nU] \[\d+,\d+\] +\S+ +(insufficient-data|up)(  \S.*)?", text)
        assert got and got.end(1) <= int(chars), f"{text!r} in a legend {chars} characters wide"


def test_each_lit_led_carries_its_letter_and_l_turns_them_off(window):
    display = window(DisplaySettings())
    legend = (LegendEntry(2, 1, "api", "down", "HTTP 503", (255, 0, 0), letter="D"),
              LegendEntry(3, 1, "web", "up", "HTTP 200", (0, 255, 0), letter="U"))
    settle(display, lit((8, 8), {(2, 1): (255, 0, 0), (3, 1): (0, 255, 0)}, 0.4, legend))

    def letters():
        return {p: display.canvas.itemcget(i, "text") for p, i in display.letters.items()
                if display.canvas.itemcget(i, "text")}
    assert display.in_window(letters) == {(2, 1): "D", (3, 1): "U"}
    key = display.in_window(lambda: display.key.cget("text"))
    assert "D down" in key and "U up" in key
    display.in_window(lambda: (display.root.focus_force(), display.root.event_generate("<KeyPress-l>"),
                               display.root.update()))
    assert display.in_window(letters) == {}


@pytest.mark.parametrize("brightness", [0.4, 0.05], ids=["day", "night"])
def test_a_stale_led_is_at_least_2_to_1_against_an_unlit_one(window, brightness):
    from statusboard.render import colour_of
    from statusboard.table import Status
    from statusboard.vocabulary import Severity
    from tests.conftest import board_from
    board = board_from("targets: {a: {pixel: [0, 0], ping: 127.0.0.1}}")
    display = window(DisplaySettings())
    stale = {state: colour_of(board, Status("stale", Severity.UNKNOWN, "", 0.0, last=state))
             for state in ("running", "up", "down", "slow", "unknown")}
    fresh = {(i, 1): board.colour(state) for i, state in enumerate(stale)}
    legend = [LegendEntry(i, 0, f"t{i}", "stale", "no result for 60 s", rgb, letter="~")
              for i, rgb in enumerate(stale.values())]
    settle(display, lit((8, 8), {**{(i, 0): rgb for i, rgb in enumerate(stale.values())}, **fresh}, brightness,
                        legend))
    leds = display.led_colours()
    off = leds[7][7]

    def rgb(text):
        return tuple(int(text[i:i + 2], 16) for i in (1, 3, 5))
    for i, state in enumerate(stale):
        x, y = to_physical(i, 0, "hat", 0)
        ratio = light.contrast(rgb(leds[y][x]), rgb(off))
        assert ratio >= 2, f"stale after {state}: {ratio:.2f}:1 against an unlit LED at brightness {brightness}"
        fx, fy = to_physical(i, 1, "hat", 0)
        if state != "unknown":
            assert len(set(rgb(leds[y][x]))) == 1 and len(set(rgb(leds[fy][fx]))) > 1, \
                f"stale after {state} is grey, never its state's colour"


def test_a_long_state_name_never_runs_into_the_detail(window):
    display = window(DisplaySettings())
    legend = (LegendEntry(0, 0, "api-alarms", "insufficient-data", "1 of 2 ok", (0, 90, 110), letter="n"),
              LegendEntry(1, 0, "web", "up", "HTTP 200 in 3 ms", (0, 255, 0), letter="U"))
    settle(display, lit((8, 8), {(0, 0): (0, 90, 110), (1, 0): (0, 255, 0)}, 0.4, legend))
    first, second = display.legend_text().splitlines()
    assert first.index("1 of 2 ok") == second.index("HTTP 200") == first.index("insufficient-data") + 17 + 2
