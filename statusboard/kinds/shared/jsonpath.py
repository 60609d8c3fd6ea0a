"""A small path into a JSON document: names joined by dots, and [n] for the nth item of a list (from 0; -1 is
the last). `stream.viewers`, `servers[0].load`, `items[-1].status`. No expressions, nothing evaluated."""

from __future__ import annotations

import re
from typing import Any, List, Tuple, Union

from statusboard.config.values import Invalid
from statusboard.text import printable

Step = Union[str, int]
_NAME = r"[^.\[\]\s]+"
_WHOLE = re.compile(rf"(?:{_NAME}|\[-?\d{{1,6}}\])(?:\.{_NAME}|\[-?\d{{1,6}}\])*")
_STEP = re.compile(rf"({_NAME})|\[(-?\d{{1,6}})\]")
MAX_PATH = 200


class Missing(Exception):
    """The document has no value at the path; the message says where it stops."""


def parse_path(value: Any) -> Tuple[Step, ...]:
    """The steps of a path like `stats.viewers` or `servers[0].load`."""
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > MAX_PATH or not _WHOLE.fullmatch(text):
        raise Invalid(f"expected a path like stream.viewers or servers[0].load (names joined by dots, [n] for "
                      f"the nth item of a list), got {printable(repr(value), 60)}")
    steps: List[Step] = []
    for name, index in _STEP.findall(text):
        steps.append(int(index) if index else name)
    return tuple(steps)


def show(steps: Tuple[Step, ...]) -> str:
    """A path as people write it."""
    out = ""
    for step in steps:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out


def find(document: Any, steps: Tuple[Step, ...]) -> Any:
    """The value at the path; Missing where the document has none."""
    here: Any = document
    for i, step in enumerate(steps):
        if isinstance(step, int):
            if not isinstance(here, list) or not -len(here) <= step < len(here):
                raise Missing(f"no item {step} at {show(steps[:i]) or 'the top'}")
            here = here[step]
        else:
            if not isinstance(here, dict) or step not in here:
                keys = ", ".join(sorted(map(str, here))[:8]) if isinstance(here, dict) else "no keys"
                raise Missing(f"no {show(steps[:i + 1])} in the answer (there: {keys})")
            here = here[step]
    return here
