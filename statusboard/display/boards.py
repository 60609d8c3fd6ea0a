"""`python -m statusboard.display.boards LAYOUT`: what install.sh needs to know of one layout, as shell assignments
(exit 2 and the layouts to choose from for any other word); without LAYOUT, the layouts, one line."""

from __future__ import annotations

import shlex
import sys
from typing import List, Optional, Sequence

from statusboard.display.board import Driver, LedBoard, choices, together
from statusboard.display.registry import BOARDS, DRIVER_OF, DRIVERS


def shell(board: LedBoard, driver: Driver, everyone: Sequence[LedBoard]) -> str:
    """What install.sh needs of one board, as shell assignments it can eval: NAME (its driver's, for people),
    EXTRA, SPI and GPIO (yes or no), ACCESS (the drop-in's lines), NOT_ON_PI5 (why not, or nothing), and the
    boards that work on a Pi 5: PI5_LAYOUTS, PI5_NAMES and PI5_BRIEF (without the brand they share with it)."""
    pi5 = [b for b in everyone if not b.not_on_pi5]
    names = together([b.name for b in pi5]) if pi5 else ""
    brand = driver.title.split()[0] + " "
    facts = {"NAME": driver.title, "EXTRA": board.extra, "SPI": "yes" if board.spi else "no",
             "GPIO": "yes" if board.gpio else "no", "ACCESS": "\n".join(board.devices),
             "NOT_ON_PI5": board.not_on_pi5, "PI5_LAYOUTS": choices([b.layout for b in pi5]) if pi5 else "",
             "PI5_NAMES": names, "PI5_BRIEF": names[len(brand):] if names.startswith(brand) else names}
    return "".join(f"{key}={shlex.quote(value)}\n" for key, value in facts.items())


def main(argv: Optional[List[str]] = None) -> int:
    """Print what install.sh needs of the layout named (or every layout's name); 2 for an unknown one."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print(" ".join(BOARDS))
        return 0
    if len(args) != 1 or args[0] not in BOARDS:
        print(f"choose {choices(list(BOARDS))}", file=sys.stderr)
        return 2
    sys.stdout.write(shell(BOARDS[args[0]], DRIVERS[DRIVER_OF[args[0]]], list(BOARDS.values())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
