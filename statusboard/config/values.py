"""Parsers for the small value types of config.yaml: durations, colours, percentages."""

from __future__ import annotations

import math
import re
from typing import Any, Callable

from statusboard.vocabulary import RGB
from statusboard.text import printable


class Invalid(ValueError):
    """A value that cannot be used; the message says what was expected."""


_DURATION = re.compile(r"(\d{1,12}(?:\.\d{1,12})?) {0,3}(ms|s|m|h)?")   # matched whole, on stripped text
_DURATION_CHARS = 32   # longer than any duration a person writes; refused before any pattern sees it
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}

COLOUR_NAMES = {
    "off": (0, 0, 0), "black": (0, 0, 0), "white": (255, 255, 255), "grey": (60, 60, 60),
    "gray": (60, 60, 60), "red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255),
    "yellow": (255, 200, 0), "amber": (255, 140, 0), "orange": (255, 80, 0),
    "purple": (110, 0, 160), "magenta": (255, 0, 255), "pink": (255, 0, 160),
    "cyan": (0, 255, 255), "teal": (0, 128, 128),
}


MAX_DURATION = 7 * 24 * 3600.0


def duration(value: Any) -> float:
    """Seconds from `30s`, `800ms`, `5m`, `1h` or a bare number of seconds; must be above zero."""
    if isinstance(value, bool):
        raise Invalid(f"expected a duration like 30s or 800ms, got {value!r}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        written = str(value).strip()
        match = _DURATION.fullmatch(written) if len(written) <= _DURATION_CHARS else None
        if not match:
            raise Invalid(f"expected a duration like 30s, 800ms, 5m or 1h, got '{printable(value, 40)}'")
        seconds = float(match.group(1)) * _UNIT[match.group(2)]
    if not math.isfinite(seconds) or seconds <= 0:
        raise Invalid(f"a duration must be above zero and finite, got {value!r}")
    if seconds > MAX_DURATION:
        raise Invalid(f"a duration must be at most 7 days, got {value!r}")
    return seconds


_SPAN = re.compile(r"(\d{1,9}(?:\.\d{1,6})?) {0,3}(s|m|h|d)?")
_SPAN_UNIT = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def span(value: Any) -> float:
    """A span of time for history: `30d`, `24h`, `90m`, `45s` or bare seconds; above zero, at most 10 years."""
    written = str(value).strip() if not isinstance(value, bool) else ""
    match = _SPAN.fullmatch(written) if len(written) <= _DURATION_CHARS else None
    if not match:
        raise Invalid(f"expected a span of time like 30d, 24h or 90m, got '{printable(value, 40)}'")
    seconds = float(match.group(1)) * _SPAN_UNIT[match.group(2)]
    if not 0 < seconds <= 3650 * 86400:
        raise Invalid(f"a span of time must be above zero and at most 3650d, got '{printable(value, 40)}'")
    return seconds


QUERY_CHARS = 4000


def query_text(value: Any, what: str, example: str) -> str:
    """A query in a server's own language, at most QUERY_CHARS long (the server says what it cannot read)."""
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > QUERY_CHARS:
        raise Invalid(f"expected {what} of at most {QUERY_CHARS} characters, like '{example}', "
                      f"got {printable(repr(value), 60)}")
    return text


def duration_from(low: float) -> Callable[[Any], float]:
    """A duration parser that also refuses anything shorter than `low` seconds."""
    def parse(value: Any) -> float:
        seconds = duration(value)
        if seconds < low:
            raise Invalid(f"must be at least {low * 1000:g}ms, got {printable(value, 40)}")
        return seconds
    return parse


def colour(value: Any) -> RGB:
    """An RGB triple from a colour name, `#rrggbb` or `[r, g, b]`."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in COLOUR_NAMES:
            return COLOUR_NAMES[text]
        if re.fullmatch(r"#[0-9a-f]{6}", text):
            return (int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16))
    elif isinstance(value, list) and len(value) == 3 and all(
            isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in value):
        return (value[0], value[1], value[2])
    if value is False:   # YAML 1.1 reads a bare off (and no, false) as false; the name off is meant
        raise Invalid('got false: YAML reads a bare off (or no) as false; write "off" in quotes for an unlit LED')
    names = ", ".join(sorted(COLOUR_NAMES))
    raise Invalid(f"expected a colour: '#rrggbb', [r, g, b] (0-255) or one of {names}; got {value!r}")


def percent(value: Any) -> float:
    """A fraction 0..1 from `50%`, `50` or `0.5`-style values given as percent."""
    text = str(value).strip()
    if text.endswith("%"):
        text = text[:-1]
    try:
        number = float(text)
    except ValueError:
        raise Invalid(f"expected a percentage like 50%, got {value!r}") from None
    if not 0 < number <= 100 or isinstance(value, bool):
        raise Invalid(f"a percentage must be above 0 and at most 100, got {value!r}")
    return number / 100.0


def integer(value: Any, low: int, high: int) -> int:
    """A whole number within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"expected a whole number from {low} to {high}, got {value!r}")
    if not low <= value <= high:
        raise Invalid(f"must be from {low} to {high}, got {value}")
    return value


def text(value: Any) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"expected text, got {value!r}")
    return value


def boolean(value: Any) -> bool:
    """true or false."""
    if not isinstance(value, bool):
        raise Invalid(f"expected true or false, got {value!r}")
    return value
