"""Rotation: where a board pixel lands on the physical LEDs (shared by the HAT driver and the window)."""

from __future__ import annotations

import pytest

from statusboard.config.display import DisplaySettings
from statusboard.display.geometry import physical_shape, to_physical


@pytest.mark.parametrize("layout", ["hat", "phat"])
@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_every_board_pixel_has_its_own_led(layout, rotation):
    width, height = DisplaySettings(layout=layout, rotation=rotation).shape
    leds = {to_physical(x, y, layout, rotation) for x in range(width) for y in range(height)}
    pw, ph = physical_shape(layout)
    assert leds == {(x, y) for x in range(pw) for y in range(ph)}


def test_quarter_turns_go_clockwise():
    assert to_physical(0, 0, "hat", 90) == (7, 0)     # the board's top left shows at the HAT's top right
    assert to_physical(0, 0, "hat", 180) == (7, 7)
    assert to_physical(0, 0, "hat", 270) == (0, 7)
    assert to_physical(3, 7, "phat", 90) == (0, 3)
