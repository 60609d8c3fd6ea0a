"""A recording stand-in for rpi_ws281x: the interface unicornhat uses, doing to each channel what the C
library does on the wire (brightness scale, then the gamma table), and failing the way it fails.

It is put on sys.path (or in sys.modules) in place of the real package, so the real `unicornhat` module runs
over it. Set STANDIN_WS281X_INIT to a ws2811_init return code (-3: not a Pi, -5: no root) to make begin()
fail; set STANDIN_WS281X_WIRE to a file to get every frame sent to the LEDs appended to it as JSON lines.
Like the real library, it registers its exit cleanup when the strip is made, before begin(): after a failed
begin() that cleanup ends the process with SIGSEGV (ws2811_fini dereferences a device that was never opened).
"""

from __future__ import annotations

import atexit
import json
import os
import signal
from typing import List, Optional

__version__ = "5.0.0"

ERRORS = {-1: "Generic failure", -3: "Hardware revision is not supported", -5: "mmap() failed",
          -9: "Failed to create mailbox device"}
WS2811_STRIP_GRB = 0x00081000

init_result: Optional[int] = None   # tests in this process may set it instead of the environment
frames: List[List[tuple]] = []      # every frame rendered in this process: [(r, g, b) on the wire per LED]
finished: List[bool] = []           # one True per clean ws2811_fini


class RGBW(int):
    """A 32-bit colour, as the real library packs it."""

    def __new__(cls, r: int, g: Optional[int] = None, b: Optional[int] = None, w: Optional[int] = None):
        if (g, b, w) == (None, None, None):
            return int.__new__(cls, r)
        return int.__new__(cls, ((w or 0) << 24) | (r << 16) | (g << 8) | b)

    @property
    def r(self) -> int:
        return (self >> 16) & 0xff

    @property
    def g(self) -> int:
        return (self >> 8) & 0xff

    @property
    def b(self) -> int:
        return self & 0xff


def Color(red: int, green: int, blue: int, white: int = 0) -> RGBW:
    """Pack a colour as the real library does."""
    return RGBW(red, green, blue, white)


class PixelStrip:
    """A strip of WS281x LEDs whose wire output is recorded instead of sent."""

    def __init__(self, num, pin, freq_hz=800000, dma=10, invert=False, brightness=255, channel=0,
                 strip_type=None, gamma=None):
        if gamma is None:
            if isinstance(strip_type, list) and len(strip_type) == 256:
                gamma, strip_type = strip_type, None
            else:
                gamma = list(range(256))
        self.size = num
        self._gamma = list(gamma)
        self._brightness = brightness
        self._leds = [0] * num         # the C struct; None once freed
        self._device_open = False
        atexit.register(self._cleanup)  # as the real one does, before begin()

    def _cleanup(self) -> None:
        if self._leds is None:
            return
        if not self._device_open:
            os.kill(os.getpid(), signal.SIGSEGV)   # ws2811_fini: ws2811->device->... on a NULL device
        finished.append(True)
        self._leds = None

    def begin(self) -> None:
        """ws2811_init: fails off a Pi (-3) or without root (-5)."""
        code = init_result if init_result is not None else int(os.environ.get("STANDIN_WS281X_INIT", "0"))
        if code != 0:
            raise RuntimeError(f"ws2811_init failed with code {code} ({ERRORS.get(code, 'Generic failure')})")
        self._device_open = True

    def show(self) -> None:
        """ws2811_render: each channel scaled by brightness + 1, shifted by 8, then looked up in gamma."""
        scale = (self._brightness & 0xff) + 1
        frame = [tuple(self._gamma[(((int(c) >> shift) & 0xff) * scale) >> 8] for shift in (16, 8, 0))
                 for c in self._leds]
        frames.append(frame)
        path = os.environ.get("STANDIN_WS281X_WIRE")
        if path:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(frame) + "\n")

    def setGamma(self, gamma) -> None:
        if isinstance(gamma, list) and len(gamma) == 256:
            self._gamma = list(gamma)

    def setBrightness(self, brightness: int) -> None:
        self._brightness = brightness

    def getBrightness(self) -> int:
        return self._brightness

    def setPixelColor(self, n: int, color: int) -> None:
        self._leds[n] = int(color)

    def setPixelColorRGB(self, n: int, red: int, green: int, blue: int, white: int = 0) -> None:
        self.setPixelColor(n, Color(red, green, blue, white))

    def getPixelColor(self, n: int) -> int:
        return self._leds[n]

    def getPixels(self):
        return list(self._leds)

    def numPixels(self) -> int:
        return self.size

    def __len__(self) -> int:
        return self.size


Adafruit_NeoPixel = PixelStrip
