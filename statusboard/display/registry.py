"""Every display the board can be drawn on: one module each under display/, named in the one line below; each
declares DISPLAY (display/board.py says what), and config, `--display`, install.sh and the service's drop-in
read what they need of a board here."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple

from statusboard.display.board import Driver, LedBoard, choices
from statusboard.errors import DisplayError

if TYPE_CHECKING:
    from statusboard.display.base import Display

# The registry: a display's module declares DISPLAY (a Driver), named as the module. The LED boards' displays,
# whose declarations config reads at every start; the previews draw any board and are imported when chosen.
MODULES = ("unicornhat", "unicornhathd", "unicornhatmini")
PREVIEWS = ("terminal", "window", "fake")


def register(modules: Tuple[str, ...], package: str = "statusboard.display") -> Dict[str, Driver]:
    """Every display the modules declare, by name; a module without a whole declaration, or a layout declared
    twice, is refused here, by its name, when the registry loads."""
    out: Dict[str, Driver] = {}
    layouts: Dict[str, str] = {}
    for name in modules:
        module = f"{package}.{name}"
        driver = getattr(importlib.import_module(module), "DISPLAY", None)
        if not isinstance(driver, Driver):
            raise TypeError(f"{module} declares no DISPLAY (a Driver: display/board.py says what it holds)")
        for board in driver.boards:
            if not isinstance(board, LedBoard):
                raise TypeError(f"{module}: display {driver.name!r} declares {board!r}, not a LedBoard")
            if board.layout in layouts:
                raise TypeError(f"{module}: layout {board.layout!r} is declared by {layouts[board.layout]} too")
            layouts[board.layout] = module
        out[driver.name] = driver
    return out


DRIVERS: Dict[str, Driver] = register(MODULES)
DRIVER_NAMES: Tuple[str, ...] = tuple(DRIVERS) + PREVIEWS
BOARDS: Dict[str, LedBoard] = {b.layout: b for d in DRIVERS.values() for b in d.boards}   # by layout
DRIVER_OF: Dict[str, str] = {b.layout: d.name for d in DRIVERS.values() for b in d.boards}
PHYSICAL: Dict[str, Tuple[int, int]] = {layout: b.shape for layout, b in BOARDS.items()}


def driver(name: str) -> Driver:
    """The declaration of a display by its name (a preview's module is imported here, the first time)."""
    if name not in DRIVERS:
        if name not in PREVIEWS:
            raise DisplayError(f"unknown display {name!r}; choose one of {', '.join(DRIVER_NAMES)}")
        DRIVERS.update(register((name,)))
    return DRIVERS[name]


def open_display(name: str, settings: Any, record: Optional[str] = None, **options: Any) -> "Display":
    """Open the named display for a board (its config.display settings); with record, every frame shown is also
    appended to that file."""
    display = driver(name).opens(settings, **options)
    if record:
        from statusboard.display.record import Recorder
        display = Recorder(display, record)
    return display


__all__ = ["BOARDS", "DRIVERS", "DRIVER_NAMES", "DRIVER_OF", "PHYSICAL", "PREVIEWS", "choices", "driver",
           "open_display", "register"]
