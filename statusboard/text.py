"""Text from outside (server bytes, error messages, names) made safe to print on a terminal or in the journal."""

from __future__ import annotations

import re
import unicodedata

# C0 and C1 control characters (escape sequences start with them), DEL, and the marks that reorder text.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
DETAIL_LIMIT = 300
_USERINFO = re.compile(r"(?<=//)([^/@\s:?#]*)(:[^/@\s?#]*)?@")   # scheme://user:password@ in any text


def printable(text: object, limit: int = DETAIL_LIMIT) -> str:
    """One line with every control character shown as \\xNN (or \\uNNNN), cut to `limit` characters."""
    value = str(text)
    if _UNSAFE.search(value):
        value = _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                            else f"\\u{ord(m.group()):04x}", value)
    if len(value) > limit:
        value = value[:limit - 1] + "…"
    return value


def is_printable(text: str) -> bool:
    """Whether a name has no control or formatting characters."""
    return not _UNSAFE.search(text) and all(unicodedata.category(c) != "Cf" for c in text)


def redact(text: str) -> str:
    """Text with the password of every URL in it shown as *** (`https://user:***@host/`), and a user name
    alone, which may be a token, as `***@`."""
    return _USERINFO.sub(lambda m: f"{m.group(1)}:***@" if m.group(2) is not None else "***@", text)
