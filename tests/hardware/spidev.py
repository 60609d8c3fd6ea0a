"""A recording stand-in for py-spidev: the interface unicornhathd and unicornhatmini use, behaving as the
kernel's /dev/spidevB.D does, and failing the way it fails.

It goes in sys.modules in place of the real package, so the real library modules run over it. Every transfer
is recorded with the chip it reached: with `no_cs` the library selects the chip itself through a GPIO pin held
low (read from the RPi.GPIO stand-in), otherwise the kernel's chip-select line of the device (CE0 is GPIO 8,
CE1 GPIO 7). Set STANDIN_SPI=off (SPI not enabled: no device node) or denied (no permission) to make open fail.
"""

from __future__ import annotations

import errno
import os
import sys
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

BUFSIZ = 4096                 # the kernel module's default bufsiz: one transfer is at most this long
KERNEL_CS = {0: 8, 1: 7}      # SPI0's CE0 and CE1


@dataclass(frozen=True)
class Transfer:
    """One xfer2: the device it was written to, the chip-select pins low during it, and its bytes."""

    bus: int
    device: int
    selected: Tuple[int, ...]
    data: bytes


transfers: List[Transfer] = []


def _low_outputs() -> Tuple[int, ...]:
    gpio = sys.modules.get("RPi.GPIO")
    return tuple(gpio.low_outputs()) if gpio is not None and hasattr(gpio, "low_outputs") else ()


class SpiDev:
    """/dev/spidevB.D: open it, set its speed, write to it."""

    def __init__(self, bus: Optional[int] = None, device: Optional[int] = None) -> None:
        self.bus: Optional[int] = None
        self.device: Optional[int] = None
        self.max_speed_hz = 125000000
        self.mode = 0
        self.bits_per_word = 8
        self.no_cs = False
        if bus is not None and device is not None:
            self.open(bus, device)

    def open(self, bus: int, device: int) -> None:
        """Open /dev/spidev{bus}.{device}."""
        path = f"/dev/spidev{bus}.{device}"
        failure = os.environ.get("STANDIN_SPI", "")
        if failure == "off":
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), path)
        if failure == "denied":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
        self.bus, self.device = bus, device

    def xfer2(self, values: Sequence[int]) -> List[int]:
        """Write the bytes with chip select held for the whole transfer; what came back (nothing: zeros)."""
        if self.bus is None:
            raise OSError(errno.EBADF, os.strerror(errno.EBADF))
        if len(values) > BUFSIZ:
            raise OverflowError(f"Argument list size exceeds {BUFSIZ} bytes.")
        data = bytes(int(v) & 0xFF for v in values)   # the C module keeps the low byte of each value
        selected = _low_outputs() if self.no_cs else (KERNEL_CS.get(self.device, -1),)
        transfers.append(Transfer(self.bus, self.device, selected, data))
        return [0] * len(data)

    def close(self) -> None:
        """Close the device."""
        self.bus = self.device = None
