"""The Unicorn HAT driver, judged by what reaches the LEDs: the real `unicornhat` module runs over a recording
stand-in for rpi_ws281x that does what the C library does (brightness scale, then gamma) to every channel."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, Tuple

import pytest

from statusboard.config.display import DisplaySettings
from statusboard.display import light
from statusboard.display.geometry import to_physical
from statusboard.display.unicornhat import UnicornHatDisplay, explain
from tests.conftest import ROOT, board_from
from tests.display.judge import frame_of, judge_states, states_frame

HARDWARE = ROOT / "tests" / "hardware"


def _load(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=["released", "current"])
def hat(request, monkeypatch) -> Iterator[Tuple[object, object]]:
    """(unicornhat, the stand-in rpi_ws281x): the released 2.2.3 from PyPI, and Pimoroni's current one (which
    opens the strip on first use): tests/data/unicornhat_current/, or the unicornhat.py UNICORNHAT_CURRENT names."""
    standin = _load("rpi_ws281x", str(HARDWARE / "rpi_ws281x.py"))
    monkeypatch.setitem(sys.modules, "rpi_ws281x", standin)
    if request.param == "released":
        spec = importlib.util.find_spec("unicornhat")
        if spec is None or spec.origin is None:
            pytest.skip("unicornhat is not installed (tests/run.sh installs the released 2.2.3)")
        path = spec.origin
    else:
        path = os.environ.get("UNICORNHAT_CURRENT") or str(ROOT / "tests/data/unicornhat_current/unicornhat.py")
        assert os.path.isfile(path), f"{path}: no such file (UNICORNHAT_CURRENT names Pimoroni's current unicornhat.py)"
    yield _load("unicornhat", path), standin


def wire_by_led(uh, standin) -> Dict[Tuple[int, int], Tuple[int, int, int]]:
    """The last frame on the wire, by physical LED (x, y), decoded with the library's own wiring map."""
    width, height = uh.get_shape()
    frame = standin.frames[-1]
    return {(x, y): frame[uh.get_index_from_xy(x, y)] for x in range(width) for y in range(height)}


@pytest.mark.parametrize("layout", ["hat", "phat"])
@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_each_board_pixel_lights_its_own_led(hat, layout, rotation):
    uh, standin = hat
    settings = DisplaySettings(layout=layout, rotation=rotation)
    display = UnicornHatDisplay(settings, module=uh)
    width, height = settings.shape
    for x, y in [(0, 0), (width - 1, 0), (0, height - 1), (width - 1, height - 1)]:
        display.show(frame_of((width, height), {(x, y): (0, 0, 255)}))
        leds = wire_by_led(uh, standin)
        lit = [p for p, rgb in leds.items() if rgb != (0, 0, 0)]
        assert lit == [to_physical(x, y, layout, rotation)], f"board pixel {(x, y)}"
        assert leds[lit[0]][2] > 0 and leds[lit[0]][:2] == (0, 0)


BRIGHTNESSES = [0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0]


@pytest.mark.parametrize("brightness", BRIGHTNESSES)
def test_every_state_is_lit_and_told_apart_on_the_wire(hat, brightness):
    uh, standin = hat
    board = board_from("""
        targets: {a: {pixel: [0, 0], ping: 127.0.0.1}}
    """)
    display = UnicornHatDisplay(DisplaySettings(), module=uh)
    frame, places = states_frame(board, (8, 8), brightness)
    display.show(frame)
    judge_states(board, wire_by_led(uh, standin), places, brightness)


def test_brightness_zero_is_off_and_dim_is_dimmer_but_lit(hat):
    uh, standin = hat
    display = UnicornHatDisplay(DisplaySettings(), module=uh)
    levels = []
    for brightness in (0.0, 0.05, 0.4, 1.0):
        display.show(frame_of((8, 8), {(3, 3): (0, 255, 0)}, brightness))
        levels.append(wire_by_led(uh, standin)[(3, 3)][1])
    assert levels[0] == 0 and 0 < levels[1] < levels[2] < levels[3]
    # Never more power than the library's own cap: a full channel at 1.0 is what unicornhat itself sends.
    assert levels[3] <= uh.LED_GAMMA[(255 * 129) >> 8] + 1


def test_previews_show_what_the_wire_carries(hat):
    """The window and the terminal draw the screen colour of the very levels the HAT puts on the wire."""
    from statusboard.display.terminal import cell_colour
    from statusboard.display.window import led_colour
    uh, standin = hat
    display = UnicornHatDisplay(DisplaySettings(), module=uh)
    for rgb in [(255, 170, 0), (90, 90, 90), (18, 18, 18), (0, 51, 0)]:
        for brightness in (0.05, 0.4):
            display.show(frame_of((8, 8), {(1, 2): rgb}, brightness))
            on_wire = wire_by_led(uh, standin)[(1, 2)]
            assert cell_colour(rgb, brightness) == light.screen(on_wire)
            assert led_colour(rgb, brightness) == light.screen(on_wire)


def test_unchanged_leds_are_not_pushed_again_and_close_turns_all_off(hat, capsys):
    uh, standin = hat
    display = UnicornHatDisplay(DisplaySettings(), module=uh)
    one = frame_of((8, 8), {(0, 0): (255, 0, 0)}, brightness=0.05)
    display.show(one)
    count = len(standin.frames)
    display.show(one)
    assert len(standin.frames) == count
    assert capsys.readouterr().out == "", "nothing of the library's reaches stdout"
    display.close()
    assert set(standin.frames[-1]) == {(0, 0, 0)}


def _run_board(tmp_path: Path, init: str, python) -> subprocess.CompletedProcess:
    config = tmp_path / "board.yaml"
    config.write_text("display: {driver: unicornhat}\ntargets: {a: {pixel: [0, 0], ping: 127.0.0.1}}\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HARDWARE), str(ROOT)]), STANDIN_WS281X_INIT=init,
               STANDIN_WS281X_WIRE=str(tmp_path / "wire.jsonl"))
    return subprocess.run(python + ["run", "--once", "-c", str(config)], env=env, capture_output=True, text=True,
                          timeout=60)


def test_the_stand_in_fails_the_way_the_real_library_does(tmp_path):
    if importlib.util.find_spec("unicornhat") is None:
        pytest.skip("unicornhat is not installed (tests/run.sh installs the released 2.2.3)")
    # Unbuffered: the process dies of SIGSEGV before a buffered stdout would be flushed.
    env = dict(os.environ, PYTHONPATH=str(HARDWARE), STANDIN_WS281X_INIT="-3", PYTHONUNBUFFERED="1")
    code = "try:\n import unicornhat\nexcept RuntimeError as e:\n print(e)"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert "code -3" in done.stdout
    assert done.returncode == -11, "a failed ws2811_init leaves an exit handler that dies with SIGSEGV"


@pytest.mark.parametrize("init, expected", [("-3", "this is not a Raspberry Pi"), ("-5", "needs root")])
def test_a_hat_that_cannot_start_exits_3_with_one_line(tmp_path, python, init, expected):
    if importlib.util.find_spec("unicornhat") is None:
        pytest.skip("unicornhat is not installed (tests/run.sh installs the released 2.2.3)")
    done = _run_board(tmp_path, init, python)
    assert done.returncode == 3, (done.returncode, done.stderr)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0] and "Traceback" not in done.stderr


def test_a_working_hat_runs_a_round_and_ends_dark(tmp_path, python):
    if importlib.util.find_spec("unicornhat") is None:
        pytest.skip("unicornhat is not installed (tests/run.sh installs the released 2.2.3)")
    done = _run_board(tmp_path, "0", python)
    assert done.returncode == 0, done.stderr
    frames = [json.loads(line) for line in (tmp_path / "wire.jsonl").read_text().splitlines()]
    assert len(frames) >= 2
    assert all(rgb == [0, 0, 0] for rgb in frames[-1]), "a clean stop leaves every LED off"
    shown = [[rgb for rgb in frame if rgb != [0, 0, 0]] for frame in frames]
    assert [len(lit) for lit in shown if lit] == [1], "one round drawn: one target, one lit LED"


@pytest.mark.parametrize("error, model, expected", [
    (RuntimeError("ws2811_init failed with code -3 (Hardware revision is not supported)"), "",
     "this is not a Raspberry Pi"),
    (RuntimeError("ws2811_init failed with code -5 (mmap() failed)"), "Raspberry Pi 4 Model B Rev 1.4",
     "the Unicorn HAT needs root: run as root or through the service"),
    (RuntimeError("ws2811_init failed with code -3 (Hardware revision is not supported)"),
     "Raspberry Pi 5 Model B Rev 1.0", "the Unicorn HAT does not work on a Raspberry Pi 5"),
    (ImportError("No module named 'unicornhat'"), "Raspberry Pi 4 Model B Rev 1.4",
     "the unicornhat package is not installed: sudo ./install.sh --hat installs it"),
    (ImportError("No module named 'unicornhat'"), "", "this is not a Raspberry Pi, so there is no Unicorn HAT here"),
])
def test_start_up_failures_are_one_clear_line(error, model, expected):
    message = explain(error, model)
    assert message.startswith(expected) and "\n" not in message
