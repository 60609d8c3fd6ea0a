"""A restart's kept first frame (statusboard/keptframe.py) against a hostile state directory and a config edited
while the board ran: only a frame the last run kept for this very config is drawn, and nothing in the file can
brighten the LEDs, draw off the board, stop the board starting or make it exit."""

from __future__ import annotations

import copy
import importlib.util
import json
import math
import os
import signal
import subprocess
from pathlib import Path

import pytest

from statusboard import keptframe
from statusboard.config.display import PHYSICAL
from tests.conftest import ROOT, wait_for
from tests.test_startup import first_frame, shows

TEXT = "display: {driver: fake}\ntargets:\n  host: {pixel: [0, 0], ping: 127.0.0.1}\n"


def _set(doc: dict, path: tuple, value) -> None:
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


CORRUPT = {   # what a file keep() never writes holds, and where
    "brighter than any config": (("brightness",), [5.0, 5.0]),
    "brightness not a number": (("brightness",), [math.nan, math.nan]),
    "brightness below zero": (("brightness",), [-1.0, -1.0]),
    "one brightness": (("brightness",), [0.4]),
    "a row too long": (("pixels", 3), [[255, 0, 0]] * 11),
    "a row too short": (("pixels", 3), [[255, 0, 0]]),
    "a level off the scale": (("pixels", 0, 0), [0, 900, 0]),
    "levels as text": (("pixels", 0, 0), ["255", "0", "0"]),
    "a pixel of two levels": (("pixels", 0, 0), [255, 0]),
    "a display no one knows": ((), "nonexistent"),   # the display drawn on, and its settings' driver
    "a layout no one knows": (("display", 1), "nonexistent"),
    "a layout its driver does not draw": (("display", 1), "hd"),
    "a rotation no board has": (("display", 3), 45),
    "a brightness no config has": (("display", 2), 9),
    "night hours that are no hours": (("display", 4), [-5, 99999, 0.05]),
    "the driver not a name": (("driver",), ["fake"]),
}


@pytest.fixture(scope="module")
def kept(tmp_path_factory) -> dict:
    """A first-frame.json the real board kept, and the config and kept observations it was kept for."""
    tmp_path = tmp_path_factory.mktemp("kept")
    lib = tmp_path / "lib"
    old = {name: os.environ.get(name) for name in ("STATE_DIRECTORY", "RUNTIME_DIRECTORY")}
    os.environ.update(STATE_DIRECTORY=str(lib), RUNTIME_DIRECTORY=str(tmp_path / "run"))
    try:
        first_frame(tmp_path, TEXT, until=lambda: shows(["up"]))
    finally:
        for name, value in old.items():
            os.environ.pop(name) if value is None else os.environ.__setitem__(name, value)
    return {name: (lib / name).read_bytes() for name in (keptframe.NAME, keptframe.KEPT_NAME)} | \
        {"config": (tmp_path / "board.yaml").read_bytes()}


def _early(tmp_path: Path, kept: dict, doc=None):
    """What keptframe.early() draws from the kept files, with first-frame.json's document replaced by doc."""
    lib = Path(os.environ["STATE_DIRECTORY"])
    lib.mkdir(parents=True, exist_ok=True)
    config = tmp_path / "board.yaml"
    config.write_bytes(kept["config"])
    (lib / keptframe.KEPT_NAME).write_bytes(kept[keptframe.KEPT_NAME])
    original = json.loads(kept[keptframe.NAME])
    # the config and observations just written are the ones it was kept with
    original["config"], original["kept"] = keptframe._config_id(str(config)), keptframe._kept_id(lib)
    (lib / keptframe.NAME).write_text(json.dumps(original if doc is None else doc(original)))
    return keptframe.early(str(config), None)


def test_the_kept_frame_applies_as_kept(tmp_path, kept):
    settings, frame = _early(tmp_path, kept)
    assert frame.shape == settings.shape == PHYSICAL["hat"] and 0 < frame.brightness <= 1
    assert frame.pixels[0][0] == (0, 51, 0), "a kept `up`, stale: its green at a fifth"


@pytest.mark.parametrize("what", sorted(CORRUPT))
def test_a_kept_frame_keep_never_wrote_is_not_drawn(tmp_path, kept, what):
    path, value = CORRUPT[what]

    def corrupt(doc):
        doc = copy.deepcopy(doc)
        for where in (path,) if path else (("driver",), ("display", 0)):
            _set(doc, where, value)
        return doc
    assert _early(tmp_path, kept, corrupt) is None, f"drawn with {what}"


def test_a_config_edited_while_the_board_ran_is_not_drawn_with_the_frame_of_the_one_it_ran(tmp_path):
    # The board runs one config; the file is edited (the target moved) and the board stopped without a reload:
    # its frame is the old config's, so the next start, on the new file, must not draw it.
    config = tmp_path / "board.yaml"
    moved = TEXT.replace("[0, 0]", "[5, 5]")

    def edited() -> bool:
        if shows(["up"]):
            config.write_text(moved)
            return True
        return False
    first_frame(tmp_path, TEXT, until=edited)
    restarted = first_frame(tmp_path, moved, until=lambda: Path(tmp_path / "first.json.second").exists())
    assert restarted["pixels"][0][0] == [0, 0, 0], "the frame of the config the board ran, not of the file's"
    assert restarted["pixels"][5][5] != [0, 0, 0]


@pytest.mark.parametrize("what", ["a row too long", "a display no one knows", "brighter than any config"])
def test_a_hat_restarted_on_a_kept_frame_keep_never_wrote_starts_as_always(tmp_path, python, what):
    # The real unicornhat module over the ws281x stand-in: a row too long raised IndexError from the driver before
    # the board read its config (a traceback at every start), a display no one knows exited 3 (no restart).
    if importlib.util.find_spec("unicornhat") is None:
        pytest.skip("unicornhat is not installed (tests/run.sh installs the released 2.2.3)")
    config, wire = tmp_path / "board.yaml", tmp_path / "wire.jsonl"
    config.write_text(TEXT.replace("fake", "unicornhat"))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "tests" / "hardware"), str(ROOT)]),
               STANDIN_WS281X_INIT="0", STANDIN_WS281X_WIRE=str(wire))

    def run(until) -> subprocess.CompletedProcess:
        proc = subprocess.Popen(python + ["run", "-c", str(config)], env=env, stderr=subprocess.PIPE, text=True)
        try:
            wait_for(until, timeout=60, what="the board running")
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
        return subprocess.CompletedProcess(proc.args, proc.returncode, "", err)
    assert run(lambda: shows(["up"])).returncode == 0
    kept = Path(os.environ["STATE_DIRECTORY"]) / keptframe.NAME
    doc = json.loads(kept.read_text())
    path, value = CORRUPT[what]
    for where in (path,) if path else (("driver",), ("display", 0)):
        _set(doc, where, value)
    kept.write_text(json.dumps(doc))
    wire.unlink()
    done = run(lambda: wire.exists() and len(wire.read_text().splitlines()) >= 2)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    frames = [json.loads(line) for line in wire.read_text().splitlines()]
    assert max(max(rgb) for rgb in frames[0]) <= max(max(rgb) for frame in frames[1:-1] for rgb in frame), \
        "nothing drawn brighter than the board itself draws"
    assert all(rgb == [0, 0, 0] for rgb in frames[-1])


def test_a_config_edited_to_the_same_size_and_time_is_another_config(tmp_path, kept):
    assert _early(tmp_path, kept) is not None
    config = tmp_path / "board.yaml"
    stat = config.stat()
    config.write_bytes(kept["config"].replace(b"[0, 0]", b"[0, 1]"))   # the target moved, not one byte more
    os.utime(config, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert config.stat().st_size == stat.st_size and config.stat().st_mtime_ns == stat.st_mtime_ns
    assert keptframe.early(str(config), None) is None


def test_a_frame_kept_for_one_display_is_not_drawn_on_another(tmp_path, kept):
    assert _early(tmp_path, kept) is not None   # kept on `--display fake` (the config's own display too)
    config = str(tmp_path / "board.yaml")
    assert keptframe.early(config, "fake") is not None
    for other in ("unicornhat", "unicornhathd", "terminal", "window"):
        assert keptframe.early(config, other) is None, other


def test_a_frame_kept_by_another_build_of_the_same_version_is_not_drawn(tmp_path, kept):
    # install.sh over an older build: the same version string, files put in place anew (their colours may differ)
    assert _early(tmp_path, kept) is not None
    package = Path(keptframe.__file__).parent
    before = package.stat()
    try:
        os.utime(package, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
        assert keptframe.early(str(tmp_path / "board.yaml"), None) is None
    finally:
        os.utime(package, ns=(before.st_atime_ns, before.st_mtime_ns))
