"""The Unicorn HAT HD (16x16, SPI) through Pimoroni's `unicornhathd` package, imported only when chosen.

The library sends each LED's three bytes as `value * brightness` with no gamma of its own (read from its
source, 0.0.4). Its brightness is kept at 1 and every byte is the shared light model's level, stretched from
the HAT's range to the HD's (255 at brightness 1), so the HD shows what the HAT and the previews show.
"""

from __future__ import annotations

import importlib
import logging
import sys
from types import ModuleType
from typing import Any, Optional, Tuple

from statusboard.display import light
from statusboard.display.base import Frame, NoControls
from statusboard.display.board import Driver, LedBoard
from statusboard.display.geometry import physical_pixels, physical_shape
from statusboard.display.pi import board_model, explain_spi
from statusboard.errors import DisplayError

log = logging.getLogger(__name__)

SCALE = 255 / light.FULL   # the HD's full level (255 at its brightness 1) over the HAT's


class UnicornHatHdDisplay(NoControls):
    """Drives the HD's 256 LEDs with the shared light model; rotation by our own geometry."""

    def __init__(self, settings: Any, module: Optional[ModuleType] = None, **_: Any) -> None:
        self.settings = settings
        self.shape: Tuple[int, int] = settings.shape
        self._last: Optional[Frame] = None
        try:
            self.hd = module or importlib.import_module("unicornhathd")
            self.hd.setup()          # opens /dev/spidev0.0 now, not at the first frame
            self.hd.rotation(0)
            self.hd.brightness(1.0)
        except (ImportError, RuntimeError, OSError) as exc:
            sys.modules.pop("unicornhathd", None)
            raise DisplayError(explain_spi(exc, "hd", board_model())) from None
        if tuple(self.hd.get_shape()) != physical_shape("hd"):
            raise DisplayError(f"the HAT HD driver reports a {self.hd.get_shape()} grid, not 16x16")
        log.info("Unicorn HAT HD ready: rotation %d", settings.rotation)

    def show(self, frame: Frame) -> None:
        """Push the frame to the LEDs when they would change."""
        if frame.same_leds(self._last):
            return
        for y, row in enumerate(physical_pixels(frame, "hd", self.settings.rotation)):
            for x, rgb in enumerate(row):
                r, g, b = light.wire(rgb, frame.brightness, SCALE)
                self.hd.set_pixel(x, y, min(r, 255), min(g, 255), min(b, 255))
        self.hd.show()
        self._last = frame

    def close(self) -> None:
        """Turn every LED off."""
        self.hd.off()
        self._last = None


DISPLAY = Driver("unicornhathd", UnicornHatHdDisplay, boards=(
    LedBoard("hd", "Unicorn HAT HD", (16, 16), extra="hd", spi=True, devices=("DeviceAllow=char-spi rw",)),
))
