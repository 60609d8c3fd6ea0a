"""`http:` targets: an HTTP(S) endpoint's status, body content and slowness, within a total deadline.

The HTTP client (net/, on urllib3) is imported at the first check, on a worker, not before the board's first
frame.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional, Tuple
from urllib.parse import urlsplit

from statusboard.config import values
from statusboard.config.schema import Section
from statusboard.config.values import Invalid
from statusboard.kinds.kind import Context, Kind, long_form
from statusboard.model import Observation, Target
from statusboard.text import printable, redact
from statusboard.vocabulary import DOWN, PROBE_STATES, SLOW, UP, States

if TYPE_CHECKING:
    from statusboard.net.httpget import Answer, Environment

log = logging.getLogger(__name__)
_URL_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")   # what urlsplit would silently drop or a server misread


@dataclass(frozen=True)
class HttpSpec:
    """An HTTP(S) endpoint: what answer counts as up, and when it is slow."""

    url: str
    status: Optional[Tuple[int, ...]] = None   # None: any of 200-399 after redirects
    contains: Optional[str] = None
    slow: Optional[float] = None
    verify: bool = True

    def describe(self) -> str:
        """A short form for people (a password in the URL shown as ***)."""
        return redact(self.url)


def url(value: Any) -> str:
    """An absolute http:// or https:// URL."""
    text = values.text(value).strip()
    bad = _URL_UNSAFE.search(text)
    if bad:
        what = "a space" if bad.group() == " " else "whitespace or a control character"
        raise Invalid(f"a URL cannot hold {what} (write a space as %20): '{printable(text, 120)}'")
    try:
        parts = urlsplit(text)
        parts.port   # a port that is not a number from 0 to 65535 raises here
    except ValueError as exc:
        raise Invalid(f"not a valid URL ({exc}): {value!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid(f"expected an http:// or https:// URL, got {value!r}")
    return text


def status_codes(value: Any) -> Tuple[int, ...]:
    """One HTTP status code or a list of them."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise Invalid("expected an HTTP status code or a list of them, got an empty list")
    return tuple(values.integer(v, 100, 599) for v in items)


def parse_http(parent: Section, key: str, _states: States = PROBE_STATES) -> Optional[HttpSpec]:
    """`http: URL` or `http: {url, status, contains, slow, verify}`."""
    sec = long_form(parent, key)
    if sec is None:
        got = parent.take(key, url)
        return HttpSpec(got) if got else None
    spec = HttpSpec(
        url=sec.take("url", url),
        status=sec.take("status", status_codes, None),
        contains=sec.take("contains", values.text, None),
        slow=sec.take("slow", values.duration, None),
        verify=sec.take("verify", values.boolean, True),
    )
    sec.finish()
    return spec if spec.url else None


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


class HttpCheck:
    """Checks HTTP(S) targets; each observation finishes within the target's timeout."""

    def __init__(self, context: Context = Context()) -> None:
        self.clock = context.clock
        self._env: Optional["Environment"] = None   # proxies and CA bundle, read at the first check, not each
        self._lock = threading.Lock()

    def env(self) -> "Environment":
        """What the process's environment says about proxies and CA bundles (it cannot change while it runs)."""
        from statusboard.net.httpget import Environment
        with self._lock:
            if self._env is None:
                self._env = Environment()
            return self._env

    def observe(self, target: Target, deadline: Optional[float] = None) -> Observation:
        """GET the URL once, within target.timeout, and judge the answer."""
        import http.client

        from urllib3.exceptions import HTTPError

        from statusboard.net.deadline import Deadline
        from statusboard.net.httpfail import CheckError, failure_detail
        from statusboard.net.httpget import get
        spec: HttpSpec = target.spec
        start = time.monotonic()
        at = deadline if deadline is not None else start + target.timeout
        with Deadline(at) as watch:
            try:
                answer = get(spec.url, watch, self.env(), spec.verify, bool(spec.contains))
                state, detail = judge(spec, answer, time.monotonic() - start)
                if watch.expired:  # a cut-off answer can look complete (EOF ends a body without a length)
                    state, detail = DOWN, failure_detail(TimeoutError(), spec.url, target.timeout, True)
            except (CheckError, HTTPError, OSError, http.client.HTTPException, ValueError, UnicodeError) as exc:
                log.debug("%s: %s", target.name, exc)
                state, detail = DOWN, failure_detail(exc, spec.url, target.timeout, watch.expired)
        return Observation.of(target.name, state, detail, self.clock(), PROBE_STATES)


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


KIND = Kind(key="http", parse=parse_http, make=HttpCheck, states=PROBE_STATES)
