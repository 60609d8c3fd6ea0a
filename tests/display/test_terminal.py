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
    return f"\x1b[48;2;{r};{g};{b}m"


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


def test_a_dumb_terminal_gets_plain_lines_not_escapes(monkeypatch):
    """TERM=dumb (Emacs' shell, a serial console) moves no cursor and shows no colour: escapes would be litter."""
    import os
    import pty
    main, child = pty.openpty()
    with open(child, "w", encoding="utf-8", closefd=True) as tty:
        assert tty.isatty()
        monkeypatch.setenv("TERM", "dumb")
        term = TerminalDisplay(DisplaySettings(layout="phat"), stream=tty)
        term.show(sample())
        term.close()
        tty.flush()
        text = os.read(main, 65536).decode("utf-8")
    os.close(main)
    assert "\x1b" not in text, text   # before: cursor moves and 24-bit colour, drawn as on an xterm
    assert ". . U . . . . ." in text and "[2,1] api" in text


def in_a_pty(tmp_path, targets: str, env=None, until=(b"HTTP 200 in",)) -> str:
    """What `run --display terminal` draws on a real pty until a whole frame holding each of `until` has
    arrived; then Ctrl-C, which must end it cleanly."""
    import os
    import pty
    import select
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT

    config = tmp_path / "config.yaml"
    config.write_text(f"display: {{layout: phat}}\ntargets:\n{targets}")
    main, child = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "statusboard", "run", "--display", "terminal", "-c", str(config)],
                            stdin=child, stdout=child, stderr=child, cwd=ROOT, close_fds=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color", **(env or {})})
    os.close(child)
    seen = b""
    end = time.monotonic() + 30
    # Read until a whole frame with the first result has arrived (a frame ends with "\x1b[J"), not just its start.
    while time.monotonic() < end and not (seen.count(b"\x1b[H") >= 2 and seen.rstrip().endswith(b"\x1b[J")
                                          and all(u in seen.rsplit(b"\x1b[H", 1)[-1] for u in until)):
        if select.select([main], [], [], 0.2)[0]:
            try:
                seen += os.read(main, 65536)
            except OSError:
                break
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == 0
    os.close(main)
    return seen.decode("utf-8", "replace")


def test_live_board_under_a_pseudo_terminal(tmp_path, web):
    """`run --display terminal` on a real pty: colour cells, redrawn in place, and Ctrl-C ends it cleanly."""
    text = in_a_pty(tmp_path, f"  api: {{pixel: [2, 1], interval: 1s, timeout: 1s, "
                              f"http: 'http://127.0.0.1:{web.port}/ok'}}\n")
    assert bg((0, 255, 0), 0.4) in text, "the api pixel is drawn green, as the HAT shows it at 0.4"
    assert "[2,1] api" in text and "HTTP 200 in" in text
    assert text.count("\x1b[H") >= 2, "redrawn in place from the top, not scrolled"
    last = text.rsplit("\x1b[H", 1)[1]
    assert re.search(re.escape(bg((0, 255, 0), 0.4)) + r"\x1b\[38;2;[0-9;]+mU \x1b\[0m \x1b\[48", last), \
        "the cell holds its letter, and a gap of no colour parts it from the next"
    assert "key: U up" in re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", last)


def test_no_color_draws_letters_alone_under_a_pseudo_terminal(tmp_path, web):
    """NO_COLOR (https://no-color.org): not one colour, and each pixel its state's letter, with a key to them."""
    text = in_a_pty(tmp_path, f"  api: {{pixel: [1, 0], interval: 1s, timeout: 1s, "
                              f"http: 'http://127.0.0.1:{web.port}/ok'}}\n"
                              f"  gone: {{pixel: [2, 0], interval: 1s, timeout: 1s, "
                              f"http: 'http://127.0.0.1:{web.port}/fail'}}\n", env={"NO_COLOR": "1"},
                    until=(b"HTTP 200 in", b"HTTP 500"))
    assert not re.search(r"\x1b\[[0-9;]*m", text), "no colour, no bold: NO_COLOR asks for none"
    last = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text.rsplit("\x1b[H", 1)[1]).replace("\r", "").split("\n")
    assert last[1] == " ·  U  D  ·  ·  ·  ·  ·  ", "one letter a pixel, a gap between them"
    assert "key: U up  D down" in last
    assert any(line.startswith(" U  [1,0] api") for line in last)


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


def test_a_long_title_is_cut_to_the_terminal_not_wrapped(monkeypatch):
    """A title wider than the terminal would wrap onto a line of its own and push the frame's foot off screen."""
    monkeypatch.setenv("COLUMNS", "40")
    monkeypatch.setenv("LINES", "24")
    out = Tty()
    title = "statusboard: /home/someone/boards/the-office-on-the-third-floor/config.yaml"
    term = TerminalDisplay(DisplaySettings(layout="hat"), stream=out, title=title)
    term.show(sample())
    term.close()
    lines = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue()).split("\n")
    assert re.fullmatch(r"statusboard: /home/\S*…  \d\d:\d\d:\d\d", lines[0]), lines[0]
    assert all(len(line) <= 40 for line in lines), [line for line in lines if len(line) > 40]


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


def test_neighbours_in_one_state_are_cells_apart_not_a_bar():
    out = io.StringIO()
    term = TerminalDisplay(DisplaySettings(layout="phat"), stream=out, colour=True)
    rows = [list(r) for r in blank((8, 4)).pixels]
    rows[0][0] = rows[0][1] = (255, 0, 0)
    legend = tuple(LegendEntry(x, 0, f"t{x}", "down", "HTTP 500", (255, 0, 0), letter="D") for x in (0, 1))
    term.show(Frame(tuple(tuple(r) for r in rows), 0.4, legend))
    row = out.getvalue().split("\n")[1]
    red = bg((255, 0, 0), 0.4)
    assert row.count(red) == 2
    between = row.split(red)[2 - 1]
    assert re.fullmatch(r"\x1b\[38;2;[0-9;]+mD \x1b\[0m ", between), "the cell's letter, then a gap of no colour"


def test_the_legend_columns_stay_put_from_frame_to_frame(monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("LINES", "40")
    out = io.StringIO()
    term = TerminalDisplay(DisplaySettings(layout="phat"), stream=out, colour=True)
    starts = []
    for state in ("ok", "insufficient-data", "alarm"):
        term.show(sample(state=state))
        last = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue().rsplit("\x1b[H", 1)[1])
        line = next(ln for ln in last.split("\n") if "[2,1] api" in ln)
        starts.append(line.index("HTTP 200"))
    assert len(set(starts)) == 1, f"the detail starts at columns {starts}"
    assert starts[0] > line.index("[2,1] api") + len("[2,1] api") + len("insufficient-data")


def test_a_warning_said_again_is_shown_once_with_its_count(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("LINES", "30")
    err = Tty()
    handler = logging.StreamHandler(err)
    logging.getLogger().addHandler(handler)
    try:
        out = Tty()
        term = TerminalDisplay(DisplaySettings(layout="phat"), stream=out)
        for _ in range(4):
            logging.getLogger("statusboard.kinds.ec2").warning("EC2 (profile far): throttled by AWS")
            term.show(sample())
        term.close()
    finally:
        logging.getLogger().removeHandler(handler)
    last = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue().rsplit("\x1b[H", 1)[1])
    assert last.count("throttled by AWS") == 1
    assert last.rstrip("\n").split("\n")[-1] == \
        "WARNING statusboard.kinds.ec2: EC2 (profile far): throttled by AWS (4 times)", "below the board"


def frames_of_a_day(states):
    """Frames of a board whose detail changes at every check and whose state changes now and then."""
    for i, state in enumerate(states):
        yield Frame(sample(state=state).pixels, 0.4,
            (LegendEntry(2, 1, "api", state, f"answer {i} in {i % 7} ms", (0, 255, 0), letter=STATES[state].letter),))


def test_where_output_is_not_a_terminal_each_change_is_one_line(tmp_path):
    with open(tmp_path / "log", "w") as out:
        term = TerminalDisplay(DisplaySettings(layout="phat"), stream=out)
        states = ["up"] * 50 + ["down"] * 50 + ["up"] * 50
        for frame in frames_of_a_day(states):
            term.show(frame)
        term.close()
    lines = (tmp_path / "log").read_text().splitlines()
    assert lines[0].startswith("--- statusboard") and lines[2] == ". . U . . . . .", "the board once, whole"
    assert lines[5:7] == ["[2,1] api              up                answer 0 in 0 ms", "key: U up"]
    changes = lines[7:9]
    assert re.fullmatch(r"\d\d:\d\d:\d\d \[2,1\] api: up -> down \(D\): answer 50 in 1 ms", changes[0])
    assert re.fullmatch(r"\d\d:\d\d:\d\d \[2,1\] api: down -> up \(U\): answer 100 in 2 ms", changes[1])
    assert lines[9].startswith("--- statusboard"), "and the board as it ended"
    assert lines[14] == "[2,1] api              up                answer 149 in 2 ms" and len(lines) == 16


def test_under_the_journal_no_board_is_drawn_only_lines(tmp_path, monkeypatch):
    """The service's journal (JOURNAL_STREAM names its stream) gets each target once, then a line a change:
    150 frames are 3 lines, not 150 boards."""
    import os
    with open(tmp_path / "journal", "w") as out:
        st = os.fstat(out.fileno())
        monkeypatch.setenv("JOURNAL_STREAM", f"{st.st_dev}:{st.st_ino}")
        term = TerminalDisplay(DisplaySettings(layout="phat"), stream=out)
        for frame in frames_of_a_day(["up"] * 50 + ["down"] * 50 + ["up"] * 50):
            term.show(frame)
        term.close()
    lines = (tmp_path / "journal").read_text().splitlines()
    assert lines == ["[2,1] api              up                answer 0 in 0 ms", "key: U up",
                     "[2,1] api: up -> down (D): answer 50 in 1 ms", "[2,1] api: down -> up (U): answer 100 in 2 ms"]


def test_a_service_on_the_terminal_driver_writes_a_line_a_change_to_its_journal(tmp_path, web):
    """`run` with its output on the journal (JOURNAL_STREAM names it, as systemd does): two targets checked five
    times a second for 3 s, their details changing at every check, write each target once and a line for each
    change of state, never the board over and over (it was a whole frame a change: 130,000 lines a day)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT

    config = tmp_path / "config.yaml"
    config.write_text(f"display: {{driver: terminal}}\ntargets:\n"
                      f"  api: {{pixel: [0, 0], interval: 200ms, timeout: 150ms, http: 'http://127.0.0.1:{web.port}/ok'}}\n"
                      f"  gone: {{pixel: [1, 0], interval: 200ms, timeout: 150ms, fail_after: 1, "
                      f"http: 'http://127.0.0.1:{web.port}/fail'}}\n")
    with open(tmp_path / "journal", "w") as journal:
        st = os.fstat(journal.fileno())
        proc = subprocess.Popen([sys.executable, "-m", "statusboard", "run", "-c", str(config)], stdout=journal,
                                stderr=subprocess.DEVNULL, cwd=ROOT,
                                env={**os.environ, "PYTHONPATH": str(ROOT), "JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"})
        time.sleep(3)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    lines = (tmp_path / "journal").read_text().splitlines()
    assert lines[:3] == ["[0,0] api              unknown           waiting for the first check",
                         "[1,0] gone             unknown           waiting for the first check", "key: ? unknown"]
    changes = [re.fullmatch(r"\[(\d,\d)\] (api|gone): (\S+) -> (\S+) \(.\): .+", line) for line in lines[3:]]
    assert all(changes), lines
    assert ("1,0", "gone", "unknown", "down") in [m.groups() for m in changes]
    assert all(m.group(3) != m.group(4) for m in changes), "a line is a change of state, not of detail"
    assert len(changes) <= 6, f"about 30 checks, each with a new detail, and {len(changes)} lines: {lines}"
