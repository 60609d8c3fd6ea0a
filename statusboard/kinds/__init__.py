"""Every kind of target the board knows: one module each under kinds/, named in the one line below; a kind's
module is imported when a config names its key (the module's name), every one only when all are asked for."""

from __future__ import annotations

import importlib
import threading
import time
from typing import Any, Callable, Dict, Iterable, Iterator, Mapping, Optional, Sequence

from statusboard import config
from statusboard.config import AwsSettings, Board
from statusboard.kinds.kind import Context, Kind, Link, Made, refusal
from statusboard.vocabulary import StateInfo

# The registry: a kind's module declares KIND (kinds/kind.py says what a kind declares).
MODULES = ("http", "ping", "ec2", "cloudwatch", "metric", "ivs", "mqtt", "prometheus", "influxdb")


def register(modules: Sequence[str], package: str = __name__) -> Dict[str, Kind]:
    """Every kind the modules declare, by key; a module whose declaration is not whole (no KIND, no spec, a
    spec that names no identity, a key that is not its module's name) is refused here, by its name."""
    out: Dict[str, Kind] = {}
    for name in modules:
        module = f"{package}.{name}"
        kind = getattr(importlib.import_module(module), "KIND", None)
        why = refusal(kind, module)
        if why or not isinstance(kind, Kind):
            raise TypeError(why)
        if kind.key != name:
            raise TypeError(f"kind {kind.key!r} ({module}): a kind's key is its module's name, {name!r}")
        out[kind.key] = kind
    return out


class Registry(Mapping[str, Kind]):
    """The kinds by key: their names are known at once, a kind's module is imported the first time it is asked
    for (a board imports only the kinds its config names: tens of milliseconds at a Pi Zero's start); values()
    and items() import every one."""

    def __init__(self, modules: Sequence[str], package: str = __name__) -> None:
        self._names = tuple(modules)
        self._package = package
        self._kinds: Dict[str, Kind] = {}
        self._lock = threading.Lock()   # a worker's check and the main loop may ask for a kind at once

    def __getitem__(self, key: str) -> Kind:
        kind = self._kinds.get(key)
        if kind is None:
            if key not in self._names:
                raise KeyError(key)
            with self._lock:
                kind = self._kinds.get(key) or register((key,), self._package)[key]
                self._kinds[key] = kind
        return kind

    def __contains__(self, key: object) -> bool:
        return key in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __repr__(self) -> str:
        return f"Registry({', '.join(self._names)})"


KINDS: Mapping[str, Kind] = Registry(MODULES)


class KindStates(Mapping[str, Any]):
    """Each kind's own states by its key (for /metrics): a kind's module is imported when its states are first
    asked for."""

    def __init__(self, kinds: Mapping[str, Kind]) -> None:
        self.kinds = kinds

    def __getitem__(self, key: str) -> Any:
        return self.kinds[key].states

    def __iter__(self) -> Iterator[str]:
        return iter(self.kinds)

    def __len__(self) -> int:
        return len(self.kinds)


def every_state() -> Dict[str, StateInfo]:
    """Every state of every kind (imports every kind's module, the first time)."""
    states = globals().get("STATES")
    if states is None:
        states = globals()["STATES"] = config.states_of(KINDS)
    return states


def __getattr__(name: str) -> Any:
    """`STATES`: every state of every kind, made when first asked for (every_state)."""
    if name == "STATES":
        return every_state()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load(path: str) -> Board:
    """Read and check a config file with every kind the board knows; ConfigError lists every problem."""
    return config.load(path, KINDS)


def parse(text: str, path: str = "config.yaml") -> Board:
    """Check config text with every kind the board knows; ConfigError lists every problem."""
    return config.parse(text, path, KINDS)


def make_checks(keys: Iterable[str], clock: Callable[[], float] = time.time, aws: AwsSettings = AwsSettings(),
                link: Optional[Link] = None) -> Dict[str, Made]:
    """One check (or source) per kind named, outside a runtime (benches and tests check targets this way)."""
    context = Context(clock=clock, states=every_state(), aws=aws, link=link)
    return {key: KINDS[key].make(context) for key in sorted(set(keys))}
