"""The frame a board will first draw when it starts again, kept when it stops: a restarted service shows it before
it reads its config (YAML, the kinds and the loop: most of a Pi Zero's two seconds to a first frame).

A restart first draws its kept observations as stale (and `unknown` where none was kept): a picture that only
the config, the kept observations file, the release and the time of day (night hours) decide. So the board
renders that picture as it stops, beside the kept observations, with what identifies them: the config file
(path, size, CRC-32: the file holds no secret, and none is copied here), the kept file (size, modification
time), the release, the display. At start, `early()` shows it only when every one of them is still the same;
the board then loads its config as always and draws again (the same picture), so a kept frame that does not
apply is never more than skipped. Only a board given a state directory keeps one (the service: systemd's
StateDirectory), and only for displays that show no legend (the LED boards and the fake one).
"""

from __future__ import annotations

import json
import logging
import os
import time
import zlib
from pathlib import Path
from typing import Any, Optional, Tuple

from statusboard import __version__
from statusboard.config.display import DisplaySettings, Night
from statusboard.display.base import Frame
from statusboard.readfile import read_small

log = logging.getLogger(__name__)

NAME = "first-frame.json"
FORMAT = 1
KEPT_NAME = "observations.json"   # files.MEMORY_NAME (files imports the config whole: not read here)
PREVIEWS = ("terminal", "window")   # they show a legend of details, which the kept frame leaves out
LIMIT = 1024 * 1024   # 256 pixels take about 5 KB
CONFIG_LIMIT = 256 * 1024   # config.board.MAX_BYTES


def _state_dir() -> Optional[Path]:
    """The service's state directory (systemd's StateDirectory, or a test's or bench's own); None elsewhere."""
    where = os.environ.get("STATE_DIRECTORY")
    return Path(where) if where else None


def _config_id(path: str) -> Optional[list]:
    """What identifies a config file's text: its path, size and CRC-32."""
    try:
        data = read_small(path, CONFIG_LIMIT)
    except (OSError, ValueError):
        return None
    return [os.path.abspath(path), len(data), zlib.crc32(data)]


def _kept_id(where: Path) -> Optional[list]:
    """What identifies the kept observations file: its size and modification time."""
    try:
        stat = os.stat(where / KEPT_NAME)
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns]


def keep(board: Any, driver: str) -> None:
    """As the board stops (its observations kept): write the frame its next start will first draw; remove the
    one kept before when this board keeps none (a preview, a blinking pixel, no state directory)."""
    where = _state_dir()
    if where is None:
        return
    from statusboard.files import load_observations, write_atomic
    from statusboard.controls import NIGHT, Adjustments
    from statusboard.render import has_blinking, render
    from statusboard.table import StateTable
    path = where / NAME
    try:
        kept, _sound = load_observations(where / KEPT_NAME, board)
        table = StateTable(board.targets)
        for obs in kept:
            table.record(obs)
        statuses = table.snapshot(time.monotonic())
        config, stamp = _config_id(board.path), _kept_id(where)
        if driver in PREVIEWS or has_blinking(statuses) or config is None or stamp is None:
            path.unlink(missing_ok=True)
            return
        display, night = board.display, board.display.night
        night_brightness = night.brightness if night else NIGHT   # as render.brightness_at, buttons untouched
        doc = {"format": FORMAT, "release": __version__, "config": config, "kept": stamp, "driver": driver,
               "display": [display.driver, display.layout, display.brightness, display.rotation,
                           [night.start, night.end, night.brightness] if night else None],
               "brightness": [Adjustments().brightness(display.brightness, night_brightness, at_night)
                              for at_night in (False, True)],
               "pixels": render(board, statuses, time.time()).pixels}
        write_atomic(path, doc, 0o600)
    except Exception as exc:  # noqa: BLE001 - a frame not kept is only a slower next start
        log.warning("cannot keep the first frame for the next start in %s: %s", path, exc)


def _level(value: Any) -> int:
    """One channel's level as a display takes it (0 to 255), whatever the file holds."""
    return max(0, min(255, int(value)))


def early(config: str, display: Optional[str]) -> Optional[Tuple[DisplaySettings, Frame]]:
    """The display settings and the first frame kept by the last run, when they still apply to this config,
    these kept observations, this release and the display asked for (None: the board starts as always)."""
    where = _state_dir()
    if where is None or display in PREVIEWS:
        return None
    try:
        doc = json.loads(read_small(str(where / NAME), LIMIT).decode("utf-8"))
        if (doc.get("format") != FORMAT or doc.get("release") != __version__ or doc["config"] != _config_id(config)
                or doc["kept"] != _kept_id(where)):
            return None
        driver, layout, brightness, rotation, night = doc["display"]
        settings = DisplaySettings(driver, layout, brightness, rotation, Night(*night) if night else None)
        if (display or settings.driver) != doc["driver"]:   # the display this run draws on
            return None
        local = time.localtime()
        at_night = settings.night is not None and settings.night.covers(local.tm_hour * 60 + local.tm_min)
        pixels = tuple(tuple((_level(r), _level(g), _level(b)) for r, g, b in row) for row in doc["pixels"])
        if (len(pixels[0]), len(pixels)) != settings.shape or doc["driver"] in PREVIEWS:
            return None
        return settings, Frame(pixels, float(doc["brightness"][1 if at_night else 0]))
    except FileNotFoundError:
        return None
    except Exception as exc:  # noqa: BLE001 - whatever it holds, the board starts as always
        log.info("not drawing the kept first frame (%s): the board starts as always", exc)
        return None
