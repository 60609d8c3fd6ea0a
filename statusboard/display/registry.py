"""The display drivers by name, imported only when chosen."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Dict, Optional

from statusboard.config.display import DRIVER_NAMES, DisplaySettings
from statusboard.errors import DisplayError

if TYPE_CHECKING:
    from statusboard.display.base import Display

# name (config.display.DRIVER_NAMES) -> "module:Class"; the module is imported only when its driver is chosen.
DRIVERS: Dict[str, str] = {
    "unicornhat": "statusboard.display.unicornhat:UnicornHatDisplay",
    "unicornhathd": "statusboard.display.unicornhathd:UnicornHatHdDisplay",
    "unicornhatmini": "statusboard.display.unicornhatmini:UnicornHatMiniDisplay",
    "terminal": "statusboard.display.terminal:TerminalDisplay",
    "window": "statusboard.display.window:WindowDisplay",
    "fake": "statusboard.display.fake:FakeDisplay",
}


def open_display(name: str, settings: DisplaySettings, record: Optional[str] = None,
                 **options: Any) -> "Display":
    """Open the named display for a board; with record, every frame shown is also appended to that file."""
    if name not in DRIVERS:
        raise DisplayError(f"unknown display {name!r}; choose one of {', '.join(DRIVER_NAMES)}")
    module_name, class_name = DRIVERS[name].split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    display = cls(settings, **options)
    if record:
        from statusboard.display.record import Recorder
        display = Recorder(display, record)
    return display
