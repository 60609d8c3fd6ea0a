"""Why an HTTP request failed, in one line for people: timeout, refused, DNS, TLS, or what it was."""

from __future__ import annotations

import socket
from typing import Iterator
from urllib.parse import urlsplit

from statusboard.net.connect import ResolveTimeout
from statusboard.text import printable


class CheckError(Exception):
    """A failure whose message is the detail people see."""


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps (args, causes, contexts)."""
    seen = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for nxt in (current.__cause__, current.__context__, *[a for a in current.args if isinstance(a, BaseException)]):
            if isinstance(nxt, BaseException):
                todo.append(nxt)


def failure_detail(exc: BaseException, url: str, timeout: float, expired: bool) -> str:
    """A one-line reason for a failed request: timeout, refused, DNS, TLS, redirect loop, or what it was."""
    import http.client
    import ssl

    import urllib3.exceptions as u3

    causes = list(_causes(exc))

    def has(*kinds: type) -> bool:
        return any(isinstance(c, kinds) for c in causes)

    host = urlsplit(url).hostname
    if has(ResolveTimeout):
        return f"DNS: no answer for {host} within {timeout:g} s"
    if expired:
        return f"timeout: no complete answer within {timeout:g} s"
    if isinstance(exc, CheckError):
        return str(exc)
    if has(socket.gaierror, getattr(u3, "NameResolutionError", socket.gaierror)):
        return f"DNS: cannot resolve {host}"
    if has(ConnectionRefusedError):
        return "connection refused"
    if has(ssl.SSLError, u3.SSLError):
        verify = next((c.verify_message for c in causes if isinstance(c, ssl.SSLCertVerificationError)), None)
        reason = next((getattr(c, "reason", None) or str(c) for c in causes if isinstance(c, ssl.SSLError)), "")
        return f"TLS error: {verify or reason or 'handshake failed'}"
    if has(socket.timeout, TimeoutError, u3.TimeoutError):
        return f"timeout: no complete answer within {timeout:g} s"
    if has(http.client.RemoteDisconnected):   # a ConnectionResetError too, so asked first
        return "the server closed the connection without an answer"
    if has(http.client.IncompleteRead):
        return "the answer broke off mid-body"
    if has(ConnectionResetError):
        return "connection reset by the server"
    if has(u3.InvalidHeader, u3.HeaderParsingError, http.client.HTTPException, u3.ProtocolError):
        last = causes[-1]
        return f"not a valid HTTP answer: {printable(last, 100)}"
    last = causes[-1]
    return f"{type(last).__name__}: {printable(last, 120)}"
