"""HTTP(S) checks: status, body content, slowness, and a total deadline.

The HTTP client (checks/httpget.py, on urllib3) is imported at the first check, on a worker, not before the
board's first frame.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import TYPE_CHECKING, Callable, Iterator, Optional, Tuple
from urllib.parse import urlsplit

from statusboard.checks.connect import ResolveTimeout
from statusboard.checks.deadline import Deadline
from statusboard.config import Target
from statusboard.observation import Observation
from statusboard.states import DOWN, SLOW, UP
from statusboard.targets import HttpSpec
from statusboard.text import printable

if TYPE_CHECKING:
    from statusboard.checks.httpget import Answer, Environment

log = logging.getLogger(__name__)


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


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def failure_detail(exc: BaseException, url: str, timeout: float, expired: bool) -> str:
    """A one-line reason for a failed request: timeout, refused, DNS, TLS, redirect loop, or what it was."""
    import http.client
    import ssl

    import urllib3.exceptions as u3

    from statusboard.checks.httpget import CheckError
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


class HttpCheck:
    """Checks HTTP(S) targets; each observation finishes within the target's timeout."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._env: Optional["Environment"] = None   # proxies and CA bundle, read at the first check, not each
        self._lock = threading.Lock()

    def env(self) -> "Environment":
        """What the process's environment says about proxies and CA bundles (it cannot change while it runs)."""
        from statusboard.checks.httpget import Environment
        with self._lock:
            if self._env is None:
                self._env = Environment()
            return self._env

    def observe(self, target: Target, deadline: Optional[float] = None) -> Observation:
        """GET the URL once, within target.timeout, and judge the answer."""
        import http.client

        from urllib3.exceptions import HTTPError

        from statusboard.checks.httpget import CheckError, get
        spec: HttpSpec = target.spec  # type: ignore[assignment]
        start = time.monotonic()
        at = deadline if deadline is not None else start + target.timeout
        with Deadline(at) as watch:
            try:
                answer = get(spec.url, watch, self.env(), spec.verify, bool(spec.contains))
                state, detail = self.judge(spec, answer, time.monotonic() - start)
                if watch.expired:  # a cut-off answer can look complete (EOF ends a body without a length)
                    state, detail = DOWN, failure_detail(TimeoutError(), spec.url, target.timeout, True)
            except (CheckError, HTTPError, OSError, http.client.HTTPException, ValueError, UnicodeError) as exc:
                log.debug("%s: %s", target.name, exc)
                state, detail = DOWN, failure_detail(exc, spec.url, target.timeout, watch.expired)
        return Observation.of(target.name, state, detail, self.clock())

    @staticmethod
    def judge(spec: HttpSpec, answer: "Answer", elapsed: float) -> Tuple[str, str]:
        """The state and detail an answer gives this target."""
        said = f"HTTP {answer.status} in {_ms(elapsed)}"
        expected = spec.status
        if expected is None and not 200 <= answer.status < 400:
            return DOWN, said
        if expected is not None and answer.status not in expected:
            want = " or ".join(str(s) for s in expected)
            return DOWN, f"{said} (expected {want})"
        if spec.contains and spec.contains not in answer.text():
            return DOWN, f"{said}, but the body lacks {spec.contains!r}"
        if spec.slow is not None and elapsed > spec.slow:
            return SLOW, f"{said} (slow: over {_ms(spec.slow)})"
        return UP, said
