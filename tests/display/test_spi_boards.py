"""The Unicorn HAT HD and Mini drivers, judged by what reaches the LEDs: the real `unicornhathd` and
`unicornhatmini` modules run over recording stand-ins for spidev and RPi.GPIO (tests/hardware/), and the tests
decode the bytes written to each chip into the light of each LED."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
import time
from typing import Dict, Tuple

import pytest

from statusboard.display.geometry import to_physical
from statusboard.config.display import DisplaySettings
from statusboard.table import Status
from statusboard.vocabulary import Severity
from tests.conftest import ROOT, board_from, wait_for
from tests.display.judge import frame_of, judge_states, states_frame

HARDWARE = ROOT / "tests" / "hardware"
LED = Tuple[int, int]


def _load(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, path, submodule_search_locations=None)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _library(name: str) -> str:
    """Where the released library is installed (tests/run.sh installs it without its Pi-only dependencies)."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        pytest.skip(f"{name} is not installed (tests/run.sh installs the released library)")
    return spec.origin


@pytest.fixture
def standins(monkeypatch):
    """Fresh spidev and RPi.GPIO stand-ins in sys.modules: (spidev, GPIO)."""
    for module in ("spidev", "RPi", "RPi.GPIO"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    spidev = _load("spidev", str(HARDWARE / "spidev.py"))
    rpi = _load("RPi", str(HARDWARE / "RPi" / "__init__.py"))
    gpio = _load("RPi.GPIO", str(HARDWARE / "RPi" / "GPIO.py"))
    rpi.GPIO = gpio
    yield spidev, gpio
    for module in ("spidev", "RPi", "RPi.GPIO", "unicornhathd", "unicornhatmini"):
        sys.modules.pop(module, None)


@pytest.fixture
def hd(standins, monkeypatch):
    """(the real unicornhathd over the stand-ins, spidev stand-in)."""
    spidev, _ = standins
    module = _load("unicornhathd", _library("unicornhathd"))
    assert module.spidev is spidev
    return module, spidev


@pytest.fixture
def mini(standins, monkeypatch):
    """(the real unicornhatmini over the stand-ins, spidev stand-in, GPIO stand-in)."""
    spidev, gpio = standins
    return _load("unicornhatmini", _library("unicornhatmini")), spidev, gpio


# Decoders: the bytes on the wire -> the light of each LED, as a share of its full light per channel.

def hd_leds(spidev) -> Dict[LED, Tuple[float, float, float]]:
    """The HD's last frame: a start byte 0x72, then 3 bytes per LED; LED (x, y) at (x * 16 + y) * 3, as the
    library lays out its buffer at rotation 0 (x across, y down, from the top left)."""
    frame = [t for t in spidev.transfers if t.data[:1] == b"\x72"][-1]
    assert (frame.bus, frame.device, frame.selected) == (0, 0, (8,)) and len(frame.data) == 769
    data = frame.data[1:]
    return {(x, y): tuple(data[(x * 16 + y) * 3 + c] / 255 for c in range(3))
            for x in range(16) for y in range(16)}


def mini_leds(lib, spidev) -> Dict[LED, Tuple[float, float, float]]:
    """The Mini's last picture: each chip's display RAM (command 0x80) through the board's wiring table (the
    library's lut: RAM addresses of LED x * 7 + y), times that chip's global brightness (command 0x37), each
    of 64 steps. The left chip is selected by GPIO 8, the right by GPIO 7."""
    ram: Dict[int, bytes] = {}
    overall: Dict[int, int] = {}
    for t in spidev.transfers:
        assert len(t.selected) == 1, f"exactly one chip selected per transfer, not {t.selected}"
        chip = t.selected[0]
        if t.data[:2] == b"\x80\x00":
            ram[chip] = t.data[2:]
        elif t.data[:1] == b"\x37":
            overall[chip] = t.data[1]
    assert set(ram) == {7, 8} and overall.get(7) == overall.get(8)
    memory = ram[8] + ram[7]
    table = lib.UnicornHATMini.lut
    return {(x, y): tuple(overall[8] / 63 * memory[table[x * 7 + y][c]] / 63 for c in range(3))
            for x in range(17) for y in range(7)}


BOARD = board_from("targets: {a: {pixel: [0, 0], ping: 127.0.0.1}}\n")


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_hd_each_board_pixel_lights_its_own_led(hd, rotation):
    from statusboard.display.unicornhathd import UnicornHatHdDisplay
    module, spidev = hd
    settings = DisplaySettings(driver="unicornhathd", layout="hd", rotation=rotation)
    display = UnicornHatHdDisplay(settings, module=module)
    for x, y in [(0, 0), (15, 0), (0, 15), (15, 15), (3, 9)]:
        display.show(frame_of((16, 16), {(x, y): (0, 0, 255)}))
        lit = [p for p, rgb in hd_leds(spidev).items() if max(rgb) > 0]
        assert lit == [to_physical(x, y, "hd", rotation)], f"board pixel {(x, y)}"


@pytest.mark.parametrize("brightness", [0.01, 0.05, 0.2, 0.4, 1.0])
def test_hd_every_state_is_lit_and_told_apart(hd, brightness):
    from statusboard.display.unicornhathd import UnicornHatHdDisplay
    module, spidev = hd
    display = UnicornHatHdDisplay(DisplaySettings(driver="unicornhathd", layout="hd"), module=module)
    frame, places = states_frame(BOARD, (16, 16), brightness)
    display.show(frame)
    judge_states(BOARD, hd_leds(spidev), places, brightness)


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_mini_each_board_pixel_lights_its_own_led(mini, rotation):
    from statusboard.display.unicornhatmini import UnicornHatMiniDisplay
    lib, spidev, _ = mini
    settings = DisplaySettings(driver="unicornhatmini", layout="mini", rotation=rotation)
    display = UnicornHatMiniDisplay(settings, module=lib)
    width, height = settings.shape
    for x, y in [(0, 0), (width - 1, 0), (0, height - 1), (width - 1, height - 1)]:
        display.show(frame_of((width, height), {(x, y): (0, 0, 255)}))
        lit = [p for p, rgb in mini_leds(lib, spidev).items() if max(rgb) > 0]
        assert lit == [to_physical(x, y, "mini", rotation)], f"board pixel {(x, y)}"


@pytest.mark.parametrize("brightness", [0.01, 0.05, 0.2, 0.4, 1.0])
def test_mini_every_state_is_lit_and_told_apart(mini, brightness):
    from statusboard.display.unicornhatmini import UnicornHatMiniDisplay
    lib, spidev, _ = mini
    display = UnicornHatMiniDisplay(DisplaySettings(driver="unicornhatmini", layout="mini"), module=lib)
    frame, places = states_frame(BOARD, (17, 7), brightness)
    display.show(frame)
    judge_states(BOARD, mini_leds(lib, spidev), places, brightness)


def test_all_boards_show_the_same_share_of_light_as_the_hat_model(hd, standins, monkeypatch):
    """A colour at a brightness is the same share of each board's full light, within a step of each board."""
    from statusboard.display import light
    from statusboard.display.unicornhathd import UnicornHatHdDisplay
    module, spidev = hd
    display = UnicornHatHdDisplay(DisplaySettings(driver="unicornhathd", layout="hd"), module=module)
    for rgb in [(255, 170, 0), (90, 90, 90), (0, 51, 0)]:
        for brightness in (0.05, 0.4, 1.0):
            display.show(frame_of((16, 16), {(2, 2): rgb}, brightness))
            shown = hd_leds(spidev)[(2, 2)]
            model = [lvl / light.FULL for lvl in light.wire(rgb, brightness)]
            assert all(abs(a - b) < 1.5 / light.FULL for a, b in zip(shown, model)), (rgb, brightness, shown, model)


def test_mini_brightness_zero_is_off_and_close_turns_all_off(mini):
    from statusboard.display.unicornhatmini import UnicornHatMiniDisplay
    lib, spidev, _ = mini
    display = UnicornHatMiniDisplay(DisplaySettings(driver="unicornhatmini", layout="mini"), module=lib)
    display.show(frame_of((17, 7), {(4, 4): (0, 255, 0)}, 0.0))
    assert max(mini_leds(lib, spidev)[(4, 4)]) == 0, "night at brightness 0 is off"
    display.show(frame_of((17, 7), {(4, 4): (0, 255, 0)}, 0.05))
    assert mini_leds(lib, spidev)[(4, 4)][1] > 0, "above 0, dim but lit"
    display.close()
    assert {rgb for rgb in mini_leds(lib, spidev).values()} == {(0, 0, 0)}


def test_mini_where_the_kernel_holds_the_chip_selects(mini, monkeypatch):
    """Raspberry Pi OS Bookworm with rpi-lgpio: GPIO 7 and 8 are the SPI driver's ("GPIO busy"); the driver
    lets the kernel select the chips and the picture is the same."""
    from statusboard.display.unicornhatmini import UnicornHatMiniDisplay
    lib, spidev, _ = mini
    monkeypatch.setenv("STANDIN_GPIO_BUSY", "7,8")
    display = UnicornHatMiniDisplay(DisplaySettings(driver="unicornhatmini", layout="mini"), module=lib)
    display.show(frame_of((17, 7), {(16, 6): (255, 0, 0)}, 0.4))
    lit = {p: rgb for p, rgb in mini_leds(lib, spidev).items() if max(rgb) > 0}
    assert list(lit) == [(16, 6)] and lit[(16, 6)][0] > 0


def _run_board(tmp_path, layout, env_extra, python, model=""):
    config = tmp_path / "board.yaml"
    config.write_text(f"display: {{layout: {layout}}}\ntargets: {{a: {{pixel: [0, 0], ping: 127.0.0.1}}}}\n")
    model_file = tmp_path / "model"
    model_file.write_text(model + "\x00")
    code = ("import sys; import statusboard.display.pi as pi; pi.MODEL_FILE = sys.argv[1];"
            "from statusboard.cli import main; sys.exit(main(sys.argv[2:]))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HARDWARE), str(ROOT)]), **env_extra)
    return subprocess.run([python[0], "-c", code, str(model_file), "run", "--once", "-c", str(config)], env=env,
                          capture_output=True, text=True, timeout=60)


PI4, PI5 = "Raspberry Pi 4 Model B Rev 1.4", "Raspberry Pi 5 Model B Rev 1.0"


@pytest.mark.parametrize("layout, env, model, expected", [
    ("hd", {"STANDIN_SPI": "off"}, PI4, "SPI is not enabled, so the Unicorn HAT HD cannot be reached"),
    ("mini", {"STANDIN_SPI": "off"}, PI5, "SPI is not enabled, so the Unicorn HAT Mini cannot be reached"),
    ("hd", {"STANDIN_SPI": "denied"}, PI4, "no permission to open /dev/spidev0.* for the Unicorn HAT HD"),
    ("mini", {"STANDIN_GPIO": "pi5"}, PI5, "RPi.GPIO does not work on a Raspberry Pi 5"),
    ("mini", {"STANDIN_GPIO": "notpi", "STANDIN_SPI": "off"}, "", "this is not a Raspberry Pi"),
    ("hd", {"STANDIN_SPI": "off"}, "", "this is not a Raspberry Pi, so there is no Unicorn HAT HD here"),
])
def test_a_board_that_cannot_start_exits_3_with_one_line(tmp_path, python, layout, env, model, expected):
    _library("unicornhathd" if layout == "hd" else "unicornhatmini")
    done = _run_board(tmp_path, layout, env, python, model)
    assert done.returncode == 3, (done.returncode, done.stderr)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0] and "Traceback" not in done.stderr, done.stderr


def test_the_hat_on_a_pi_5_names_the_boards_that_work():
    from statusboard.display.unicornhat import explain
    message = explain(RuntimeError("ws2811_init failed with code -3 (Hardware revision is not supported)"), PI5)
    assert "does not work on a Raspberry Pi 5" in message and "HAT HD" in message and "HAT Mini" in message


def test_a_board_that_works_runs_a_round(tmp_path, python):
    _library("unicornhathd")
    done = _run_board(tmp_path, "hd", {}, python, PI4)
    assert done.returncode == 0, done.stderr


def _global(spidev) -> int:
    return [t.data[1] for t in spidev.transfers if t.data[:1] == b"\x37"][-1]


def test_mini_buttons_change_brightness_night_and_find_critical_pixels(mini, web, refused_port):
    """A and B step the brightness, X turns night mode on and off, Y flashes every critical pixel for a few
    seconds; all seen on the wire, pressed through the GPIO stand-in as a finger would."""
    from statusboard.kinds import parse
    from statusboard.daemon import Runner
    from statusboard.display.unicornhatmini import UnicornHatMiniDisplay
    lib, spidev, gpio = mini
    board = parse(f"display: {{layout: mini, brightness: 0.4}}\n"
                  f"defaults: {{interval: 1s, timeout: 1s, fail_after: 1}}\ntargets:\n"
                  f"  up:   {{pixel: [0, 0], http: 'http://127.0.0.1:{web.port}/ok'}}\n"
                  f"  down: {{pixel: [1, 0], http: 'http://127.0.0.1:{refused_port}/'}}\n")
    display = UnicornHatMiniDisplay(board.display, module=lib)
    runner = Runner(board, display)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: max(mini_leds(lib, spidev)[(1, 0)]) > 0 and max(mini_leds(lib, spidev)[(0, 0)]) > 0,
                 what="both pixels lit")
        day = _global(spidev)

        def press(pin):
            gpio.press(pin)
            gpio.release(pin)
            time.sleep(0.25)   # past the 200 ms debounce

        press(5)
        wait_for(lambda: _global(spidev) > day, what="A: brighter")
        press(6)
        press(6)
        wait_for(lambda: _global(spidev) < day, what="B twice: dimmer than at the start")
        press(5)
        wait_for(lambda: _global(spidev) == day, what="back to the configured brightness")
        press(16)
        wait_for(lambda: _global(spidev) < day and max(mini_leds(lib, spidev)[(0, 0)]) > 0,
                 what="X: night mode, dim but lit")
        press(16)
        wait_for(lambda: _global(spidev) == day, what="X again: day")
        start = len(spidev.transfers)
        press(24)
        flashes = lambda: [t for t in spidev.transfers[start:] if t.data[:2] == b"\x80\x00"]  # noqa: E731
        seen = wait_for(lambda: len(flashes()) >= 6 and flashes(), timeout=3,
                        what="the flashing pixel redrawn several times a second")
        critical_on, healthy_on = set(), set()
        replay = [t for t in spidev.transfers[:start] if t.data[:1] == b"\x37"][-2:]
        for i in range(0, len(seen) - 1, 2):
            spidev.transfers[:] = replay + seen[i:i + 2]
            leds = mini_leds(lib, spidev)
            critical_on.add(max(leds[(1, 0)]) > 0)
            healthy_on.add(max(leds[(0, 0)]) > 0)
        assert critical_on == {True, False}, "Y: the critical pixel flashes"
        assert healthy_on == {True}, "the healthy pixel stays lit"
    finally:
        runner.stop()
        thread.join(10)
        display.close()
    assert not thread.is_alive()


def test_a_board_without_buttons_renders_as_before():
    from statusboard.controls import Adjustments
    from statusboard.render import render
    board = board_from("display: {brightness: 0.3}\ntargets: {a: {pixel: [0, 0], ping: 127.0.0.1}}\n")
    statuses = {"a": Status("down", Severity.CRITICAL, "x", 0.0)}
    assert render(board, statuses, 100.0) == render(board, statuses, 100.0, Adjustments(), 5.0)
    assert render(board, statuses, 100.0).brightness == 0.3
