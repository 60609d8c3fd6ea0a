"""Text from outside (server bytes, error messages, names) made safe to print on a terminal or in the journal."""

from __future__ import annotations

import re
import unicodedata

# C0 and C1 control characters (escape sequences start with them), DEL, the line and paragraph separators
# (a terminal or the journal breaks a line at them), and the marks that reorder text.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# A lone surrogate (JSON's "\ud800", bytes decoded with surrogateescape) is no text: no UTF-8 writer takes it.
_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"
DETAIL_LIMIT = 300
# scheme://userinfo@ in any text: the userinfo runs to the last @ before the URL ends (a space or a quote), so a
# password holding @ / ? or # is hidden whole, however a parser would split it.
_USERINFO = re.compile(r"(?<=//)([^\s'\"<>]*)@")
_CLEAN_USER = re.compile(r"[^/?#@:\s]*")
# A query parameter named like a secret (token, api_key, X-Amz-Signature, client_secret, ...): its value, up to the
# next parameter, fragment, space or quote.
SECRET_NAMES = ("token", "key", "secret", "password", "passwd", "signature", "sig", "auth", "access_token",
                "api_key", "apikey")
_SECRET_PARAM = re.compile(r"([?&](?:[^\s'\"<>&#=?]*[_.-])?(?:" + "|".join(SECRET_NAMES) + r")=)([^\s'\"<>&#]*)",
                           re.IGNORECASE)


def valid(text: str) -> str:
    """Text every UTF-8 writer takes: each lone surrogate replaced by U+FFFD, the replacement character."""
    return _SURROGATE.sub(REPLACEMENT, text) if _SURROGATE.search(text) else text


def utf8(text: str) -> bytes:
    """Text as UTF-8, which cannot fail (a lone surrogate is written as U+FFFD)."""
    return valid(text).encode("utf-8")


def printable(text: object, limit: int = DETAIL_LIMIT) -> str:
    """One line of valid text with every control character shown as \\xNN (or \\uNNNN), cut to `limit`."""
    value = valid(str(text))
    if _UNSAFE.search(value):
        value = _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                            else f"\\u{ord(m.group()):04x}", value)
    if len(value) > limit:
        value = value[:limit - 1] + "…"
    return value


def is_printable(text: str) -> bool:
    """Whether a name has no control or formatting characters and no lone surrogate."""
    return not _UNSAFE.search(text) and all(unicodedata.category(c) not in ("Cf", "Cs") for c in text)


def _masked(userinfo: str) -> str:
    user, colon, _ = userinfo.partition(":")
    return f"{user}:***@" if colon and _CLEAN_USER.fullmatch(user) else "***@"


def redact(text: str) -> str:
    """Text with the password of every URL in it shown as *** (`https://user:***@host/`), and a user name
    alone, which may be a token, as `***@`; everything up to a URL's last @ counts as its userinfo. The value of
    a query parameter named like a secret (`?token=`, `&api_key=`, `&X-Amz-Signature=`) is shown as *** too."""
    text = _USERINFO.sub(lambda m: _masked(m.group(1)), text)
    return _SECRET_PARAM.sub(lambda m: m.group(1) + ("***" if m.group(2) else ""), text)



def refused_url(text: str) -> str:
    """A URL that is refused, for people: everything between its `//` and its last `@` masked, whatever it holds
    (a space, a control character, # / ? @), the user name shown only when it is plainly one."""
    head, slashes, rest = text.partition("//")
    if not slashes or "@" not in rest:
        return text
    userinfo, _, tail = rest.rpartition("@")
    return head + slashes + _masked(userinfo) + tail
