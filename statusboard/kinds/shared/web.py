"""What the kinds that ask a web server share (http, prometheus, influxdb): the URL a target names, and a
server's JSON answer read within the HTTP client's cap (the GET itself: net/ask.py)."""

from __future__ import annotations

import json
import re
from typing import Any, Optional, Tuple
from urllib.parse import urlsplit

from statusboard.config import values
from statusboard.config.values import Invalid
from statusboard.text import printable, refused_url

_URL_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")   # what urlsplit would silently drop or a server misread


def url(value: Any) -> str:
    """An absolute http:// or https:// URL whose host a check can ask for; refused with its userinfo masked
    however it parses (a password holding # / ? or @ included)."""
    text = values.text(value).strip()
    shown = f"'{printable(refused_url(text), 120)}'"   # masked before it is cut: no part of a password shows
    bad = _URL_UNSAFE.search(text)
    if bad:
        what = "a space" if bad.group() == " " else "whitespace or a control character"
        raise Invalid(f"a URL cannot hold {what} (write a space as %20): {shown}")
    try:
        parts = urlsplit(text)
        parts.port   # a port that is not a number from 0 to 65535 raises here
    except ValueError as exc:
        raise Invalid(f"not a valid URL ({_unparsed(exc)}): {shown}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid(f"expected an http:// or https:// URL, got {shown}")
    _idna(parts.hostname, shown)
    return text


def _unparsed(exc: ValueError) -> str:
    """Why urlsplit refused a URL, in words that quote none of it (its message may quote a password)."""
    said = str(exc)
    if "Port out of range" in said:
        return "its port is not from 0 to 65535"
    if "Port could not be cast" in said:
        return "the port after ':' is not a number (in a password, write # / ? @ as %23 %2F %3F %40)"
    if "IPv6" in said:
        return "an IPv6 address in [ ] is not closed or not valid"
    return "it does not parse as a URL"


def _idna(host: str, shown: str) -> None:
    """Refuse a host name the HTTP client cannot ask for: a label that is not valid IDNA 2008 (it checks each
    label as urllib3 does, with the idna package that requests brings)."""
    if host.isascii() or host.startswith("["):
        return
    try:
        import idna
    except ImportError:   # urllib3 then says so itself, at the check
        return
    for label in host.split("."):
        if label and not label.isascii():
            try:
                idna.encode(label.lower(), strict=True, std3_rules=True)
            except idna.IDNAError as exc:
                raise Invalid(f"the host name {printable(host, 80)!r} is not a valid international domain name "
                              f"(IDNA 2008: {printable(exc, 80)}), so no request can be sent to it: {shown}") from None


def read_json(status: int, body: bytes, whose: str, example: str) -> Tuple[Any, Optional[str]]:
    """(the document, None) from a query API's answer, or (None, why it is not read): cut at the client's cap, or
    not JSON (`whose` names the software's JSON, "InfluxDB's"; `example` a URL of it, for people)."""
    from statusboard.net.ask import too_large   # the client is loaded by then: the answer came through it
    over = too_large(body)
    if over:
        return None, f"an answer over {over} (HTTP {status}): not read"
    try:
        return json.loads(body.decode("utf-8", "replace")), None
    except (ValueError, RecursionError):
        return None, f"HTTP {status}, not {whose} JSON (is the url the server's, like {example}?)"
