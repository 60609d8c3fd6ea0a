"""The Unicorn HAT driver, judged through a stand-in `unicornhat` module that records every call."""

from __future__ import annotations

import types

import pytest

from statusboard.config import DisplaySettings
from statusboard.display.base import Frame, blank
from statusboard.display.unicornhat import UnicornHatDisplay, explain
from statusboard.errors import DisplayError


def stand_in(fail_on_layout: Exception = None):
    """A module with unicornhat's API that records calls and keeps a pixel buffer."""
    mod = types.ModuleType("unicornhat")
    mod.HAT, mod.PHAT = "HAT-MAP", "PHAT-MAP"
    mod.calls = []
    mod.buffer = {}
    state = {"shape": (8, 8)}

    def set_layout(layout):
        mod.calls.append(("set_layout", layout))
        if fail_on_layout:
            raise fail_on_layout
        state["shape"] = (8, 4) if layout == mod.PHAT else (8, 8)

    def rotation(r):
        mod.calls.append(("rotation", r))
        if state["shape"] == (8, 4) and r in (90, 270):
            state["shape"] = (4, 8)

    def brightness(b):
        mod.calls.append(("brightness", b))
        if b < 0.23:
            print("Warning: Low brightness chosen, your UnicornHAT might not light up!")

    def set_pixel(x, y, r, g, b):
        mod.buffer[(x, y)] = (r, g, b)

    mod.set_layout, mod.rotation, mod.brightness, mod.set_pixel = set_layout, rotation, brightness, set_pixel
    mod.get_shape = lambda: state["shape"]
    mod.show = lambda: mod.calls.append(("show",))

    def off():
        mod.buffer = {k: (0, 0, 0) for k in mod.buffer}
        mod.calls.append(("off",))
    mod.off = off
    return mod


def frame(shape, lit, brightness=0.4):
    base = [list(row) for row in blank(shape).pixels]
    for (x, y), rgb in lit.items():
        base[y][x] = rgb
    return Frame(tuple(tuple(r) for r in base), brightness)


def test_layout_is_set_explicitly_and_rotation_is_our_geometry():
    uh = stand_in()
    hat = UnicornHatDisplay(DisplaySettings(layout="phat", rotation=90), module=uh)
    assert uh.calls[:2] == [("set_layout", "PHAT-MAP"), ("rotation", 0)]
    assert hat.shape == (4, 8)
    # Board pixel (0, 0), top left of the board turned 90 degrees clockwise, is the physical top right LED.
    hat.show(frame((4, 8), {(0, 0): (0, 0, 255), (3, 7): (255, 0, 0)}))
    assert uh.buffer[(7, 0)] == (0, 0, 255) and uh.buffer[(0, 3)] == (255, 0, 0)
    assert uh.buffer[(0, 0)] == (0, 0, 0)
    assert ("brightness", 0.4) in uh.calls and uh.calls[-1] == ("show",)


def test_unchanged_leds_are_not_pushed_again_and_close_turns_all_off(capsys):
    uh = stand_in()
    hat = UnicornHatDisplay(DisplaySettings(), module=uh)
    one = frame((8, 8), {(0, 0): (255, 0, 0)}, brightness=0.05)
    hat.show(one)
    hat.show(one)
    assert uh.calls.count(("show",)) == 1
    assert capsys.readouterr().out == "", "the driver's low-brightness print must not reach stdout"
    hat.close()
    assert uh.calls[-1] == ("off",) and set(uh.buffer.values()) == {(0, 0, 0)}


@pytest.mark.parametrize("error, model, expected", [
    (RuntimeError("ws2811_init failed with code -3 (Hardware revision is not supported)"), "",
     "this is not a Raspberry Pi"),
    (RuntimeError("ws2811_init failed with code -5 (mmap() failed)"), "Raspberry Pi 4 Model B Rev 1.4",
     "the Unicorn HAT needs root: run as root or through the service"),
    (RuntimeError("ws2811_init failed with code -3 (Hardware revision is not supported)"),
     "Raspberry Pi 5 Model B Rev 1.0", "the Unicorn HAT does not work on a Raspberry Pi 5"),
    (ImportError("No module named 'unicornhat'"), "", "the unicornhat package is not installed"),
])
def test_start_up_failures_are_one_clear_line(error, model, expected):
    message = explain(error, model)
    assert message.startswith(expected) and "\n" not in message


def test_import_failure_becomes_a_display_error():
    uh = stand_in(fail_on_layout=RuntimeError("ws2811_init failed with code -5 (mmap() failed)"))
    with pytest.raises(DisplayError, match="needs root"):
        UnicornHatDisplay(DisplaySettings(), module=uh)
