"""The frame a board will first draw when it starts again, kept when it stops: a restarted service shows it before
it reads its config (YAML, the kinds and the loop: most of a Pi Zero's two seconds to a first frame).

A restart first draws its kept observations as stale (and `unknown` where none was kept): a picture that only
the config, the kept observations file, the release and the time of day (night hours) decide. So the board
renders that picture as it stops, beside the kept observations, with what identifies them: the config text
the running board was read from (path, size, CRC-32: a file edited since, and not reloaded, is not it; the text
holds no secret, and none is copied here), the kept file (size, modification time), the release, the display.
At start, `early()` shows it only when every one of them is still the same (the file's text, read again); the
board then loads its config as always and draws again (the same picture), so a kept frame that does not
apply is never more than skipped. Whatever else the file holds (levels, a brightness, display settings no
config gives, another shape) is refused whole, and the board starts as always. Only a board given a state
directory keeps one (the service: systemd's StateDirectory), and only for displays that show no legend (the LED
boards and the fake one).
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
from statusboard.config.display import DRIVER_NAMES, LAYOUTS, LED_DRIVERS, ROTATIONS, DisplaySettings, Night
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


def _release() -> list:
    """What identifies the code that draws: its version, and when its package's files were last put in place (a
    build of the same version installed over it, whose colours or rules may differ, is another release)."""
    try:
        installed = os.stat(os.path.dirname(os.path.abspath(__file__))).st_mtime_ns
    except OSError:
        installed = None
    return [__version__, installed]


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
        # the text this board was read from (a file edited since, and not reloaded, is not the one it shows)
        config = [os.path.abspath(board.path), *board.source] if board.source else None
        stamp = _kept_id(where)
        if driver in PREVIEWS or has_blinking(statuses) or config is None or stamp is None:
            path.unlink(missing_ok=True)
            return
        display, night = board.display, board.display.night
        night_brightness = night.brightness if night else NIGHT   # as render.brightness_at, buttons untouched
        doc = {"format": FORMAT, "release": _release(), "config": config, "kept": stamp, "driver": driver,
               "display": [display.driver, display.layout, display.brightness, display.rotation,
                           [night.start, night.end, night.brightness] if night else None],
               "brightness": [Adjustments().brightness(display.brightness, night_brightness, at_night)
                              for at_night in (False, True)],
               "pixels": render(board, statuses, time.time()).pixels}
        write_atomic(path, doc, 0o600)
    except Exception as exc:  # noqa: BLE001 - a frame not kept is only a slower next start
        log.warning("cannot keep the first frame for the next start in %s: %s", path, exc)


def _fraction(value: Any) -> bool:
    """Whether a number is a brightness (0 to 1) as a config gives one."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1


def _rgb(value: Any) -> Tuple[int, int, int]:
    """One pixel's three levels (0 to 255) as keep() wrote them; ValueError for anything else."""
    if not isinstance(value, list) or len(value) != 3 or not all(
            isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in value):
        raise ValueError(f"a pixel is not three levels from 0 to 255: {str(value)[:40]}")
    return value[0], value[1], value[2]


def _settings(display: Any, brightness: Any) -> DisplaySettings:
    """The display settings and brightness a kept frame names, held to what a config can give (the display module's
    own rules: a known LED driver that draws the layout); ValueError for anything else."""
    driver, layout, level, rotation, night = display
    if (not isinstance(driver, str) or driver not in DRIVER_NAMES or driver in PREVIEWS
            or not isinstance(layout, str) or layout not in LAYOUTS
            or driver in LED_DRIVERS.values() and LED_DRIVERS[layout] != driver
            or not _fraction(level) or isinstance(rotation, bool) or rotation not in ROTATIONS):
        raise ValueError(f"display settings no config gives: {str(display)[:80]}")
    if night is not None and not (isinstance(night, list) and len(night) == 3 and _fraction(night[2]) and all(
            isinstance(m, int) and not isinstance(m, bool) and 0 <= m < 24 * 60 for m in night[:2])):
        raise ValueError(f"night hours no config gives: {str(night)[:80]}")
    if not (isinstance(brightness, list) and len(brightness) == 2 and all(map(_fraction, brightness))):
        raise ValueError(f"brightness no config gives: {str(brightness)[:80]}")
    return DisplaySettings(driver, layout, float(level), rotation, Night(*night) if night else None)


def early(config: str, display: Optional[str]) -> Optional[Tuple[DisplaySettings, Frame]]:
    """The display settings and the first frame kept by the last run, when they still apply to this config,
    these kept observations, this release and the display asked for (None: the board starts as always)."""
    where = _state_dir()
    if where is None or display in PREVIEWS:
        return None
    try:
        doc = json.loads(read_small(str(where / NAME), LIMIT).decode("utf-8"))
        if (doc.get("format") != FORMAT or doc.get("release") != _release() or doc["config"] != _config_id(config)
                or doc["kept"] != _kept_id(where)):
            return None
        settings = _settings(doc["display"], doc["brightness"])
        if (display or settings.driver) != doc["driver"]:   # the display this run draws on
            return None
        width, height = settings.shape
        rows = doc["pixels"]
        if not isinstance(rows, list) or len(rows) != height or not all(
                isinstance(row, list) and len(row) == width for row in rows):
            return None   # another layout's, or a frame keep() never wrote
        pixels = tuple(tuple(_rgb(rgb) for rgb in row) for row in rows)
        local = time.localtime()
        at_night = settings.night is not None and settings.night.covers(local.tm_hour * 60 + local.tm_min)
        return settings, Frame(pixels, float(doc["brightness"][1 if at_night else 0]))
    except FileNotFoundError:
        return None
    except Exception as exc:  # noqa: BLE001 - whatever it holds, the board starts as always
        log.info("not drawing the kept first frame (%s): the board starts as always", exc)
        return None
