"""What a display module declares, as a kind declares itself: the display it opens and the LED boards it draws
(layout, shape, the extra that installs its library, the devices the service may open, its buttons)."""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Sequence, Tuple


class LedBoard(NamedTuple):   # NamedTuple, not a dataclass: config imports every declaration at start (Pi Zero)
    """One LED board a display drives: how config.yaml names it, what it is, and what it needs to run."""

    layout: str                     # its name in display.layout and install.sh --board
    name: str                       # for people: "Unicorn HAT"
    shape: Tuple[int, int]          # (width, height) of its LED grid, as its library draws it at rotation 0
    extra: str                      # the pyproject extra that installs its library
    devices: Tuple[str, ...]        # the systemd lines that let the service open its devices (and no others)
    not_on_pi5: str = ""            # why it cannot work on a Raspberry Pi 5 ("": it can)
    spi: bool = False               # it talks SPI (install.sh turns SPI on)
    gpio: bool = False              # it needs RPi.GPIO (rpi-lgpio on a Raspberry Pi 5)
    buttons: Tuple[str, ...] = ()   # its controls: the buttons a person at the desk presses (controls.ACTIONS)


class Driver(NamedTuple):
    """One display by its name in display.driver and --display: the class that opens it, and the LED boards it
    drives (none: a preview that draws any board)."""

    name: str
    opens: Callable[..., Any]       # (settings, **options) -> a Display
    boards: Tuple[LedBoard, ...] = ()

    @property
    def title(self) -> str:
        """What people call its boards' driver: by its first board ("the Unicorn HAT driver" draws the pHAT)."""
        return self.boards[0].name if self.boards else self.name


def choices(words: Sequence[str], last: str = "or") -> str:
    """Words for people: "a, b or c" (or "a, b and c")."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"


def together(names: Sequence[str]) -> str:
    """Names for people, the words the later ones share with the first said once: "Unicorn HAT HD and Mini"."""
    first = names[0].split()
    rest = []
    for name in names[1:]:
        words = name.split()
        shared = next((i for i, (a, b) in enumerate(zip(first, words)) if a != b), min(len(first), len(words)))
        rest.append(" ".join(words[shared:]) or name)
    return choices([names[0]] + rest, "and")
