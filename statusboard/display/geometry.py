"""Where a pixel of the board lands on the physical LED grid, shared by every LED driver and the window."""

from __future__ import annotations

from typing import Tuple

from statusboard.display.base import Frame

__all__ = ["physical_pixels", "physical_shape", "to_physical"]


def physical_shape(layout: str) -> Tuple[int, int]:
    """(width, height) of the LED grid as it sits on the Pi, unrotated (as its display module declares it)."""
    from statusboard.display.registry import PHYSICAL   # here: the registry imports the modules that import us
    return PHYSICAL[layout]


def to_physical(x: int, y: int, layout: str, rotation: int) -> Tuple[int, int]:
    """The physical LED of board pixel (x, y) when the board is turned `rotation` degrees clockwise."""
    width, height = physical_shape(layout)
    if rotation == 90:
        return (width - 1 - y, x)
    if rotation == 180:
        return (width - 1 - x, height - 1 - y)
    if rotation == 270:
        return (y, height - 1 - x)
    return (x, y)


def physical_pixels(frame: Frame, layout: str, rotation: int) -> Tuple[Tuple[Tuple[int, int, int], ...], ...]:
    """The frame laid out on the physical grid, [py][px]."""
    width, height = physical_shape(layout)
    grid = [[(0, 0, 0)] * width for _ in range(height)]
    for y, row in enumerate(frame.pixels):
        for x, rgb in enumerate(row):
            px, py = to_physical(x, y, layout, rotation)
            grid[py][px] = rgb
    return tuple(tuple(r) for r in grid)
