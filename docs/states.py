"""Draws docs/states.png: every state as the HAT shows it, from the wire levels of the shared light model.

Top row at the default brightness (0.4), bottom row at the README's night brightness (0.05); columns in the
order of the README's table of states (stale as a stale `running` pixel). Run: python docs/states.py
"""

from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path
from typing import List, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from statusboard.display import light  # noqa: E402
from statusboard.render import STALE_DIM  # noqa: E402
from statusboard.kinds import STATES  # noqa: E402
from statusboard.vocabulary import RGB  # noqa: E402

CELL, LED = 40, 28
BOARD: RGB = (22, 22, 22)
ORDER = ["up", "slow", "down", "running", "pending", "stopping", "stopped", "shutting-down", "terminated",
         "absent", "impaired", "initializing", "ok", "alarm", "insufficient-data", "warning", "critical", "no-data",
         "live", "starving", "health-unknown", "offline", "unknown", "stale"]
BRIGHTNESSES = (0.4, 0.05)


def colour(state: str) -> RGB:
    """A state's default colour at full brightness (stale: a stale running pixel)."""
    if state == "stale":
        return tuple(round(c * STALE_DIM) for c in STATES["running"][1])  # type: ignore[return-value]
    return STATES[state][1]


def picture(states: Sequence[str]) -> List[List[RGB]]:
    """Rows of pixels: one round LED per state and brightness."""
    width, height = CELL * len(states), CELL * len(BRIGHTNESSES)
    rows = [[BOARD] * width for _ in range(height)]
    for j, brightness in enumerate(BRIGHTNESSES):
        for i, state in enumerate(states):
            shown = light.seen(colour(state), brightness)
            cx, cy = i * CELL + CELL / 2, j * CELL + CELL / 2
            for y in range(j * CELL, (j + 1) * CELL):
                for x in range(i * CELL, (i + 1) * CELL):
                    if (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= (LED / 2) ** 2:
                        rows[y][x] = shown
    return rows


def png(rows: List[List[RGB]]) -> bytes:
    """An 8-bit RGB PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + bytes(c for px in row for c in px) for row in rows)
    header = struct.pack(">IIBBBBB", len(rows[0]), len(rows), 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "states.png"
    missing = sorted(set(STATES) - set(ORDER))
    if missing:   # a kind added states: they belong in the README's table, and here in its order
        sys.exit(f"docs/states.py: place these states in ORDER: {', '.join(missing)}")
    out.write_bytes(png(picture(ORDER)))
    print(f"wrote {out}")
