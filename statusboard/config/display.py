"""The display's settings from config.yaml: which driver, the layout and its shape, brightness, rotation, night
(what each board and display is, its display module declares)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional, Tuple

from statusboard.config.values import Invalid
from statusboard.display.registry import BOARDS, DRIVER_NAMES, DRIVER_OF, PHYSICAL, choices

# Every board and display is declared by its display module (statusboard/display/registry.py lists them):
# layout -> (width, height) of its LED grid; the displays by name; the LED driver of each layout (a preview,
# terminal, window or fake, draws any layout).
LAYOUTS = PHYSICAL
LED_DRIVERS = DRIVER_OF
ROTATIONS = (0, 90, 180, 270)
if TYPE_CHECKING:   # a restarted board reads these settings before YAML (config.schema) is imported
    from statusboard.config.schema import Section
__all__ = ["DRIVER_NAMES", "DisplaySettings", "LAYOUTS", "LED_DRIVERS", "Night", "PHYSICAL", "parse_display"]


@dataclass(frozen=True)
class Night:
    """Hours of local time when the board dims (brightness 0 turns it off)."""

    start: int          # minutes after midnight
    end: int
    brightness: float

    def covers(self, minute: int) -> bool:
        """Whether a minute of the day falls in the night (which may span midnight)."""
        if self.start <= self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end


@dataclass(frozen=True)
class DisplaySettings:
    """Which display draws the board, its layout, brightness, rotation and night hours."""

    driver: str = "unicornhat"
    layout: str = "hat"
    brightness: float = 0.4
    rotation: int = 0
    night: Optional[Night] = None

    @property
    def shape(self) -> Tuple[int, int]:
        """(width, height) of the board as the viewer sees it, after rotation."""
        width, height = PHYSICAL[self.layout]
        return (height, width) if self.rotation in (90, 270) else (width, height)


def parse_display(sec: Section) -> DisplaySettings:
    """The display section: driver, layout, brightness, rotation and night hours."""
    def driver(value: Any) -> str:
        if not isinstance(value, str) or value not in DRIVER_NAMES:
            raise Invalid(f"unknown display {value!r}; choose one of {', '.join(DRIVER_NAMES)}")
        return value

    def layout(value: Any) -> str:
        if not isinstance(value, str) or value not in LAYOUTS:
            raise Invalid(f"expected {choices([f'{k} ({w}x{h})' for k, (w, h) in LAYOUTS.items()])}, got {value!r}")
        return value

    def brightness(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise Invalid(f"expected a number from 0 to 1, got {value!r}")
        return float(value)

    def rotation(value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value not in ROTATIONS:
            raise Invalid(f"expected 0, 90, 180 or 270, got {value!r}")
        return int(value)

    chosen_layout = sec.take("layout", layout, "hat") or "hat"
    chosen_driver = sec.take("driver", driver, LED_DRIVERS[chosen_layout])
    if chosen_driver in LED_DRIVERS.values() and chosen_driver != LED_DRIVERS[chosen_layout]:
        sec.report(f"the {chosen_driver} driver does not draw the {chosen_layout} layout "
                   f"({BOARDS[chosen_layout].name}): use driver {LED_DRIVERS[chosen_layout]}", "driver")
    settings = DisplaySettings(
        driver=chosen_driver,
        layout=chosen_layout,
        brightness=sec.take("brightness", brightness, 0.4),
        rotation=sec.take("rotation", rotation, 0),
        night=_night(sec.sub("night"), brightness) if sec.has("night") else None,
    )
    sec.finish()
    return settings


def _clock_time(value: Any) -> int:
    text = str(value).strip()
    parts = text.split(":")
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        hours, minutes = int(parts[0]), int(parts[1])
        if 0 <= hours < 24 and 0 <= minutes < 60:
            return hours * 60 + minutes
    raise Invalid(f'expected a time of day like "22:00" (quote it), got {value!r}')


def _night(sec: Section, brightness: Any) -> Optional[Night]:
    night = Night(start=sec.take("from", _clock_time), end=sec.take("to", _clock_time),
                  brightness=sec.take("brightness", brightness, 0.05))
    sec.finish()
    if night.start is None or night.end is None:
        return None
    return night
