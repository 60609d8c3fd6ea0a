"""Loads config.yaml, checks every field and builds the frozen Board the rest of the program runs on."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

from statusboard import values
from statusboard.display.settings import DisplaySettings, parse_display
from statusboard.errors import ConfigError, Problem
from statusboard.mqtt.settings import MqttSettings, parse_mqtt
from statusboard.readfile import NotAFile, read_small
from statusboard.schema import Section
from statusboard.states import RGB, STATES
from statusboard.targets import KINDS, LIBRARIES, Spec, region
from statusboard.text import is_printable, printable
from statusboard.values import Invalid
from statusboard.yamlsource import LDict, read_yaml

DEFAULT_INTERVAL = 30.0
DEFAULT_TIMEOUT = 5.0
DEFAULT_FAIL_AFTER = 2
STALE_INTERVALS = 3
DEFAULT_CONCURRENCY = 64
MAX_NAME = 64
INTERVAL = values.duration_from(0.1)   # a floor against a busy loop; a board has no use for faster checks
TIMEOUT = values.duration_from(0.05)
MAX_BYTES = 256 * 1024   # a 256-target board's config is about 30 KB; anything this large is not one


@dataclass(frozen=True)
class Target:
    """One thing on the board: its pixel, its kind of check and how often it is checked."""

    name: str
    pixel: Tuple[int, int]
    kind: str
    spec: Spec
    interval: float = DEFAULT_INTERVAL
    timeout: float = DEFAULT_TIMEOUT
    fail_after: int = DEFAULT_FAIL_AFTER
    stale_after: float = DEFAULT_INTERVAL * STALE_INTERVALS
    line: Optional[int] = field(default=None, compare=False)

    @property
    def check_key(self) -> Tuple[str, Spec]:
        """What is checked; a reload keeps the state of targets whose check key did not change."""
        return (self.kind, self.spec)


@dataclass(frozen=True)
class AwsSettings:
    """Board-wide AWS defaults; credentials always come from boto3's own chain, never from config.yaml."""

    region: Optional[str] = None
    profile: Optional[str] = None


@dataclass(frozen=True)
class Board:
    """A whole validated config: display settings, targets and palette."""

    path: str
    display: DisplaySettings
    targets: Tuple[Target, ...]
    palette: Mapping[str, RGB] = field(default_factory=dict)
    concurrency: int = DEFAULT_CONCURRENCY
    aws: AwsSettings = AwsSettings()
    mqtt: Optional[MqttSettings] = None

    @property
    def shape(self) -> Tuple[int, int]:
        """(width, height) of the board."""
        return self.display.shape

    def colour(self, state: str) -> RGB:
        """The colour of a state at full brightness."""
        return self.palette.get(state) or STATES.get(state, STATES["unknown"])[1]


def default_config_path() -> str:
    """/etc/statusboard/config.yaml when it exists, else ./config.yaml."""
    system = "/etc/statusboard/config.yaml"
    return system if os.path.exists(system) else "config.yaml"


def load(path: str) -> Board:
    """Read and check a config file; raises ConfigError listing every problem found."""
    return parse(read(path), path)


def read(path: str) -> str:
    """The text of a config file; ConfigError when it cannot be read."""
    try:
        return read_small(path, MAX_BYTES).decode("utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(path, None, "", "file not found")]) from None
    except NotAFile as exc:
        raise ConfigError([Problem(path, None, "", f"{exc} (a board's config is a few KB of text)")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([Problem(path, None, "", f"not UTF-8 text (byte {exc.start})")]) from None
    except OSError as exc:
        raise ConfigError([Problem(path, None, "", f"cannot read: {exc.strerror or exc}")]) from None


def parse(text: str, path: str = "config.yaml") -> Board:
    """Check config text; raises ConfigError listing every problem found, whatever the text holds."""
    try:
        return _parse(text, path)
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 - no input may end in a traceback or take a running board down
        raise ConfigError([Problem(path, None, "", f"cannot be read: {type(exc).__name__}: {exc}")]) from None


def _parse(text: str, path: str) -> Board:
    problems: List[Problem] = []
    doc = read_yaml(text, path, problems)
    if problems:
        raise ConfigError(problems)
    if doc is None:
        raise ConfigError([Problem(path, None, "", "the file is empty; see the sample config.yaml")])
    if not isinstance(doc, dict):
        raise ConfigError([Problem(path, getattr(doc, "line", 1), "top level",
                                   "expected a mapping with display, defaults, palette and targets")])
    top = Section(path, problems, doc, "", 1)
    display = parse_display(top.sub("display"))
    defaults = _defaults(top.sub("defaults"))
    palette = _palette(top.sub("palette"))
    concurrency = top.take("concurrency", lambda v: values.integer(v, 1, 512), DEFAULT_CONCURRENCY)
    aws = _aws(top.sub("aws"))
    mqtt_section = top.sub("mqtt")
    mqtt = parse_mqtt(mqtt_section)
    if mqtt is not None and not _installed(LIBRARIES["mqtt"][0]):
        mqtt_section.report(f"the mqtt section needs paho-mqtt, which is not installed ({LIBRARIES['mqtt'][1]})")
    targets = _targets(top.sub("targets"), defaults, display)
    if mqtt is None:
        for target in targets:
            if target.kind == "mqtt":
                problems.append(Problem(path, target.line, f"targets.{target.name}.mqtt",
                                        "an mqtt target needs the broker: add an mqtt section with its url"))
    top.finish()
    if problems:
        raise ConfigError(problems)
    return Board(path, display, targets, palette, concurrency, aws, mqtt)


def _aws(sec: Section) -> AwsSettings:
    settings = AwsSettings(region=sec.take("region", region, None), profile=sec.take("profile", values.text, None))
    for key in ("access_key", "secret_key", "aws_access_key_id", "aws_secret_access_key", "session_token"):
        if sec.has(key):
            sec.used.add(key)
            sec.report("config.yaml never holds AWS keys: use a profile (aws configure) or the environment", key)
    sec.finish()
    return settings


def _defaults(sec: Section) -> Dict[str, Any]:
    out = {
        "interval": sec.take("interval", INTERVAL, DEFAULT_INTERVAL),
        "timeout": sec.take("timeout", TIMEOUT, DEFAULT_TIMEOUT),
        "fail_after": sec.take("fail_after", lambda v: values.integer(v, 1, 100), DEFAULT_FAIL_AFTER),
        "stale_after": sec.take("stale_after", values.duration, None),
    }
    sec.finish()
    return out


def _palette(sec: Section) -> Dict[str, RGB]:
    out: Dict[str, RGB] = {}
    for state in list(sec.mapping):
        if state not in STATES:
            sec.report(f"unknown state '{state}'; states are {', '.join(STATES)}", state)
            sec.used.add(state)
            continue
        got = sec.take(state, values.colour, None)
        if got is not None:
            out[state] = got
    return out


def _pixel(shape: Tuple[int, int], layout_name: str) -> Any:
    width, height = shape

    def parse(value: Any) -> Tuple[int, int]:
        if (not isinstance(value, list) or len(value) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
            raise Invalid(f"expected [x, y], got {value!r}")
        x, y = value
        if not (0 <= x < width and 0 <= y < height):
            raise Invalid(f"[{x}, {y}] is outside the {layout_name} board: x goes 0-{width - 1}, "
                          f"y goes 0-{height - 1}")
        return (x, y)
    return parse


def _targets(sec: Section, defaults: Dict[str, Any], display: DisplaySettings) -> Tuple[Target, ...]:
    if not sec.mapping:
        if sec.ok or not sec.given:
            sec.report("no targets: add at least one under 'targets:' (see the sample config.yaml)")
        return ()
    width, height = display.shape
    pixel = _pixel(display.shape, f"{display.layout} {width}x{height}")
    taken: Dict[Tuple[int, int], str] = {}
    out: List[Target] = []
    for name in sec.mapping:
        sec.used.add(name)
        if not isinstance(name, str) or not name.strip():
            sec.report(f"a target name must be text, got {printable(repr(name), 60)}", name)
            continue
        if not is_printable(name) or len(name) > MAX_NAME:
            sec.report(f"a target name must be printable text of at most {MAX_NAME} characters, got "
                       f"{printable(repr(name), 60)}", name)
            continue
        tsec = sec.sub(name)
        if not tsec.ok:
            continue
        target = _target(tsec, name, defaults, pixel)
        if target is None:
            continue
        if target.pixel in taken:
            x, y = target.pixel
            tsec.report(f"pixel [{x}, {y}] is already taken by target '{taken[target.pixel]}'"
                        f" (line {_line(sec, taken[target.pixel])}); two targets cannot share a pixel", "pixel")
            continue
        taken[target.pixel] = name
        out.append(target)
    return tuple(out)


def _installed(module: str) -> bool:
    """Whether a library can be imported, without importing it (boto3 alone costs 50 MB)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _line(sec: Section, key: str) -> Optional[int]:
    return sec.mapping.lines.get(key) if isinstance(sec.mapping, LDict) else None


def _target(sec: Section, name: str, defaults: Dict[str, Any], pixel: Any) -> Optional[Target]:
    before = len(sec.problems)
    position = sec.take("pixel", pixel)
    kinds = [k for k in sec.mapping if k in KINDS]
    spec = None
    if not kinds:
        sec.report(f"no check: give the target one of {', '.join(k + ':' for k in KINDS)}")
    elif len(kinds) > 1:
        sec.report(f"two checks ({' and '.join(kinds)}): a pixel shows one target, so keep one", kinds[1])
        for kind in kinds:
            sec.used.add(kind)
    else:
        spec = KINDS[kinds[0]](sec, kinds[0])
        if kinds[0] in LIBRARIES and not _installed(LIBRARIES[kinds[0]][0]):
            library, how = LIBRARIES[kinds[0]]
            sec.report(f"{kinds[0]} targets need {library}, which is not installed ({how})", kinds[0])
    interval = sec.take("interval", INTERVAL, defaults["interval"]) or defaults["interval"]
    timeout = sec.take("timeout", TIMEOUT, defaults["timeout"]) or defaults["timeout"]
    # A pushed state (mqtt) is shown as its message says, at once: the board that checked it held it already,
    # and a message is one observation however often it is read. A target's own fail_after still counts.
    held = 1 if kinds == ["mqtt"] else defaults["fail_after"]
    fail_after = sec.take("fail_after", lambda v: values.integer(v, 1, 100), held) or held
    stale_after = sec.take("stale_after", values.duration, defaults["stale_after"])
    sec.finish()
    if position is None or spec is None or len(sec.problems) > before:
        return None
    if timeout > interval:
        sec.report(f"timeout ({timeout:g} s) is longer than interval ({interval:g} s)", "timeout")
        return None
    return Target(name=name, pixel=position, kind=kinds[0], spec=spec, interval=interval, timeout=timeout,
                  fail_after=fail_after,
                  stale_after=stale_after or interval * STALE_INTERVALS, line=sec.line)
