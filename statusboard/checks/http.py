"""HTTP(S) checks with requests: status, body content, slowness, and a total deadline."""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
import time
from typing import Callable, Dict, Iterator, Optional, Tuple

import requests
import urllib3

from statusboard import __version__
from statusboard.checks.connect import ResolveTimeout
from statusboard.checks.deadline import Deadline, session
from statusboard.config import Target
from statusboard.observation import Observation
from statusboard.states import DOWN, SLOW, UP
from statusboard.targets import HttpSpec

log = logging.getLogger(__name__)
# `verify: false` is the owner's explicit choice for one target; a warning on every check of it is noise.
urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

BODY_LIMIT = 1024 * 1024
CHUNK = 16 * 1024
HEADERS = {"User-Agent": f"statusboard/{__version__}"}


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps (args, causes, urllib3 reasons)."""
    seen = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for nxt in (current.__cause__, current.__context__, getattr(current, "reason", None),
                    *[a for a in current.args if isinstance(a, BaseException)]):
            if isinstance(nxt, BaseException):
                todo.append(nxt)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def failure_detail(exc: BaseException, url: str, timeout: float, expired: bool) -> str:
    """A one-line reason for a failed request: timeout, refused, DNS, TLS, redirect loop, or what it was."""
    causes = list(_causes(exc))

    def has(*kinds: type) -> bool:
        return any(isinstance(c, kinds) for c in causes)

    if has(ResolveTimeout):
        return f"DNS: no answer for {urllib3.util.parse_url(url).host} within {timeout:g} s"
    if expired:
        return f"timeout: no complete answer within {timeout:g} s"
    if isinstance(exc, requests.TooManyRedirects):
        return "redirect loop: too many redirects"
    if has(urllib3.exceptions.NameResolutionError, socket.gaierror):
        return f"DNS: cannot resolve {urllib3.util.parse_url(url).host}"
    if has(ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, requests.exceptions.SSLError) or has(ssl.SSLError):
        verify = next((c.verify_message for c in causes if isinstance(c, ssl.SSLCertVerificationError)), None)
        reason = next((getattr(c, "reason", None) or str(c) for c in causes if isinstance(c, ssl.SSLError)), "")
        return f"TLS error: {verify or reason or 'handshake failed'}"
    # urllib3's NewConnectionError is a subclass of its timeout error, so it is ruled out above first.
    if has(requests.Timeout, socket.timeout, urllib3.exceptions.ReadTimeoutError):
        return f"timeout: no complete answer within {timeout:g} s"
    if has(ConnectionResetError):
        return "connection reset by the server"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the answer broke off mid-body"
    last = causes[-1]
    return f"{type(last).__name__}: {str(last)[:120]}"


class HttpCheck:
    """Checks HTTP(S) targets; each observation finishes within the target's timeout."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        # One session per target, reused: a target is never checked twice at once. Its connections are
        # closed after each check, so every socket a check uses was opened under that check's Deadline.
        self._sessions: Dict[Tuple[str, str], requests.Session] = {}
        self._lock = threading.Lock()

    def _session(self, name: str, url: str) -> requests.Session:
        with self._lock:
            sess = self._sessions.get((name, url))
            if sess is None:
                sess = self._sessions[(name, url)] = session()
                # The environment (proxies, CA bundle, .netrc) is read once per target, not on every check.
                env = sess.merge_environment_settings(url, {}, None, True, None)
                sess.proxies, sess.verify = env["proxies"], env["verify"]
                sess.trust_env = False
            return sess

    def observe(self, target: Target, deadline: Optional[float] = None) -> Observation:
        """GET the URL once, within target.timeout, and judge the answer."""
        spec: HttpSpec = target.spec  # type: ignore[assignment]
        start = time.monotonic()
        at = deadline if deadline is not None else start + target.timeout
        sess = self._session(target.name, spec.url)
        with Deadline(at) as watch, contextlib.closing(sess):
            try:
                state, detail = self._exchange(sess, spec, max(0.01, at - start), start)
                if watch.expired:  # a cut-off answer can look complete (EOF ends headers and body)
                    state, detail = DOWN, failure_detail(TimeoutError(), spec.url, target.timeout, True)
            except (requests.RequestException, OSError, urllib3.exceptions.HTTPError) as exc:
                log.debug("%s: %s", target.name, exc)
                state, detail = DOWN, failure_detail(exc, spec.url, target.timeout, watch.expired)
        return Observation.of(target.name, state, detail, self.clock())

    def _exchange(self, sess: requests.Session, spec: HttpSpec, timeout: float, start: float) -> Tuple[str, str]:
        with sess.get(spec.url, stream=True, timeout=(timeout, timeout), verify=spec.verify and sess.verify,
                      headers=HEADERS) as resp:
            body = self._read(resp, bool(spec.contains))
            elapsed = time.monotonic() - start
            said = f"HTTP {resp.status_code} in {_ms(elapsed)}"
            expected = spec.status
            if expected is None and not 200 <= resp.status_code < 400:
                return DOWN, said
            if expected is not None and resp.status_code not in expected:
                want = " or ".join(str(s) for s in expected)
                return DOWN, f"{said} (expected {want})"
            if spec.contains and spec.contains not in body:
                return DOWN, f"{said}, but the body lacks {spec.contains!r}"
            if spec.slow is not None and elapsed > spec.slow:
                return SLOW, f"{said} (slow: over {_ms(spec.slow)})"
            return UP, said

    @staticmethod
    def _read(resp: requests.Response, keep: bool) -> str:
        """Read at most BODY_LIMIT bytes of the body; the text only when it is needed."""
        got = 0
        chunks = []
        for chunk in resp.iter_content(CHUNK):
            got += len(chunk)
            if keep:
                chunks.append(chunk)
            if got >= BODY_LIMIT:
                break
        if not keep:
            return ""
        data = b"".join(chunks)[:BODY_LIMIT]
        return data.decode(resp.encoding or "utf-8", errors="replace")

