"""Why an HTTP request failed, in one line for people: timeout, refused, DNS, TLS, or what it was."""

from __future__ import annotations

import http.client
import socket
import sys
from typing import Any, Iterator, Tuple, Type
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
        wrapped = [a for a in current.args if isinstance(a, BaseException)]
        for nxt in (current.__cause__, current.__context__, *wrapped):
            if isinstance(nxt, BaseException):
                todo.append(nxt)


class _Unused(Exception):
    """Stands for an exception class of a module that is not loaded: nothing raised is one."""


def _loaded(module: str, name: str) -> Type[BaseException]:
    """An exception class of urllib3 or ssl when that module is loaded; else one nothing raised is (a board of
    plain-HTTP targets never loads them)."""
    found: Any = getattr(sys.modules.get(module), name, None)
    return found if isinstance(found, type) and issubclass(found, BaseException) else _Unused


def failures() -> Tuple[Type[BaseException], ...]:
    """What a request raises when it fails (rather than a bug): ours, the socket's, http.client's, urllib3's."""
    return (CheckError, OSError, http.client.HTTPException, ValueError, UnicodeError,
            _loaded("urllib3.exceptions", "HTTPError"))


def failure_detail(exc: BaseException, url: str, timeout: float, expired: bool) -> str:
    """A one-line reason for a failed request: timeout, refused, DNS, TLS, redirect loop, or what it was."""
    u3 = "urllib3.exceptions"
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
    if has(socket.gaierror, _loaded(u3, "NameResolutionError")):
        return f"DNS: cannot resolve {host}"
    if has(ConnectionRefusedError):
        return "connection refused"
    tls = _loaded("ssl", "SSLError")
    if has(tls, _loaded(u3, "SSLError")):
        checked = _loaded("ssl", "SSLCertVerificationError")
        verify = next((getattr(c, "verify_message", None) for c in causes if isinstance(c, checked)), None)
        reason = next((getattr(c, "reason", None) or str(c) for c in causes if isinstance(c, tls)), "")
        return f"TLS error: {verify or reason or 'handshake failed'}"
    if has(socket.timeout, TimeoutError, _loaded(u3, "TimeoutError")):
        return f"timeout: no complete answer within {timeout:g} s"
    if has(http.client.RemoteDisconnected):   # a ConnectionResetError too, so asked first
        return "the server closed the connection without an answer"
    if has(http.client.IncompleteRead):
        return "the answer broke off mid-body"
    if has(ConnectionResetError):
        return "connection reset by the server"
    if has(_loaded(u3, "InvalidHeader"), _loaded(u3, "HeaderParsingError"), http.client.HTTPException,
           _loaded(u3, "ProtocolError")):
        last = causes[-1]
        return f"not a valid HTTP answer: {printable(last, 100)}"
    last = causes[-1]
    return f"{type(last).__name__}: {printable(last, 120)}"
