"""The Unicorn HAT Mini (17x7, SPI) through Pimoroni's `unicornhatmini` package, with its four buttons.

The library (read from its source, 0.0.2) drives two Holtek HT16D35 chips: each LED channel gets `value >> 2`
(64 steps) and the chips a global brightness `int(63 * b)` (64 steps). The light model's `split` gives both,
so the brightness lives in the global level and every colour keeps its 64 steps: dim states stay lit and
apart at any brightness above 0. Rotation is our own geometry, as for every board.

Buttons (BCM pins; Pimoroni corrected Y to 24 after the library's 0.0.2 release, which says 20) are read
through the same RPi.GPIO (rpi-lgpio on a Raspberry Pi 5) as falling edges; `on_button` gets "A" .. "Y".
"""

from __future__ import annotations

import importlib
import logging
import sys
from types import ModuleType
from typing import Any, Callable, Dict, Optional, Tuple

from statusboard.display import light
from statusboard.display.base import Frame
from statusboard.display.board import Driver, LedBoard
from statusboard.display.geometry import physical_pixels, physical_shape
from statusboard.display.pi import board_model, explain_spi
from statusboard.errors import DisplayError

log = logging.getLogger(__name__)

BUTTONS: Dict[int, str] = {5: "A", 6: "B", 16: "X", 24: "Y"}
STEPS = 63
BOUNCE_MS = 200


def _open(lib: ModuleType) -> Any:
    """The library's UnicornHATMini; where the kernel's SPI driver holds the chip-select pins (Raspberry Pi OS
    Bookworm with rpi-lgpio: "GPIO busy"), one that lets the SPI driver select the chips itself."""
    try:
        return lib.UnicornHATMini()
    except Exception as exc:  # noqa: BLE001 - lgpio.error is no OSError; anything else is re-raised
        if "busy" not in str(exc).lower():
            raise
    log.info("Unicorn HAT Mini: the SPI driver holds the chip selects (GPIO 7, 8); letting it drive them")
    return _kernel_select(lib)


def _kernel_select(lib: ModuleType) -> Any:
    class KernelSelect(lib.UnicornHATMini):  # type: ignore[name-defined,misc]
        """The library's display with the chip selects left to the SPI driver (no GPIO for them)."""

        def __init__(self) -> None:  # the library's own start-up sequence, without claiming GPIO 7 and 8
            self.disp = [[0, 0, 0] for _ in range(17 * 7)]
            self.left_matrix = (lib.spidev.SpiDev(0, 0), 8, 0)
            self.right_matrix = (lib.spidev.SpiDev(0, 1), 7, 28 * 8)
            self.buf = [0 for _ in range(28 * 8 * 2)]
            self._rotation = 0
            for device, pin, offset in self.left_matrix, self.right_matrix:
                device.max_speed_hz = 600000
                for command in ([lib.CMD_SOFT_RESET], [lib.CMD_GLOBAL_BRIGHTNESS, 0x01], [lib.CMD_SCROLL_CTRL, 0x00],
                                [lib.CMD_SYSTEM_CTRL, 0x00],
                                [lib.CMD_WRITE_DISPLAY, 0x00] + self.buf[offset:offset + 28 * 8],
                                [lib.CMD_COM_PIN_CTRL, 0xff], [lib.CMD_ROW_PIN_CTRL, 0xff, 0xff, 0xff, 0xff],
                                [lib.CMD_SYSTEM_CTRL, 0x03]):
                    self.xfer(device, pin, command)
            lib.atexit.register(self._exit)

        def xfer(self, device: Any, pin: int, command: Any) -> None:
            """One transfer; the SPI driver selects the chip of the device."""
            device.xfer2(command)
    return KernelSelect()


class UnicornHatMiniDisplay:
    """Drives the Mini's 119 LEDs with the shared light model, and reports its buttons to `on_button`."""

    def __init__(self, settings: Any, module: Optional[ModuleType] = None, **_: Any) -> None:
        self.settings = settings
        self.shape: Tuple[int, int] = settings.shape
        self._last: Optional[Frame] = None
        self._global: Optional[int] = None
        self.on_button: Optional[Callable[[str], None]] = None
        try:
            lib = module or importlib.import_module("unicornhatmini")
            self.mini = _open(lib)
            self.mini.set_rotation(0)
        except Exception as exc:  # noqa: BLE001 - lgpio.error is none of Python's own: one line, never a traceback
            sys.modules.pop("unicornhatmini", None)
            raise DisplayError(explain_spi(exc, "mini", board_model())) from None
        if tuple(self.mini.get_shape()) != physical_shape("mini"):
            raise DisplayError(f"the HAT Mini driver reports a {self.mini.get_shape()} grid, not 17x7")
        self.gpio = getattr(lib, "GPIO", None)
        self._watched = self._watch_buttons()
        log.info("Unicorn HAT Mini ready: rotation %d, buttons %s", settings.rotation,
                 "A B X Y" if self._watched else "not read")

    def _watch_buttons(self) -> bool:
        """Ask RPi.GPIO for a call on each press; a board whose buttons cannot be read works without them."""
        if self.gpio is None:
            return False
        try:
            for pin in BUTTONS:
                self.gpio.setup(pin, self.gpio.IN, pull_up_down=self.gpio.PUD_UP)
                self.gpio.add_event_detect(pin, self.gpio.FALLING, callback=self._pressed, bouncetime=BOUNCE_MS)
        except Exception as exc:  # noqa: BLE001 - the LEDs matter more than the buttons
            log.warning("Unicorn HAT Mini: its buttons cannot be read (%s); the board runs without them", exc)
            return False
        return True

    def _pressed(self, pin: int) -> None:
        """RPi.GPIO's callback (on its own thread)."""
        handler = self.on_button
        if handler is not None and pin in BUTTONS:
            handler(BUTTONS[pin])

    def show(self, frame: Frame) -> None:
        """Push the frame to the LEDs when they would change."""
        if frame.same_leds(self._last):
            return
        overall = light.split((255, 255, 255), frame.brightness, STEPS)[0]
        if overall != self._global:
            self.mini.set_brightness((overall + 0.5) / STEPS)   # the library sends int(63 * b): exactly overall
            self._global = overall
        for y, row in enumerate(physical_pixels(frame, "mini", self.settings.rotation)):
            for x, rgb in enumerate(row):
                _, (r, g, b) = light.split(rgb, frame.brightness, STEPS)
                self.mini.set_pixel(x, y, r << 2, g << 2, b << 2)   # the library sends value >> 2
        self.mini.show()
        self._last = frame

    def listen(self, on_close: Callable[[], None], on_button: Callable[[str], None]) -> None:
        """Its buttons go to the board (it cannot be closed)."""
        self.on_button = on_button

    def close(self) -> None:
        """Turn every LED off and stop reading the buttons."""
        self.mini.clear()
        self.mini.show()
        self._last = None
        if self._watched:
            for pin in BUTTONS:
                try:
                    self.gpio.remove_event_detect(pin)
                except Exception:  # noqa: BLE001 - closing goes on
                    pass
            self._watched = False


DISPLAY = Driver("unicornhatmini", UnicornHatMiniDisplay, boards=(
    LedBoard("mini", "Unicorn HAT Mini", (17, 7), extra="mini", spi=True, gpio=True,
             buttons=tuple(BUTTONS.values()),
             devices=("DeviceAllow=char-spi rw", "DeviceAllow=/dev/gpiomem rw", "DeviceAllow=char-gpiochip rw",
                      "ReadWritePaths=-/sys/class/gpio -/sys/devices/platform")),
))
