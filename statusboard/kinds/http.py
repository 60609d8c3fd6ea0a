"""`http:` targets: an HTTP(S) endpoint's status, body content and slowness, or a value in its JSON answer
(`json:`, judged by kinds/shared/numbers.py), within a total deadline.

The HTTP client (net/: http.client for plain http, urllib3 for the rest) is imported at the first check, on a
worker, not before the board's first frame.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Optional, Tuple

from statusboard.config import values
from statusboard.config.schema import Section
from statusboard.config.values import Invalid
from statusboard.kinds.kind import SECRET, Context, Kind, long_form
from statusboard.kinds.shared import jsonpath, numbers
from statusboard.kinds.shared.web import url
from statusboard.model import Observation, Target, Verdict
from statusboard.text import printable, redact
from statusboard.vocabulary import BOARD_STATES, DOWN, PROBE_STATES, SLOW, UNKNOWN, UP, States, merge

if TYPE_CHECKING:
    from statusboard.net.httpget import Answer

OWN_STATES = merge(PROBE_STATES, numbers.STATES)   # up, slow, down; and a JSON value's ok, warning, critical, no-data
STATES = merge(BOARD_STATES, OWN_STATES)


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


def parse_http(parent: Section, key: str) -> Optional[HttpSpec]:
    """`http: URL` or `http: {url, status, contains, slow, verify, json}` (`equals` names the board's states)."""
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
        json=parse_json(sec.sub("json"), sec.states) if sec.has("json") else None,
    )
    sec.finish()
    return spec if spec.url and (spec.json is not None or not sec.has("json")) else None


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


class HttpCheck:
    """Checks HTTP(S) targets; each observation finishes within the target's timeout."""

    def __init__(self, context: Context = Context()) -> None:
        from statusboard.net.ask import Asker
        self.clock = context.clock
        self.asker = Asker()   # proxies and CA bundle, read at the first check, not each

    def observe(self, target: Target, deadline: Optional[float] = None) -> Observation:
        """GET the URL once, within target.timeout, and judge the answer."""
        spec = KIND.spec_of(target)
        start = time.monotonic()
        answer, why = self.asker.get(spec.url, spec.url, target.timeout, deadline, spec.verify,
                                     keep_body=bool(spec.contains) or spec.json is not None)
        verdict = Verdict(DOWN, why) if why else judge(spec, answer, time.monotonic() - start)
        return Observation.judged(target.name, verdict, self.clock(), STATES)


def judge(spec: HttpSpec, answer: "Answer", elapsed: float) -> Verdict:
    """The state and detail an answer gives this target."""
    from statusboard.net.ask import too_large
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
        over = too_large(answer.body)
        if over:
            return Verdict(UNKNOWN, f"{said}: an answer over {over} is not read as JSON")
        try:
            document = json.loads(answer.text(), parse_constant=lambda name: math.nan)
        except (ValueError, RecursionError):
            return Verdict(UNKNOWN, f"{said}, not JSON")
        return spec.json.judge(document)
    if spec.slow is not None and elapsed > spec.slow:
        return Verdict(SLOW, f"{said} (slow: over {_ms(spec.slow)})")
    return Verdict(UP, said)


KIND = Kind(key="http", spec=HttpSpec, parse=parse_http, make=HttpCheck, states=OWN_STATES,
            example=(f"{{url: 'https://ops:{SECRET}@status.example.com/health', "
                     "json: {path: status, equals: {ok: up}}}"))
