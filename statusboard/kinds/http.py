"""`http:` targets: an HTTP(S) endpoint's status, body content and slowness, or a value in its JSON answer
(`json:`, judged by kinds/numbers.py), within a total deadline.

The HTTP client (net/, on urllib3) is imported at the first check, on a worker, not before the board's first
frame.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Optional, Tuple
from urllib.parse import urlsplit

from statusboard.config import values
from statusboard.config.schema import Section
from statusboard.config.values import Invalid
from statusboard.kinds import jsonpath, numbers
from statusboard.kinds.kind import Context, Kind, long_form
from statusboard.model import Observation, Target, Verdict
from statusboard.text import printable, redact, refused_url
from statusboard.vocabulary import BOARD_STATES, DOWN, PROBE_STATES, SLOW, UNKNOWN, UP, States, merge

if TYPE_CHECKING:
    from statusboard.net.httpget import Answer, Environment

log = logging.getLogger(__name__)
_URL_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")   # what urlsplit would silently drop or a server misread
OWN_STATES = merge(PROBE_STATES, numbers.STATES)   # up, slow, down; and a JSON value's ok, warning, critical, no-data
STATES = merge(BOARD_STATES, OWN_STATES)
BODY_LIMIT = 1024 * 1024   # net/httpget.py reads at most this much of a body


@dataclass(frozen=True)
class JsonRule:
    """A value in a JSON answer, judged by thresholds or mapped to states by what it equals."""

    path: Tuple[jsonpath.Step, ...]
    thresholds: Optional[numbers.Thresholds] = None
    equals: Optional[Tuple[Tuple[str, str], ...]] = None

    def judge(self, document: Any) -> Verdict:
        """The state, detail and number from the answer's JSON document."""
        where = jsonpath.show(self.path)
        try:
            value = jsonpath.find(document, self.path)
        except jsonpath.Missing as exc:
            return Verdict(UNKNOWN, str(exc))
        if value is None:
            return Verdict(numbers.NO_DATA, f"{where} is null: no value yet")
        if self.equals is not None:
            said = printable(json.dumps(value) if not isinstance(value, str) else value, 60)
            for text, state in self.equals:
                if said == text:
                    return Verdict(state, f"{where} is {said}")
            return Verdict(UNKNOWN, f"{where} is {said}, which the target's equals does not map")
        if self.thresholds is None:   # parse_json gives one of equals and thresholds
            return Verdict(UNKNOWN, f"{where} is {numbers.shown(value)}, and the target says nothing of how to "
                                    "judge it")
        return numbers.judge_value(self.thresholds, value, where)


@dataclass(frozen=True)
class HttpSpec:
    """An HTTP(S) endpoint: what answer counts as up, and when it is slow."""

    identity: ClassVar[Tuple[str, ...]] = ("url",)   # what it watches
    added_since_v1: ClassVar[Tuple[str, ...]] = ("json",)   # kept files of version 1 never named it (files.py)
    url: str
    status: Optional[Tuple[int, ...]] = None   # None: any of 200-399 after redirects
    contains: Optional[str] = None
    slow: Optional[float] = None
    verify: bool = True
    json: Optional[JsonRule] = None

    def describe(self) -> str:
        """A short form for people (a password in the URL shown as ***)."""
        return redact(self.url) + (f" {jsonpath.show(self.json.path)}" if self.json else "")


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


def status_codes(value: Any) -> Tuple[int, ...]:
    """One HTTP status code or a list of them."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise Invalid("expected an HTTP status code or a list of them, got an empty list")
    return tuple(values.integer(v, 100, 599) for v in items)


def parse_json(sec: Section, states: States) -> Optional[JsonRule]:
    """`json: {path, above | below | equals, unit}`: a value in the answer and how it is judged."""
    path = sec.take("path", jsonpath.parse_path)
    if sec.has("equals"):
        def equals(value: Any) -> Tuple[Tuple[str, str], ...]:
            if not isinstance(value, dict) or not value:
                raise Invalid(f"expected a mapping of values to states, like {{ok: up, degraded: slow}}, got {value!r}")
            out = []
            for said, state in value.items():
                if str(state) not in states:
                    raise Invalid(f"{said!r}: unknown state {state!r}; states are {', '.join(states)}")
                out.append((json.dumps(said) if not isinstance(said, str) else said, str(state)))
            return tuple(out)
        mapped = sec.take("equals", equals)
        for other in ("above", "below", "unit"):
            if sec.has(other):
                sec.used.add(other)
                sec.report("give equals or thresholds (above/below), not both", other)
        sec.finish()
        return JsonRule(path, equals=mapped) if path and mapped else None
    thresholds = numbers.parse_thresholds(sec)
    sec.finish()
    return JsonRule(path, thresholds=thresholds) if path and thresholds else None


def parse_http(parent: Section, key: str, states: States = STATES) -> Optional[HttpSpec]:
    """`http: URL` or `http: {url, status, contains, slow, verify, json}`."""
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
        json=parse_json(sec.sub("json"), states) if sec.has("json") else None,
    )
    sec.finish()
    return spec if spec.url and (spec.json is not None or not sec.has("json")) else None


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
                answer = get(spec.url, watch, self.env(), spec.verify, bool(spec.contains) or spec.json is not None)
                verdict = judge(spec, answer, time.monotonic() - start)
                if watch.expired:  # a cut-off answer can look complete (EOF ends a body without a length)
                    verdict = Verdict(DOWN, failure_detail(TimeoutError(), spec.url, target.timeout, True))
            except (CheckError, HTTPError, OSError, http.client.HTTPException, ValueError, UnicodeError) as exc:
                log.debug("%s: %s", target.name, exc)
                verdict = Verdict(DOWN, failure_detail(exc, spec.url, target.timeout, watch.expired))
        return Observation.judged(target.name, verdict, self.clock(), STATES)


def judge(spec: HttpSpec, answer: "Answer", elapsed: float) -> Verdict:
    """The state and detail an answer gives this target."""
    said = f"HTTP {answer.status} in {_ms(elapsed)}"
    expected = spec.status
    if expected is None and not 200 <= answer.status < 400:
        return Verdict(DOWN, said)
    if expected is not None and answer.status not in expected:
        want = " or ".join(str(s) for s in expected)
        return Verdict(DOWN, f"{said} (expected {want})")
    if spec.contains and spec.contains not in answer.text():
        return Verdict(DOWN, f"{said}, but the body lacks {spec.contains!r}")
    if spec.json is not None:
        if len(answer.body) >= BODY_LIMIT:
            return Verdict(UNKNOWN, f"{said}: an answer over {BODY_LIMIT // 1024 // 1024} MB is not read as JSON")
        try:
            document = json.loads(answer.text(), parse_constant=lambda name: math.nan)
        except (ValueError, RecursionError):
            return Verdict(UNKNOWN, f"{said}, not JSON")
        return spec.json.judge(document)
    if spec.slow is not None and elapsed > spec.slow:
        return Verdict(SLOW, f"{said} (slow: over {_ms(spec.slow)})")
    return Verdict(UP, said)


KIND = Kind(key="http", spec=HttpSpec, parse=parse_http, make=HttpCheck, states=OWN_STATES)
