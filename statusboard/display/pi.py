"""What the Raspberry Pi under a board is, and one clear line for each way an SPI board (the Unicorn HAT HD
and Mini) fails to start."""

from __future__ import annotations

import errno
from typing import Optional

MODEL_FILE = "/proc/device-tree/model"
INSTALL = {"hd": "sudo ./install.sh --board hd", "mini": "sudo ./install.sh --board mini"}
NAMES = {"hd": "Unicorn HAT HD", "mini": "Unicorn HAT Mini"}


def board_model(path: Optional[str] = None) -> str:
    """The Pi's model ("Raspberry Pi 5 Model B Rev 1.0"), or "" where there is none (not a Pi)."""
    try:
        with open(path or MODEL_FILE, encoding="ascii", errors="replace") as handle:
            return handle.read().strip("\x00\n ")
    except OSError:
        return ""


def explain_spi(exc: BaseException, layout: str, model: str) -> str:
    """One line for a failure to import or open the library of an SPI board (layout hd or mini)."""
    name, install = NAMES[layout], INSTALL[layout]
    text = str(exc)
    is_pi = model.startswith("Raspberry Pi")
    if not is_pi and not isinstance(exc, PermissionError):
        return (f"this is not a Raspberry Pi, so there is no {name} here: set display.driver to terminal, "
                "or preview with --display terminal")
    if "SOC peripheral base address" in text or ("Raspberry Pi 5" in model and "RPi" in text):
        return (f"RPi.GPIO does not work on a {model}: the {name} needs rpi-lgpio in its place "
                f"({install} installs it)")
    if isinstance(exc, ImportError):
        missing = getattr(exc, "name", None) or "its driver"
        return f"the {name} driver is not installed ({missing} is missing): {install} installs it"
    if isinstance(exc, OSError) and exc.errno == errno.ENOENT:
        return (f"SPI is not enabled, so the {name} cannot be reached (no /dev/spidev0.0): "
                "sudo raspi-config nonint do_spi 0, then reboot (install.sh does both)")
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM):
        return (f"no permission to open /dev/spidev0.* for the {name}: run as root or through the service "
                "(systemctl start statusboard), or add the user to the spi and gpio groups")
    if "busy" in text.lower():
        return f"the {name}'s GPIO pins are in use by another program or driver: {text}"
    return f"the {name} could not be started: {type(exc).__name__}: {text}"
