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


def run_once_recording(tmp_path, record):
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT
    config = tmp_path / "board.yaml"
    config.write_text("targets:\n  lo: {pixel: [0, 0], ping: 127.0.0.1, timeout: 1s}\n")
    return subprocess.run([sys.executable, "-m", "statusboard", "run", "--once", "--display", "fake", "-c", str(config),
                           "--record", str(record)], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_a_fifo_nobody_reads_is_refused_at_once_and_one_that_is_read_gets_the_frames(tmp_path):
    import os
    fifo = tmp_path / "frames.fifo"
    os.mkfifo(fifo)
    got = run_once_recording(tmp_path, fifo)   # before: open() waited for a reader for ever
    assert got.returncode == 3, got.stderr
    assert f"cannot write the record file {fifo}: it is a FIFO that no program is reading" in got.stderr
    assert "Traceback" not in got.stderr
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)   # a reader, there before the board opens it
    try:
        got = run_once_recording(tmp_path, fifo)   # two short lines: the FIFO's buffer holds them
        lines = os.read(fd, 1 << 16).decode().splitlines()
    finally:
        os.close(fd)
    assert got.returncode == 0, got.stderr
    assert len(lines) == 2 and json.loads(lines[0])["pixels"][0][0] != [0, 0, 0], lines


def test_a_record_file_that_cannot_be_written_is_said_once_and_the_board_goes_on(tmp_path):
    got = run_once_recording(tmp_path, "/dev/full")   # before: a traceback (No space left on device), exit 1
    assert got.returncode == 0, got.stderr
    assert "stopped recording frames: cannot write the record file /dev/full: No space left on device" in got.stderr
    assert got.stderr.count("stopped recording frames") == 1
    assert "Traceback" not in got.stderr
