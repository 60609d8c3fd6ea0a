"""Plain HTTP (an http:// URL asked straight, no proxy) on the standard library's http.client: a new connection
for each check, as a new visitor makes, connected within the check's Deadline (net/connect.py) and watched by it,
so no socket operation outlives it.

It costs about half of urllib3's Python per check (no pool, no pool key, no Retry or Timeout objects, no
response wrapper), and a board of plain-HTTP targets need not import urllib3 at all. urllib3's rules are kept:
the request is the same bytes; Content-Length values that disagree make the answer invalid, and a body shorter
than its Content-Length is cut short (http.client alone would take the first value and end quietly); headers
named twice read as their values joined by ", ". A URL urllib3 would rewrite (a path with dot segments,
characters it percent-encodes, a host name it IDNA-encodes) is not taken here (`request_target` says None): it
goes through urllib3 (net/urllib3get.py), as do https and proxies.
"""

from __future__ import annotations

import http.client
import re
import socket
import time
from typing import Dict, Iterator, List, Mapping, Optional
from urllib.parse import SplitResult

from statusboard.net.connect import connect
from statusboard.net.deadline import Deadline

NODELAY = ((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)   # as urllib3 and http.client set it
# What urllib3 sends as it is: RFC 3986 path and query characters and upper-case percent escapes.
_PATH = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-F]{2})*")
_QUERY = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-F]{2})*")
_HOST = re.compile(r"[a-z0-9\-_.]+|[0-9a-f:.]*:[0-9a-f:.]*")   # a lower-case ASCII name, an IPv4 or IPv6 address
_DOTS = re.compile(r"(?:^|/)\.\.?(?:/|$)")
_NO_BODY = (204, 304)


def request_target(parts: SplitResult) -> Optional[str]:
    """The request target ("/path?query") for this http:// URL when it is sent as urllib3 would send it, else
    None (urllib3 rewrites it: it goes that way)."""
    path, query = parts.path or "/", parts.query
    if (not _HOST.fullmatch(parts.hostname or "") or not _PATH.fullmatch(path) or _DOTS.search(path)
            or not _QUERY.fullmatch(query)):
        return None
    return f"{path}?{query}" if query else path


class Headers(Mapping[str, str]):
    """An answer's headers by name, in any case; a header named twice reads as its values joined by ", "."""

    def __init__(self, message: http.client.HTTPMessage) -> None:
        self._message = message

    def __getitem__(self, name: str) -> str:
        values = self._message.get_all(name)
        if not values:
            raise KeyError(name)
        return ", ".join(values)

    def __iter__(self) -> Iterator[str]:
        first: Dict[str, str] = {}
        for key in self._message.keys():
            first.setdefault(key.lower(), key)   # each name once, as it was first spelt
        return iter(first.values())

    def __len__(self) -> int:
        return len({key.lower() for key in self._message.keys()})


class Answer:
    """One answer on its own connection: status, headers, and read() of its raw body."""

    def __init__(self, conn: "_Connection", response: http.client.HTTPResponse) -> None:
        self.status = response.status
        self.headers = Headers(response.msg)
        self._conn = conn
        self._response = response
        if not response.chunked and response.status not in _NO_BODY and response.status >= 200:
            _frame(response)

    def read(self, amount: int, decode_content: bool = False) -> bytes:
        """Up to `amount` raw bytes of the body (as they came: decoding is the caller's); b"" at its end;
        http.client.IncompleteRead when it ends before its Content-Length."""
        data = self._response.read(amount)
        if not data and amount and self._response.length:
            raise http.client.IncompleteRead(b"", self._response.length)
        return data

    def close(self) -> None:
        """Close the answer and its connection."""
        self._response.close()
        self._conn.close()


class InvalidHeader(http.client.HTTPException):
    """Content-Length values that disagree (urllib3's words)."""


def _frame(response: http.client.HTTPResponse) -> None:
    """The body's length by urllib3's rules: every Content-Length value (repeated headers, or a list in one)
    must agree; one that is not a number leaves the length unknown (the body ends when the connection does)."""
    values: List[str] = response.msg.get_all("Content-Length") or []
    if len(values) < 2 and "," not in "".join(values):
        return   # one value: http.client read it as urllib3 does
    said = ", ".join(values)
    try:
        lengths = {int(value) for value in said.split(",")}
    except ValueError:
        response.length = None
        return
    if len(lengths) > 1:
        raise InvalidHeader(f"Content-Length contained multiple unmatching values ({said})")
    length = lengths.pop()
    response.length = length if length >= 0 else None


class _Connection(http.client.HTTPConnection):
    """http.client's connection, connected by net/connect.py within the Deadline and watched by it."""

    def __init__(self, host: str, port: int, watch: Deadline) -> None:
        super().__init__(host, port, timeout=max(0.001, watch.at - time.monotonic()))
        self._watch = watch

    def connect(self) -> None:
        """Connect within the check's Deadline (every address tried as net/connect.py says)."""
        watch = self._watch
        if watch.expired or time.monotonic() >= watch.at:
            raise socket.timeout("the check's deadline has passed")
        self.sock = connect((self.host, self.port), watch.at, self.timeout, None, NODELAY, note=watch.add)


def ask(parts: SplitResult, target: str, headers: Mapping[str, str], watch: Deadline) -> Answer:
    """One GET of `target` (from request_target) on a new connection to the URL's host; the body left unread."""
    conn = _Connection((parts.hostname or "").rstrip("."), parts.port or 80, watch)
    response: Optional[http.client.HTTPResponse] = None
    try:
        conn.putrequest("GET", target, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        return Answer(conn, response)
    except BaseException:
        if response is not None:   # its framing refused: it holds the socket (http.client handed it over)
            response.close()
        conn.close()
        raise
