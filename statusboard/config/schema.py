"""A small reader for one YAML mapping: takes known keys, reports bad values and unknown keys with their lines."""

from __future__ import annotations

import difflib
from typing import Any, Callable, Dict, List, Optional, TypeVar

from statusboard.errors import Problem
from statusboard.text import printable
from statusboard.config.values import Invalid
from statusboard.config.yamlsource import LDict
from statusboard.vocabulary import BOARD_STATES, States

T = TypeVar("T")
_MISSING = object()


class Section:
    """One mapping of config.yaml being checked; every problem lands in the shared list. `states` are every
    state the board can show, for a value that names one (its sections share them)."""

    def __init__(self, file: str, problems: List[Problem], mapping: Any, where: str, line: Optional[int],
                 states: States = BOARD_STATES) -> None:
        self.file = file
        self.states = states
        self.problems = problems
        self.where = where
        self.line = getattr(mapping, "line", None) or line
        self.ok = isinstance(mapping, dict)
        self.given = mapping is not None
        if not self.ok and mapping is not None:
            self.report(f"expected a mapping of keys, got {_show(mapping)}")
        self.mapping: Dict[Any, Any] = mapping if self.ok else {}
        self.used: set = set()

    def path(self, key: Any) -> str:
        """The dotted place of a key inside this section."""
        return f"{self.where}.{key}" if self.where else str(key)

    def line_of(self, key: Any) -> Optional[int]:
        """The line a key stands on, else the section's own line."""
        if isinstance(self.mapping, LDict):
            return self.mapping.lines.get(key, self.line)
        return self.line

    def report(self, message: str, key: Any = None) -> None:
        """Add a problem at this section, or at one of its keys."""
        if key is None:
            self.problems.append(Problem(self.file, self.line, self.where or "top level", message))
        else:
            self.problems.append(Problem(self.file, self.line_of(key), self.path(key), message))

    def refuse(self, keys: Any, message: str) -> None:
        """Report each of these keys that is present with the message (config.yaml never holds secrets)."""
        for key in keys:
            if key in self.mapping:
                self.used.add(key)
                self.report(message, key)

    def has(self, key: str) -> bool:
        """Whether the key is present."""
        return key in self.mapping

    def raw(self, key: str, default: Any = None) -> Any:
        """The key's value unchecked (and mark it used)."""
        self.used.add(key)
        return self.mapping.get(key, default)

    def take(self, key: str, parse: Callable[[Any], T], default: Any = _MISSING) -> Any:
        """The parsed value of key; a missing key gives default (or a problem when there is none)."""
        self.used.add(key)
        if key not in self.mapping or self.mapping[key] is None and default is not _MISSING:
            if default is _MISSING:
                self.report(f"missing required key '{key}'")
                return None
            return default
        try:
            return parse(self.mapping[key])
        except Invalid as exc:
            self.report(str(exc), key)
        except (TypeError, ValueError, AttributeError):   # a value of a shape the parser never expected
            self.report(f"cannot use {printable(repr(self.mapping[key]), 60)} here", key)
        return None if default is _MISSING else default

    def sub(self, key: str) -> "Section":
        """The section under key (empty when absent)."""
        self.used.add(key)
        value = self.mapping.get(key)
        return Section(self.file, self.problems, value, self.path(key), self.line_of(key), self.states)

    def finish(self) -> None:
        """Report every key that nobody took, with a suggestion for likely typos."""
        known = sorted(str(k) for k in self.used)
        for key in self.mapping:
            if key in self.used:
                continue
            hint = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            advice = f"did you mean '{hint[0]}'?" if hint else f"known keys: {', '.join(known)}"
            self.report(f"unknown key '{key}'; {advice}", key)


def _show(value: Any) -> str:
    kind = {bool: "true/false", list: "a list", str: "text", int: "a number", float: "a number"}   # bool is an int
    for cls, name in kind.items():
        if isinstance(value, cls):
            return f"{name} ({value!r})" if not isinstance(value, list) else name
    return repr(value)
