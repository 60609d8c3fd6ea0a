"""The real Unicorn HAT / pHAT through Pimoroni's `unicornhat` package, imported only when chosen."""

from __future__ import annotations

import atexit
import importlib
import logging
import sys
from types import ModuleType
from typing import Any, Optional, Tuple

from statusboard.display import light
from statusboard.display.base import Frame, NoControls
from statusboard.display.board import Driver, LedBoard
from statusboard.display.geometry import physical_pixels, physical_shape
from statusboard.display.pi import board_model
from statusboard.errors import DisplayError

log = logging.getLogger(__name__)

ON_PI5 = ("the Unicorn HAT does not work on a {model} (its LED driver, rpi_ws281x, has no support for it); "
          "the Unicorn HAT HD and the Unicorn HAT Mini do (display.layout hd or mini)")


def explain(exc: BaseException, model: str) -> str:
    """One clear line for a failure to import or start the `unicornhat` package."""
    text = str(exc)
    if isinstance(exc, ImportError):
        if not model.startswith("Raspberry Pi"):
            return ("this is not a Raspberry Pi, so there is no Unicorn HAT here (and install.sh did not install "
                    "its driver): set display.driver to terminal, or preview with --display terminal")
        if "Raspberry Pi 5" in model:
            return ON_PI5.format(model=model)
        return ("the unicornhat package is not installed: sudo ./install.sh --hat installs it; "
                "to preview without a HAT use --display terminal")
    if "Raspberry Pi 5" in model:
        return ON_PI5.format(model=model)
    if "code -3" in text or "Hardware revision is not supported" in text:
        if model.startswith("Raspberry Pi"):
            return f"this board ({model}) is not supported by the Unicorn HAT driver: {text}"
        return "this is not a Raspberry Pi, so there is no Unicorn HAT here; use --display terminal to preview"
    if "code -5" in text or "mmap() failed" in text or isinstance(exc, PermissionError):
        return "the Unicorn HAT needs root: run as root or through the service (systemctl start statusboard)"
    return f"the Unicorn HAT could not be started: {text}"


def _disarm(exc: BaseException) -> None:
    """Drop the exit handler a strip that never started left behind (rpi_ws281x registers it before begin();
    at exit it would run ws2811_fini on a device that was never opened and die with SIGSEGV)."""
    tb = exc.__traceback__
    while tb is not None:
        for scope in (tb.tb_frame.f_locals, tb.tb_frame.f_globals):
            for value in list(scope.values()):
                # By type alone: asking arbitrary objects for attributes could run their code.
                if any(cls.__name__ == "PixelStrip" for cls in type(value).__mro__):
                    atexit.unregister(value._cleanup)
        tb = tb.tb_next


class UnicornHatDisplay(NoControls):
    """Drives the LEDs with exactly the levels of the shared light model; layout set explicitly (never
    auto-detected); rotation done by our own geometry, the same the window display uses."""

    def __init__(self, settings: Any, module: Optional[ModuleType] = None, **_: Any) -> None:
        self.settings = settings
        self.shape: Tuple[int, int] = settings.shape
        self._last: Optional[Frame] = None
        try:
            self.uh = module or importlib.import_module("unicornhat")
            # Pimoroni's current library opens the strip on first use and then sets the HAT layout: open it
            # first, so the layout set next is the one that stays.
            setup = getattr(self.uh, "setup", None)
            if callable(setup):
                setup()
            self.uh.set_layout(self.uh.PHAT if settings.layout == "phat" else self.uh.HAT)
            self.uh.rotation(0)
            # The light model decides every level: the library's brightness stays at its cap (scale 129) and
            # its gamma table passes our levels through unchanged.
            self.uh.set_gamma(light.library_gamma())
            self.uh.brightness(1.0)
        except (ImportError, RuntimeError, OSError, AttributeError, ValueError) as exc:
            _disarm(exc)
            sys.modules.pop("unicornhat", None)
            raise DisplayError(explain(exc, board_model())) from None
        width, height = self.uh.get_shape()
        if (width, height) != physical_shape(settings.layout):
            raise DisplayError(f"the HAT driver reports a {width}x{height} grid, not the "
                               f"{settings.layout} layout's; check display.layout")
        log.info("Unicorn HAT ready: %s, rotation %d", settings.layout, settings.rotation)

    def show(self, frame: Frame) -> None:
        """Push the frame to the LEDs when they would change."""
        if frame.same_leds(self._last):
            return
        for y, row in enumerate(physical_pixels(frame, self.settings.layout, self.settings.rotation)):
            for x, rgb in enumerate(row):
                r, g, b = light.wire(rgb, frame.brightness)
                self.uh.set_pixel(x, y, light.library_value(r), light.library_value(g), light.library_value(b))
        self.uh.show()
        self._last = frame

    def close(self) -> None:
        """Turn every LED off."""
        self.uh.off()
        self._last = None


# It drives its LEDs with DMA through /dev/mem (raw I/O), which rpi_ws281x cannot do on a Pi 5.
DEVICES = ("CapabilityBoundingSet=CAP_SYS_RAWIO", "DeviceAllow=/dev/mem rw", "DeviceAllow=/dev/vcio rw")
NOT_ON_PI5 = "its LED driver, rpi_ws281x, has no support for it"
DISPLAY = Driver("unicornhat", UnicornHatDisplay, boards=(
    LedBoard("hat", "Unicorn HAT", (8, 8), extra="hat", not_on_pi5=NOT_ON_PI5, devices=DEVICES),
    LedBoard("phat", "Unicorn pHAT", (8, 4), extra="hat", not_on_pi5=NOT_ON_PI5, devices=DEVICES),
))
