"""The display interface and the frame it shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Protocol, Tuple

from statusboard.vocabulary import RGB


@dataclass(frozen=True)
class LegendEntry:
    """What one lit pixel stands for, for displays that can say it in words."""

    x: int
    y: int
    name: str
    state: str
    detail: str
    colour: RGB
    checked_at: Optional[float] = None
    letter: str = "#"   # the state in one character, for plain text (each kind declares its states' letters)


@dataclass(frozen=True)
class Frame:
    """One picture for the board: pixels[y][x] at full colour, the brightness to show them at, and a legend."""

    pixels: Tuple[Tuple[RGB, ...], ...]
    brightness: float
    legend: Tuple[LegendEntry, ...] = ()

    @property
    def shape(self) -> Tuple[int, int]:
        """(width, height)."""
        return (len(self.pixels[0]) if self.pixels else 0, len(self.pixels))

    def same_leds(self, other: Optional["Frame"]) -> bool:
        """Whether the LEDs would look the same showing other (legend aside)."""
        return other is not None and self.pixels == other.pixels and self.brightness == other.brightness


def blank(shape: Tuple[int, int], brightness: float = 0.0) -> Frame:
    """An all-off frame."""
    width, height = shape
    return Frame(tuple(tuple((0, 0, 0) for _ in range(width)) for _ in range(height)), brightness)


class Display(Protocol):
    """What every display does: tell its shape, show a frame, and turn every LED off on close."""

    shape: Tuple[int, int]

    def show(self, frame: Frame) -> None:
        """Show one frame."""

    def close(self) -> None:
        """Turn every LED off and release the device."""

    def listen(self, on_close: Callable[[], None], on_button: Callable[[str], None]) -> None:
        """How to reach the board when a person closes the display (a window) or presses one of its buttons
        (the Unicorn HAT Mini's A, B, X, Y)."""


class NoControls:
    """A display a person can neither close nor press: it has nothing to tell the board."""

    def listen(self, on_close: Callable[[], None], on_button: Callable[[str], None]) -> None:
        """Nothing here is ever closed or pressed."""
