"""Every kind of target the board knows: one module each under kinds/, named in the one line below."""

from __future__ import annotations

import importlib
import time
from typing import Callable, Dict, Iterable, Mapping, Optional, Sequence

from statusboard import config
from statusboard.config import AwsSettings, Board
from statusboard.kinds.kind import Context, Kind, Link, Made, refusal
from statusboard.vocabulary import StateInfo

# The registry: a kind's module declares KIND (kinds/kind.py says what a kind declares).
MODULES = ("http", "ping", "ec2", "cloudwatch", "metric", "ivs", "mqtt", "prometheus", "influxdb")


def register(modules: Sequence[str], package: str = __name__) -> Dict[str, Kind]:
    """Every kind the modules declare, by key; a module whose declaration is not whole (no KIND, no spec, a
    spec that names no identity) is refused here, by its name, when the registry loads."""
    out: Dict[str, Kind] = {}
    for name in modules:
        module = f"{package}.{name}"
        kind = getattr(importlib.import_module(module), "KIND", None)
        why = refusal(kind, module)
        if why or not isinstance(kind, Kind):
            raise TypeError(why)
        out[kind.key] = kind
    return out


KINDS: Mapping[str, Kind] = register(MODULES)
STATES: Dict[str, StateInfo] = config.states_of(KINDS)


def load(path: str) -> Board:
    """Read and check a config file with every kind the board knows; ConfigError lists every problem."""
    return config.load(path, KINDS)


def parse(text: str, path: str = "config.yaml") -> Board:
    """Check config text with every kind the board knows; ConfigError lists every problem."""
    return config.parse(text, path, KINDS)


def make_checks(keys: Iterable[str], clock: Callable[[], float] = time.time, aws: AwsSettings = AwsSettings(),
                link: Optional[Link] = None) -> Dict[str, Made]:
    """One check (or source) per kind named, outside a runtime (benches and tests check targets this way)."""
    context = Context(clock=clock, states=STATES, aws=aws, link=link)
    return {key: KINDS[key].make(context) for key in sorted(set(keys))}
