"""Draws docs/states.png: every state as the HAT shows it, in the default palette and in `palette:
colour-blind`, from the wire levels of the shared light model; each swatch labelled with its letter and state.

Each swatch is two LEDs: at the sample config's brightness (0.4) and at the README's night brightness (0.05);
stale is shown as a stale `running` pixel. The columns follow the README's table of states. Drawn by headless
Chromium. Run: python docs/states.py [out.png] (needs what the browser tests need: chromium, chromium-driver,
selenium).
"""

from __future__ import annotations

import html
import sys
import tempfile
import time
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from statusboard.display import light  # noqa: E402
from statusboard.kinds import STATES, parse  # noqa: E402
from statusboard.render import colour_of  # noqa: E402
from statusboard.table import Status  # noqa: E402
from statusboard.vocabulary import Severity  # noqa: E402
from tests.browser import chrome, why_not  # noqa: E402

ORDER = ["up", "slow", "down", "running", "pending", "stopping", "stopped", "shutting-down", "terminated",
         "absent", "impaired", "initializing", "ok", "alarm", "insufficient-data", "warning", "critical", "no-data",
         "live", "starving", "health-unknown", "offline", "unknown", "stale"]
BRIGHTNESSES = (0.4, 0.05)
PALETTES = (("default palette", "default"), ("palette: colour-blind", "colour-blind"))


def hex_of(rgb) -> str:
    """#rrggbb."""
    return "#%02x%02x%02x" % tuple(rgb)


def section(title: str, name: str) -> str:
    """One palette: a labelled swatch per state."""
    board = parse(f"palette: {name}\ntargets: {{a: {{pixel: [0, 0], ping: 127.0.0.1}}}}\n")
    cells: List[str] = []
    for state in ORDER:
        rgb = (colour_of(board, Status("stale", Severity.UNKNOWN, "", 0.0, last="running")) if state == "stale"
               else board.colour(state))
        leds = "".join(f'<i style="background:{hex_of(light.seen(rgb, b))}"></i>' for b in BRIGHTNESSES)
        cells.append(f'<div class="s"><div>{leds}</div><b>{html.escape(STATES[state].letter)}</b> '
                     f'{html.escape(state)}</div>')
    return f'<h2>{html.escape(title)}</h2><div class="g">{"".join(cells)}</div>'


PAGE = """<!doctype html><meta charset="utf-8"><style>
body {{ margin: 0; background: #0c0c0c; color: #e8e8e8; font: 13px/1.3 "DejaVu Sans", sans-serif; }}
#all {{ display: inline-block; padding: 10px 14px 14px; }}
h2 {{ font-size: 14px; font-weight: 600; margin: 8px 0 6px; }}
.g {{ display: grid; grid-template-columns: repeat(12, 96px); gap: 6px; }}
.s {{ background: #161616; border-radius: 6px; padding: 6px 4px; text-align: center; }}
.s i {{ display: inline-block; width: 26px; height: 26px; border-radius: 50%; margin: 0 3px;
        box-shadow: 0 0 0 1px #3a3a3a; }}
.s b {{ font-family: "DejaVu Sans Mono", monospace; }}
p {{ margin: 8px 0 0; color: #bbbbbb; }}
</style><div id="all">{sections}<p>Each swatch: the LED at brightness 0.4, then at night brightness 0.05, as
the HAT puts it on the wire; its letter and state. Stale: a stale <code>running</code> pixel.</p></div>"""


def main() -> None:
    """Write the picture."""
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "states.png"
    missing = sorted(set(STATES) - set(ORDER))
    if missing:   # a kind added states: they belong in the README's table, and here in its order
        sys.exit(f"docs/states.py: place these states in ORDER: {', '.join(missing)}")
    if why_not():
        sys.exit(f"docs/states.py: {why_not()}")
    page = PAGE.format(sections="".join(section(title, name) for title, name in PALETTES))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "states.html"
        path.write_text(page, encoding="utf-8")
        driver = chrome(1400, 900)
        try:
            driver.get(path.as_uri())
            time.sleep(0.5)
            out.write_bytes(driver.find_element("css selector", "#all").screenshot_as_png)
        finally:
            driver.quit()
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
