"""Loads config.yaml, checks every field and builds the frozen Board the rest of the program runs on.

The kinds of target are handed in (`kinds`): config knows a kind only by the rules it declares, so it sits
below them and imports none.
"""

from __future__ import annotations

import difflib
import importlib.util
import os
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Protocol, Tuple

from statusboard.config import values
from statusboard.config.aws import AwsSettings, parse_aws
from statusboard.config.display import DisplaySettings, parse_display
from statusboard.config.mqtt import MqttSettings, parse_mqtt
from statusboard.config.schema import Section
from statusboard.config.states import KIND_SECTIONS, BoardStates, named_kinds
from statusboard.config.values import Invalid
from statusboard.config.web import HistorySettings, WebSettings, parse_history, parse_web
from statusboard.config.yamlsource import LDict, read_yaml
from statusboard.errors import ConfigError, Problem
from statusboard.model import DEFAULT_FAIL_AFTER, DEFAULT_INTERVAL, DEFAULT_TIMEOUT, STALE_INTERVALS, Target
from statusboard.readfile import NotAFile, read_small
from statusboard.text import is_printable, printable
from statusboard.vocabulary import BOARD_STATES, PALETTES, RGB, StateInfo, States, named_palette

DEFAULT_CONCURRENCY = 64
MAX_NAME = 64
INTERVAL = values.duration_from(0.1)   # a floor against a busy loop; a board has no use for faster checks
TIMEOUT = values.duration_from(0.05)
MAX_BYTES = 256 * 1024   # a 256-target board's config is about 30 KB; anything this large is not one


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
    states: Mapping[str, StateInfo] = field(default_factory=lambda: dict(BOARD_STATES))
    web: Optional[WebSettings] = None
    history: HistorySettings = HistorySettings()
    # (size, CRC-32) of the text it was read from: a restart's kept frame is for this text, not the file's later one
    source: Optional[Tuple[int, int]] = field(default=None, compare=False)

    @property
    def shape(self) -> Tuple[int, int]:
        """(width, height) of the board."""
        return self.display.shape

    def colour(self, state: str) -> RGB:
        """The colour of a state at full brightness."""
        info = self.states.get(state) or self.states.get("unknown") or BOARD_STATES["unknown"]
        return self.palette.get(state) or info.colour


class KindRules(Protocol):
    """What config needs to know of a kind of target (statusboard.kinds declares them)."""

    @property
    def key(self) -> str:
        """Its key in a target: http, ping, ec2, ..."""

    @property
    def parse(self) -> Callable[[Section, str], Any]:
        """(target section, key) -> its spec, or None (a value naming a state: Section.states)."""

    @property
    def states(self) -> States:
        """The states it adds."""

    @property
    def library(self) -> Optional[Tuple[str, str]]:
        """(module it imports, how to install it), when not in the base."""

    @property
    def fail_after(self) -> Optional[int]:
        """Its default fail_after; None: the board's."""

    @property
    def needs(self) -> Optional[Tuple[str, str]]:
        """(a top-level section it needs, what to say without it)."""


Kinds = Mapping[str, KindRules]


def load(path: str, kinds: Kinds) -> Board:
    """Read and check a config file; raises ConfigError listing every problem found."""
    return parse(read(path), path, kinds)


def read(path: str) -> str:
    """The text of a config file; ConfigError when it cannot be read."""
    try:
        return read_small(path, MAX_BYTES).decode("utf-8")
    except FileNotFoundError:
        # The default: ./config.yaml where /etc/statusboard/config.yaml is not (config.default_config_path).
        looked = "" if os.path.isabs(path) or path != "config.yaml" else \
            " (nor /etc/statusboard/config.yaml, the service's: give one with -c FILE)"
        raise ConfigError([Problem(path, None, "", f"file not found{looked}")]) from None
    except NotAFile as exc:
        raise ConfigError([Problem(path, None, "", f"{exc} (a board's config is a few KB of text)")]) from None
    except UnicodeDecodeError as exc:
        line = bytes(exc.object[:exc.start]).count(b"\n") + 1
        raise ConfigError([Problem(path, line, "", f"not UTF-8 text (byte {exc.start}): save it as UTF-8")]) \
            from None
    except OSError as exc:
        raise ConfigError([Problem(path, None, "", f"cannot read: {exc.strerror or exc}")]) from None


def parse(text: str, path: str, kinds: Kinds) -> Board:
    """Check config text; raises ConfigError listing every problem found, whatever the text holds."""
    try:
        return _parse(text, path, kinds)
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 - no input may end in a traceback or take a running board down
        raise ConfigError([Problem(path, None, "", f"cannot be read: {type(exc).__name__}: {exc}")]) from None


def _parse(text: str, path: str, kinds: Kinds) -> Board:
    problems: List[Problem] = []
    doc = read_yaml(text, path, problems)
    if problems:
        raise ConfigError(problems)
    if doc is None:
        raise ConfigError([Problem(path, None, "", "the file is empty; see the sample config.yaml")])
    if not isinstance(doc, dict):
        raise ConfigError([Problem(path, getattr(doc, "line", 1), "top level",
                                   "expected a mapping with display, defaults, palette and targets")])
    states = BoardStates(kinds, named_kinds(doc, kinds))   # imports the kinds the targets name, no other
    top = Section(path, problems, doc, "", 1, states)
    display = parse_display(top.sub("display"))
    defaults = _defaults(top.sub("defaults"))
    palette = _palette(top, states)
    concurrency = top.take("concurrency", lambda v: values.integer(v, 1, 512), DEFAULT_CONCURRENCY)
    aws = parse_aws(top.sub("aws"))
    mqtt_section = top.sub("mqtt")
    mqtt = parse_mqtt(mqtt_section)
    given = {"mqtt": mqtt is not None}
    needing = kinds.values() if any(top.has(section) for section in KIND_SECTIONS) else ()
    for rules in needing:   # a section a kind needs (the MQTT broker's) needs the kind's library too
        needs, library = rules.needs, rules.library
        if needs and library and given.get(needs[0], top.has(needs[0])) and not _installed(library[0]):
            top.sub(needs[0]).report(f"the {needs[0]} section needs {library[0]}, which is not installed "
                                     f"({library[1]})")
    web = parse_web(top.sub("web"), top.has("web"))
    history = parse_history(top.sub("history"))
    targets = _targets(top.sub("targets"), defaults, display, kinds)
    for target in targets:
        needs = kinds[target.kind].needs
        if needs is not None and not given.get(needs[0], top.has(needs[0])):
            problems.append(Problem(path, target.line, f"targets.{target.name}.{target.kind}", needs[1]))
    top.finish()
    if problems:
        raise ConfigError(problems)
    data = text.encode("utf-8")
    return Board(path, display, targets, palette, concurrency, aws, mqtt, states, web, history,
                 (len(data), zlib.crc32(data)))


def _defaults(sec: Section) -> Dict[str, Any]:
    out = {
        "interval": sec.take("interval", INTERVAL, DEFAULT_INTERVAL),
        "timeout": sec.take("timeout", TIMEOUT, DEFAULT_TIMEOUT),
        "fail_after": sec.take("fail_after", lambda v: values.integer(v, 1, 100), DEFAULT_FAIL_AFTER),
        "stale_after": sec.take("stale_after", values.duration, None),
    }
    sec.finish()
    return out


def _palette(top: Section, states: States) -> Dict[str, RGB]:
    """`palette: colour-blind` (a named palette), or a mapping of state to colour (over `base:`, a named one)."""
    def named(value: Any) -> Dict[str, RGB]:
        got = named_palette(value, states) if isinstance(value, str) else None
        if got is None:
            close = difflib.get_close_matches(str(value), list(PALETTES), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise Invalid(f"expected a palette's name ({', '.join(PALETTES)}) or a mapping of state to colour, "
                          f"got {printable(repr(value), 40)}{hint}")
        return got
    if top.has("palette") and not isinstance(top.mapping.get("palette"), (dict, type(None))):
        return top.take("palette", named, {})   # a name, or something neither a name nor a mapping
    sec = top.sub("palette")
    out: Dict[str, RGB] = sec.take("base", named, {}) if sec.has("base") else {}
    for state in list(sec.mapping):
        if state == "base":
            continue
        if state not in states:
            sec.report(f"unknown state '{state}'; states are {', '.join(states)}", state)
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


def _targets(sec: Section, defaults: Dict[str, Any], display: DisplaySettings, kinds: Kinds) -> Tuple[Target, ...]:
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
        target = _target(tsec, name, defaults, pixel, kinds)
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


TARGET_KEYS = ("pixel", "interval", "timeout", "fail_after", "stale_after")   # a target's own keys, beside its kind's


def _target(sec: Section, name: str, defaults: Dict[str, Any], pixel: Any, known: Kinds) -> Optional[Target]:
    before = len(sec.problems)
    position = sec.take("pixel", pixel)
    kinds = [k for k in sec.mapping if k in known]
    spec = None
    if not kinds:
        close = [(key, difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.6))
                 for key in sec.mapping if key not in TARGET_KEYS]
        for key, hint in close:
            if hint:   # `htp:`: a kind's key mistyped says which kind it meant, not only that none is given
                sec.used.add(key)
                sec.report(f"unknown key '{key}'; did you mean {hint[0]}:?", key)
        if not any(hint for _key, hint in close):
            offered = ', '.join(k + ':' for k in known)
            strange = [key for key, _hint in close]
            for key in strange:   # `smtp:`: one line that says it is no kind, not also that nothing is checked
                sec.used.add(key)
                sec.report(f"'{printable(str(key), 40)}' is not a kind of check the board knows; give the target "
                           f"one of {offered}", key)
            if not strange:
                sec.report(f"no check: give the target one of {offered}")
    elif len(kinds) > 1:
        sec.report(f"two checks ({' and '.join(kinds)}): a pixel shows one target, so keep one", kinds[1])
        for kind in kinds:
            sec.used.add(kind)
    else:
        rules = known[kinds[0]]
        spec = rules.parse(sec, kinds[0])
        if rules.library is not None and not _installed(rules.library[0]):
            library, how = rules.library
            sec.report(f"{kinds[0]} targets need {library}, which is not installed ({how})", kinds[0])
    interval = sec.take("interval", INTERVAL, defaults["interval"]) or defaults["interval"]
    timeout = sec.take("timeout", TIMEOUT, defaults["timeout"]) or defaults["timeout"]
    # A kind may hold its own default (a pushed state is shown as its message says, at once: the board that
    # checked it held it already). A target's own fail_after still counts.
    own = known[kinds[0]].fail_after if len(kinds) == 1 else None
    held = own if own is not None else defaults["fail_after"]
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
