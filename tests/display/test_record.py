"""--record: every LED change appended as a JSON line, and the all-off frame of close() last."""

from __future__ import annotations

import json

import pytest

from statusboard.config.display import DisplaySettings
from statusboard.display.base import Frame, blank
from statusboard.display.registry import open_display
from statusboard.errors import DisplayError


def test_frames_are_recorded_and_close_is_all_off(tmp_path):
    path = tmp_path / "frames.jsonl"
    display = open_display("fake", DisplaySettings(layout="phat"), record=str(path))
    lit = [list(r) for r in blank((8, 4)).pixels]
    lit[3][7] = (0, 0, 255)
    frame = Frame(tuple(tuple(r) for r in lit), 0.4)
    display.show(frame)
    display.show(frame)
    display.close()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == 2
    assert lines[0]["pixels"][3][7] == [0, 0, 255] and len(lines[0]["pixels"]) == 4
    assert all(px == [0, 0, 0] for row in lines[-1]["pixels"] for px in row)
    assert lines[0]["t"] <= lines[1]["t"]


def test_wrong_display_name_lists_the_right_ones():
    with pytest.raises(DisplayError, match="unknown display 'hat'; choose one of unicornhat, unicornhathd, unicornhatmini, terminal, window, fake"):
        open_display("hat", DisplaySettings())


def test_unwritable_record_file_is_a_clear_error(tmp_path):
    with pytest.raises(DisplayError, match="cannot write the record file"):
        open_display("fake", DisplaySettings(), record=str(tmp_path / "no" / "such" / "dir.jsonl"))
