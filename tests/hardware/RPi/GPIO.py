"""A recording stand-in for RPi.GPIO (and rpi-lgpio, its drop-in on a Raspberry Pi 5): pins with a direction,
a level and a pull, edge detection that calls back on a thread of its own, and the real module's errors.

Tests drive buttons with press(pin) and release(pin), as gpiozero's mock pins do with drive_low/drive_high.
STANDIN_GPIO=pi5 makes the import fail as RPi.GPIO 0.7 does on a Pi 5, notpi as it does off a Pi;
STANDIN_GPIO_BUSY=7,8 makes those pins "GPIO busy" (claimed by the kernel's SPI driver), as rpi-lgpio says.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Callable, Dict, List, Optional

if os.environ.get("STANDIN_GPIO") == "pi5":
    raise RuntimeError("Cannot determine SOC peripheral base address")
if os.environ.get("STANDIN_GPIO") == "notpi":
    raise RuntimeError("This module can only be run on a Raspberry Pi!")

VERSION = "0.7.1"
BOARD, BCM = 10, 11
OUT, IN = 0, 1
LOW, HIGH = 0, 1
PUD_OFF, PUD_DOWN, PUD_UP = 20, 21, 22
RISING, FALLING, BOTH = 31, 32, 33


class error(Exception):  # noqa: N801 - rpi-lgpio raises lgpio.error, whose name this mirrors
    """What rpi-lgpio raises when the kernel has claimed a pin."""


_mode: Optional[int] = None
_pins: Dict[int, Dict[str, int]] = {}
_edges: Dict[int, Dict[str, object]] = {}
_lock = threading.Lock()


def _busy() -> List[int]:
    return [int(p) for p in os.environ.get("STANDIN_GPIO_BUSY", "").split(",") if p.strip()]


def setwarnings(flag: bool) -> None:
    """Warnings on or off (nothing to warn about here)."""


def setmode(mode: int) -> None:
    """Pin numbering: BCM or BOARD."""
    global _mode
    if _mode is not None and mode != _mode:
        raise ValueError("A different mode has already been set!")
    _mode = mode


def getmode() -> Optional[int]:
    """The numbering mode, or None."""
    return _mode


def setup(channel: int, direction: int, pull_up_down: int = PUD_OFF, initial: Optional[int] = None) -> None:
    """Make a pin an output (at `initial`) or an input (with its pull)."""
    if _mode is None:
        raise RuntimeError("Please set pin numbering mode using GPIO.setmode(GPIO.BOARD) or GPIO.setmode(GPIO.BCM)")
    if channel in _busy():
        raise error("GPIO busy")
    with _lock:
        if direction == OUT:
            _pins[channel] = {"dir": OUT, "level": HIGH if initial else LOW, "pull": PUD_OFF}
        else:
            _pins[channel] = {"dir": IN, "level": LOW if pull_up_down == PUD_DOWN else HIGH, "pull": pull_up_down}


def output(channel: int, value: int) -> None:
    """Drive an output pin."""
    pin = _pins.get(channel)
    if pin is None or pin["dir"] != OUT:
        raise RuntimeError("The GPIO channel has not been set up as an OUTPUT")
    pin["level"] = HIGH if value else LOW


def input(channel: int) -> int:  # noqa: A001 - RPi.GPIO's name
    """Read a pin."""
    pin = _pins.get(channel)
    if pin is None:
        raise RuntimeError("You must setup() the GPIO channel first")
    return pin["level"]


def add_event_detect(channel: int, edge: int, callback: Optional[Callable[[int], None]] = None,
                     bouncetime: Optional[int] = None) -> None:
    """Call back on an edge of an input pin."""
    pin = _pins.get(channel)
    if pin is None or pin["dir"] != IN:
        raise RuntimeError("You must setup() the GPIO channel as an input first")
    if channel in _edges:
        raise RuntimeError("Conflicting edge detection already enabled for this GPIO channel")
    _edges[channel] = {"edge": edge, "callbacks": [callback] if callback else [], "bounce": (bouncetime or 0) / 1000,
                       "last": float("-inf")}


def add_event_callback(channel: int, callback: Callable[[int], None]) -> None:
    """Another callback for an edge already watched."""
    if channel not in _edges:
        raise RuntimeError("Add event detection using add_event_detect first before adding a callback")
    _edges[channel]["callbacks"].append(callback)  # type: ignore[union-attr]


def remove_event_detect(channel: int) -> None:
    """Stop watching a pin."""
    _edges.pop(channel, None)


def cleanup(channel: Optional[int] = None) -> None:
    """Forget one pin, or all."""
    for pin in ([channel] if channel is not None else list(_pins)):
        _pins.pop(pin, None)
        _edges.pop(pin, None)


# What the tests (and the spidev stand-in) use; not RPi.GPIO's API.

def low_outputs() -> List[int]:
    """The output pins held low now (chip selects during a transfer)."""
    return sorted(p for p, pin in _pins.items() if pin["dir"] == OUT and pin["level"] == LOW)


def _drive(channel: int, level: int) -> None:
    pin = _pins.get(channel)
    if pin is None or pin["dir"] != IN:
        raise AssertionError(f"GPIO {channel} is not an input")
    before, pin["level"] = pin["level"], level
    watch = _edges.get(channel)
    if watch is None or before == level:
        return
    wanted = {FALLING: level == LOW, RISING: level == HIGH, BOTH: True}[watch["edge"]]  # type: ignore[index]
    now = time.monotonic()
    if not wanted or now - watch["last"] < watch["bounce"]:  # type: ignore[operator]
        return
    watch["last"] = now
    for callback in list(watch["callbacks"]):  # type: ignore[union-attr]
        thread = threading.Thread(target=callback, args=(channel,), name="gpio-event")   # RPi.GPIO's own thread
        thread.start()
        thread.join(5)


def press(channel: int) -> None:
    """A button to ground: the pin goes low."""
    _drive(channel, LOW)


def release(channel: int) -> None:
    """The button let go: the pull-up takes the pin high."""
    _drive(channel, HIGH)
