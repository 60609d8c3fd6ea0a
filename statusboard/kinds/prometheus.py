"""`prometheus:` targets: a PromQL instant query against a Prometheus server's HTTP API (/api/v1/query), its
value judged by thresholds; of several series, the worst is shown and named. Asked through the HTTP check's
client (net/), so its deadline, TLS, proxies and 1 MB cap hold here too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, List, Optional, Tuple
from urllib.parse import urlencode

from statusboard.config import values
from statusboard.config.schema import Section
from statusboard.kinds.kind import SECRET, Context, Kind
from statusboard.kinds.shared import numbers
from statusboard.kinds.shared.web import read_json, url
from statusboard.model import Observation, Target, Verdict
from statusboard.text import printable, redact
from statusboard.vocabulary import BOARD_STATES, UNKNOWN, merge

STATES = merge(BOARD_STATES, numbers.STATES)


@dataclass(frozen=True)
class PrometheusSpec:
    """A PromQL query to a Prometheus server, and the thresholds its value is judged by."""

    url: str
    query: str
    thresholds: numbers.Thresholds
    verify: bool = True
    identity: ClassVar[Tuple[str, ...]] = ("url", "query")   # what it watches, for the kept observations

    def describe(self) -> str:
        """A short form for people (a password in the URL shown as ***)."""
        return f"{redact(self.url)} {printable(self.query, 60)}"


def query(value: Any) -> str:
    """A PromQL expression (not checked here: the server says what it cannot read)."""
    return values.query_text(value, "a PromQL query", "sum(rate(http_requests_total[5m]))")


def parse_prometheus(parent: Section, key: str) -> Optional[PrometheusSpec]:
    """`prometheus: {url, query, above | below, unit, verify}`."""
    sec = parent.sub(key)
    if not sec.ok:
        return None
    server = sec.take("url", url)
    asked = sec.take("query", query)
    thresholds = numbers.parse_thresholds(sec)
    verify = sec.take("verify", values.boolean, True)
    sec.finish()
    if not server or not asked or thresholds is None:
        return None
    return PrometheusSpec(server, asked, thresholds, verify)


def read_answer(spec: PrometheusSpec, status: int, body: bytes) -> Verdict:
    """(state, detail) from what /api/v1/query answered."""
    doc, why = read_json(status, body, "Prometheus'", "http://host:9090")
    if why:
        return Verdict(UNKNOWN, why)
    if not isinstance(doc, dict) or doc.get("status") != "success":
        error = doc.get("error") if isinstance(doc, dict) else None
        kind = doc.get("errorType") if isinstance(doc, dict) else None
        return Verdict(UNKNOWN,
                       f"Prometheus refused the query ({printable(kind or status, 20)}): {printable(error, 160)}")
    data = doc.get("data")
    data = data if isinstance(data, dict) else {}
    kind, result = data.get("resultType"), data.get("result")
    series: List[Tuple[str, Any]] = []
    if kind == "scalar":
        series = [("", result)]
    elif kind == "vector" and isinstance(result, list):
        series = [(_labels(item.get("metric")), item.get("value")) for item in result if isinstance(item, dict)]
    elif kind == "matrix":
        return Verdict(UNKNOWN, "the query gives a range of points: ask for one value (no [5m] at the end)")
    else:
        return Verdict(UNKNOWN, f"the query gives a {printable(kind, 20)}, not a number")
    if not series:
        return Verdict(numbers.NO_DATA, "no series: the query matched nothing now")
    judged = []
    for name, sample in series:
        try:
            judged.append((name, _number(sample)))
        except numbers.NotANumber as exc:   # named by its labels, if it has any
            return Verdict(UNKNOWN, f"{exc}" + (f" in the series {printable(name, 80)}" if len(name) > 2 else ""))
    name, value = judged[0]
    for other, number in judged[1:]:
        if spec.thresholds.worst(number, value):
            name, value = other, number
    verdict = spec.thresholds.judge(value)
    if len(judged) > 1:
        verdict = verdict._replace(detail=f"{verdict.detail}; the worst of {len(judged)} series: "
                                          f"{printable(name, 80)}")
    return verdict


def _labels(metric: Any) -> str:
    """A series' labels as PromQL writes them: {job="api", instance="a:9100"}."""
    if not isinstance(metric, dict):
        return "{}"
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(metric.items()) if k != "__name__") + "}"


def _number(sample: Any) -> float:
    """A sample's value: Prometheus writes a sample as [time, "value"], the value a string ("1.5", "NaN",
    "+Inf"); NotANumber saying why for anything else (true, a list, an object, a number too large)."""
    if not isinstance(sample, list) or len(sample) != 2:
        raise numbers.NotANumber(f"not a number: a sample is {numbers.shown(sample)}, where Prometheus gives "
                                 "[time, \"value\"]")
    raw = sample[1]
    if isinstance(raw, str):
        try:
            return float(raw)
        except ValueError:
            raise numbers.NotANumber(f"not a number: the value is {numbers.shown(raw)}") from None
    return numbers.finite(raw, "the value")


class PrometheusCheck:
    """Asks each target's query once per check, within its timeout."""

    def __init__(self, context: Context = Context()) -> None:
        from statusboard.net.ask import Asker
        self.clock = context.clock
        self.asker = Asker()

    def observe(self, target: Target, deadline: Optional[float] = None) -> Observation:
        """Ask the query and judge its value."""
        spec = KIND.spec_of(target)
        asked = f"{spec.url.rstrip('/')}/api/v1/query?{urlencode({'query': spec.query})}"
        answer, why = self.asker.get(asked, spec.url, target.timeout, deadline, spec.verify)
        verdict = Verdict(UNKNOWN, f"Prometheus: {why}") if why else read_answer(spec, answer.status, answer.body)
        return Observation.judged(target.name, verdict, self.clock(), STATES)


KIND = Kind(key="prometheus", spec=PrometheusSpec, parse=parse_prometheus, make=PrometheusCheck,
            states=numbers.STATES,
            example=f"{{url: 'http://ops:{SECRET}@127.0.0.1:9090', query: 'up', below: {{warn: 1, critical: 1}}}}")
