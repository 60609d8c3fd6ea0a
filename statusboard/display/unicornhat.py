"""The real Unicorn HAT / pHAT through Pimoroni's `unicornhat` package, imported only when chosen."""

from __future__ import annotations

import contextlib
import importlib
import io
import logging
from types import ModuleType
from typing import Any, Optional, Tuple

from statusboard.display.base import Frame
from statusboard.display.geometry import physical_pixels, physical_shape
from statusboard.errors import DisplayError

log = logging.getLogger(__name__)

MODEL_FILE = "/proc/device-tree/model"


def _board_model() -> str:
    try:
        with open(MODEL_FILE, encoding="ascii", errors="replace") as handle:
            return handle.read().strip("\x00\n ")
    except OSError:
        return ""


def explain(exc: BaseException, model: str) -> str:
    """One clear line for a failure to import or start the `unicornhat` package."""
    text = str(exc)
    if isinstance(exc, ImportError):
        return ("the unicornhat package is not installed (pip install unicornhat, or run install.sh); "
                "to preview without a HAT use --display terminal")
    if "Raspberry Pi 5" in model:
        return f"the Unicorn HAT does not work on a {model} (its LED driver has no support for it)"
    if "code -3" in text or "Hardware revision is not supported" in text:
        if model.startswith("Raspberry Pi"):
            return f"this board ({model}) is not supported by the Unicorn HAT driver: {text}"
        return "this is not a Raspberry Pi, so there is no Unicorn HAT here; use --display terminal to preview"
    if "code -5" in text or "mmap() failed" in text or isinstance(exc, PermissionError):
        return "the Unicorn HAT needs root: run as root or through the service (systemctl start statusboard)"
    return f"the Unicorn HAT could not be started: {text}"


class UnicornHatDisplay:
    """Drives the LEDs; layout set explicitly (never auto-detected); rotation done by our own geometry,
    the same the window display uses, so both show a board the same way round."""

    def __init__(self, settings: Any, module: Optional[ModuleType] = None, **_: Any) -> None:
        self.settings = settings
        self.shape: Tuple[int, int] = settings.shape
        self._brightness: Optional[float] = None
        self._last: Optional[Frame] = None
        try:
            self.uh = module or importlib.import_module("unicornhat")
            self.uh.set_layout(self.uh.PHAT if settings.layout == "phat" else self.uh.HAT)
            self.uh.rotation(0)
        except (ImportError, RuntimeError, OSError) as exc:
            raise DisplayError(explain(exc, _board_model())) from None
        width, height = self.uh.get_shape()
        if (width, height) != physical_shape(settings.layout):
            raise DisplayError(f"the HAT driver reports a {width}x{height} grid, not the "
                               f"{settings.layout} layout's; check display.layout")
        log.info("Unicorn HAT ready: %s, rotation %d", settings.layout, settings.rotation)

    def _set_brightness(self, value: float) -> None:
        if value == self._brightness:
            return
        # The driver prints a warning to stdout below about 0.23; the board's own setting is deliberate.
        with contextlib.redirect_stdout(io.StringIO()):
            self.uh.brightness(value)
        self._brightness = value

    def show(self, frame: Frame) -> None:
        """Push the frame to the LEDs when they would change."""
        if frame.same_leds(self._last):
            return
        self._set_brightness(frame.brightness)
        for y, row in enumerate(physical_pixels(frame, self.settings.layout, self.settings.rotation)):
            for x, (r, g, b) in enumerate(row):
                self.uh.set_pixel(x, y, r, g, b)
        self.uh.show()
        self._last = frame

    def close(self) -> None:
        """Turn every LED off."""
        self.uh.off()
        self._last = None
