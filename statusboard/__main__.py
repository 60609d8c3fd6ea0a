"""The `statusboard` command (`python -m statusboard`, and the installed script): the cyclic garbage collector
rests until the board's first frame.

Start-up makes many objects and few cycles (modules, the config, the kinds' dataclasses); collecting them as
they come is about a fifth of the CPU to a 64-target board's first frame here, seconds on a Pi Zero. Runner.run
freezes what start-up made (gc.freeze: never traversed again) and turns the collector on after the first frame;
a command that draws no board runs briefly without it.
"""

from __future__ import annotations

import gc
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Run the command line (statusboard.cli.main) with the collector off until the first frame."""
    gc.disable()
    try:
        from statusboard.cli import main as cli_main
    except KeyboardInterrupt:   # Ctrl-C while it starts, before the command line handles it: no traceback
        return 130
    return cli_main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
