"""config.yaml, read and checked: the bottom of the house, importing nothing above it. Its parts are imported
when first named: a restarted board reads its display settings (config.display) before YAML is imported."""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from statusboard.config.aws import AwsSettings
    from statusboard.config.board import Board, Kinds, KindRules, load, parse, read
    from statusboard.config.states import states_of

_WHERE = {"AwsSettings": "aws", "Board": "board", "KindRules": "board", "Kinds": "board", "load": "board",
          "parse": "board", "read": "board", "states_of": "states"}
__all__ = sorted([*_WHERE, "default_config_path"])


def default_config_path() -> str:
    """/etc/statusboard/config.yaml when it exists, else ./config.yaml."""
    system = "/etc/statusboard/config.yaml"
    return system if os.path.exists(system) else "config.yaml"


def __getattr__(name: str) -> Any:
    """A name of config's parts, from the module that holds it (imported the first time)."""
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
