"""Every kind of target the board knows: one module each under kinds/, named in the one line below."""

from __future__ import annotations

import importlib
import time
from typing import Any, Callable, Dict, Iterable, Mapping, Optional

from statusboard import config
from statusboard.config import AwsSettings, Board
from statusboard.kinds.kind import Context, Kind
from statusboard.vocabulary import StateInfo

# The registry: a kind's module declares KIND (kinds/kind.py says what a kind declares).
MODULES = ("http", "ping", "ec2", "cloudwatch", "metric", "ivs", "mqtt", "prometheus", "influxdb")

KINDS: Mapping[str, Kind] = {kind.key: kind for kind in (
    importlib.import_module(f"statusboard.kinds.{name}").KIND for name in MODULES)}
STATES: Dict[str, StateInfo] = config.states_of(KINDS)


def load(path: str) -> Board:
    """Read and check a config file with every kind the board knows; ConfigError lists every problem."""
    return config.load(path, KINDS)


def parse(text: str, path: str = "config.yaml") -> Board:
    """Check config text with every kind the board knows; ConfigError lists every problem."""
    return config.parse(text, path, KINDS)


def make_checks(keys: Iterable[str], clock: Callable[[], float] = time.time, aws: AwsSettings = AwsSettings(),
                link: Optional[Any] = None) -> Dict[str, Any]:
    """One check (or source) per kind named, outside a runtime (benches and tests check targets this way)."""
    context = Context(clock=clock, states=STATES, aws=aws, link=link)
    return {key: KINDS[key].make(context) for key in sorted(set(keys))}
