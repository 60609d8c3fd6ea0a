"""The terminal display: 24-bit colour cells redrawn in place, and plain text when output is no terminal."""

from __future__ import annotations

import io

from statusboard.config import DisplaySettings
from statusboard.display.base import Frame, LegendEntry, blank
from statusboard.display.terminal import TerminalDisplay


def sample(colour=(0, 255, 0), state="up"):
    rows = [list(r) for r in blank((8, 4)).pixels]
    rows[1][2] = colour
    legend = (LegendEntry(2, 1, "api", state, "HTTP 200 in 3 ms", colour),)
    return Frame(tuple(tuple(r) for r in rows), 0.4, legend)


def test_colour_cells_and_legend_redrawn_in_place():
    out = io.StringIO()
    term = TerminalDisplay(DisplaySettings(layout="phat"), stream=out, colour=True)
    term.show(sample())
    first = out.getvalue()
    assert "\x1b[48;2;0;255;0m  " in first
    assert "[2,1] api" in first and "HTTP 200 in 3 ms" in first
    term.show(sample((255, 0, 0), "down"))
    second = out.getvalue()[len(first):]
    lines = first.count("\n")
    assert second.startswith(f"\x1b[{lines}F\x1b[J"), "the second drawing goes back over the first"
    assert "\x1b[48;2;255;0;0m  " in second


def test_plain_text_when_not_a_terminal():
    out = io.StringIO()
    term = TerminalDisplay(DisplaySettings(layout="phat"), stream=out)
    term.show(sample())
    term.show(sample())   # same text: not written again
    text = out.getvalue()
    assert "\x1b" not in text and text.count("---") == 1
    assert text.splitlines()[2] == ". . U . . . . ."
    assert "[2,1] api" in text
