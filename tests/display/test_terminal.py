"""The terminal display: 24-bit colour cells redrawn in place, and plain text when output is no terminal."""

from __future__ import annotations

import io
import logging
import re

from statusboard.config.display import DisplaySettings
from statusboard.display import light
from statusboard.display.base import Frame, LegendEntry, blank
from statusboard.display.terminal import TerminalDisplay
from statusboard.kinds import STATES


def bg(rgb, brightness):
    """The escape sequence of a cell showing rgb as the HAT does at this brightness."""
    r, g, b = light.seen(rgb, brightness)
    return f"\x1b[48;2;{r};{g};{b}m  "


def test_cells_follow_brightness_and_night_as_the_hat_does():
    out = io.StringIO()
    term = TerminalDisplay(DisplaySettings(layout="phat"), stream=out, colour=True)
    day, night = sample(), sample()
    night = type(night)(night.pixels, 0.05, night.legend)
    term.show(day)
    term.show(night)
    drawn = out.getvalue()
    assert bg((0, 255, 0), 0.4) in drawn and bg((0, 255, 0), 0.05) in drawn
    assert light.seen((0, 255, 0), 0.05) < light.seen((0, 255, 0), 0.4), "night is dimmer"
    assert light.seen((0, 255, 0), 0.05) != (0, 0, 0), "and still lit"


def sample(colour=(0, 255, 0), state="up"):
    rows = [list(r) for r in blank((8, 4)).pixels]
    rows[1][2] = colour
    legend = (LegendEntry(2, 1, "api", state, "HTTP 200 in 3 ms", colour, letter=STATES[state].letter),)
    return Frame(tuple(tuple(r) for r in rows), 0.4, legend)


def test_colour_cells_and_legend_redrawn_in_place():
    out = io.StringIO()
    term = TerminalDisplay(DisplaySettings(layout="phat"), stream=out, colour=True)
    term.show(sample())
    first = out.getvalue()
    assert bg((0, 255, 0), 0.4) in first
    assert "[2,1] api" in first and "HTTP 200 in 3 ms" in first
    assert first.startswith("\x1b[2J\x1b[H"), "the first drawing clears the screen"
    term.show(sample((255, 0, 0), "down"))
    second = out.getvalue()[len(first):]
    assert second.startswith("\x1b[H") and second.endswith("\x1b[J"), "the next ones paint over it in place"
    assert bg((255, 0, 0), 0.4) in second


def test_plain_text_when_not_a_terminal():
    out = io.StringIO()
    term = TerminalDisplay(DisplaySettings(layout="phat"), stream=out)
    term.show(sample())
    term.show(sample())   # same text: not written again
    text = out.getvalue()
    assert "\x1b" not in text and text.count("---") == 1
    assert text.splitlines()[2] == ". . U . . . . ."
    assert "[2,1] api" in text


def test_live_board_under_a_pseudo_terminal(tmp_path, web):
    """`run --display terminal` on a real pty: colour cells, redrawn in place, and Ctrl-C ends it cleanly."""
    import os
    import pty
    import select
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT

    config = tmp_path / "config.yaml"
    config.write_text(f"display: {{layout: phat}}\ntargets:\n"
                      f"  api: {{pixel: [2, 1], interval: 1s, timeout: 1s, http: 'http://127.0.0.1:{web.port}/ok'}}\n")
    main, child = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "statusboard", "run", "--display", "terminal", "-c", str(config)],
                            stdin=child, stdout=child, stderr=child, cwd=ROOT, close_fds=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color"})
    os.close(child)
    seen = b""
    end = time.monotonic() + 10
    # Read until a whole frame with the first result has arrived (a frame ends with "\x1b[J"), not just its start.
    while time.monotonic() < end and not (seen.count(b"\x1b[H") >= 2 and b"HTTP 200 in" in seen
                                          and seen.rstrip().endswith(b"\x1b[J")):
        if select.select([main], [], [], 0.2)[0]:
            try:
                seen += os.read(main, 65536)
            except OSError:
                break
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == 0
    os.close(main)
    text = seen.decode("utf-8", "replace")
    assert bg((0, 255, 0), 0.4) in text, "the api pixel is drawn green, as the HAT shows it at 0.4"
    assert "[2,1] api" in text and "HTTP 200 in" in text
    assert text.count("\x1b[H") >= 2, "redrawn in place from the top, not scrolled"


def test_the_hd_and_mini_shapes_in_plain_text():
    for layout, rotation, (width, height) in [("mini", 0, (17, 7)), ("mini", 90, (7, 17)), ("hd", 0, (16, 16))]:
        out = io.StringIO()
        term = TerminalDisplay(DisplaySettings(layout=layout, rotation=rotation, driver="terminal"), stream=out)
        rows = [list(r) for r in blank((width, height)).pixels]
        rows[height - 1][width - 1] = (0, 255, 0)
        legend = (LegendEntry(width - 1, height - 1, "edge", "up", "HTTP 200 in 3 ms", (0, 255, 0), letter="U"),)
        term.show(Frame(tuple(tuple(r) for r in rows), 0.4, legend))
        grid = out.getvalue().splitlines()[1:1 + height]
        assert [len(line.split()) for line in grid] == [width] * height, layout
        assert grid[-1].split()[-1] == "U"


class Tty(io.StringIO):
    """A terminal's stream: what a person's shell gives the board."""

    def isatty(self):
        return True


def test_a_full_hat_board_fits_an_80x24_terminal_with_its_log_under_it(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("LINES", "24")
    err = Tty()
    handler = logging.StreamHandler(err)
    logging.getLogger().addHandler(handler)
    try:
        out = Tty()
        term = TerminalDisplay(DisplaySettings(layout="hat"), stream=out)
        rows = [list(r) for r in blank((8, 8)).pixels]
        legend = []
        for n in range(16):   # the demo's board: 16 targets
            rows[n // 8][n % 8] = (0, 255, 0)
            legend.append(LegendEntry(n % 8, n // 8, f"target-{n}", "insufficient-data" if n == 3 else "up",
                                      f"detail of target {n} " + "x" * 60, (0, 255, 0)))
        frame = Frame(tuple(tuple(r) for r in rows), 0.4, tuple(legend))
        term.show(frame)
        logging.getLogger("statusboard.kinds.ec2").warning("EC2 (profile far): throttled by AWS")
        term.show(frame)
        term.close()
        last = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue().rsplit("\x1b[H", 1)[1])
        lines = last.split("\n")[:-1]
        assert len(lines) <= 23, f"{len(lines)} lines: the top would scroll out of an 80x24 terminal"
        assert all(len(line) <= 80 for line in lines)
        assert all(f"target-{n} " in last for n in range(16)), "every target is in the legend"
        assert lines[-1] == "WARNING statusboard.kinds.ec2: EC2 (profile far): throttled by AWS"
        assert err.getvalue() == "", "nothing is written across the board"
        logging.getLogger("statusboard").warning("after the board")
        assert "after the board" in err.getvalue(), "once it is closed, the log goes to the terminal again"
    finally:
        logging.getLogger().removeHandler(handler)


def test_a_legend_too_long_for_the_terminal_says_how_much_is_cut(monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    monkeypatch.setenv("LINES", "20")
    out = io.StringIO()
    term = TerminalDisplay(DisplaySettings(layout="hd"), stream=out, colour=True)
    rows = [list(r) for r in blank((16, 16)).pixels]
    legend = tuple(LegendEntry(n % 16, n // 16, f"t{n}", "up", "ok", (0, 255, 0)) for n in range(256))
    term.show(Frame(tuple(tuple(r) for r in rows), 0.4, legend))
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue())
    assert len(text.split("\n")[:-1]) <= 19
    assert re.search(r"… and \d+ more \(a taller terminal shows them\)", text)
