"""`metric:` targets: a CloudWatch metric (or metric math over several), its newest complete point judged by
thresholds.

Every metric pixel of one (profile, region) is read by one GetMetricData conversation per round: up to 500
queries a request, its pages followed; regions are asked in parallel like EC2's. boto3 is imported only when
the board has an AWS target.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, ClassVar, Dict, List, NamedTuple, Optional, Sequence, Tuple

from statusboard.config import values
from statusboard.config.aws import region
from statusboard.config.schema import Section
from statusboard.config.values import Invalid
from statusboard.kinds.kind import Kind
from statusboard.kinds.shared import numbers
from statusboard.kinds.shared.aws import LIBRARY, age, aws_check, server_time
from statusboard.model import Target, Verdict
from statusboard.text import printable
from statusboard.vocabulary import UNKNOWN

MAX_QUERIES = 500        # GetMetricData's limit of MetricDataQueries in one request
MAX_METRICS = 10         # metrics one expression may combine here
BASIC_STATS = ("Average", "Sum", "Minimum", "Maximum", "SampleCount", "IQM")
_EXTENDED = re.compile(r"(p|tm|tc|ts|wm|pr)(100|\d{1,2}(\.\d{1,10})?)|(TM|TC|TS|PR|WM)\([^()]{1,40}\)")
_ID = re.compile(r"[a-z][a-zA-Z0-9_]{0,40}")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
HIGH_RESOLUTION = (1, 5, 10, 20, 30)   # periods under a minute CloudWatch takes; above, whole minutes


class Metric(NamedTuple):
    """One CloudWatch metric and the statistic asked of it; `key` is its id in an expression."""

    key: str
    namespace: str
    name: str
    dimensions: Tuple[Tuple[str, str], ...]
    stat: str


@dataclass(frozen=True)
class MetricSpec:
    """A metric (or an expression over metrics), its period and window, and the thresholds its value meets."""

    metrics: Tuple[Metric, ...]
    thresholds: numbers.Thresholds
    period: int = 60
    window: float = 300.0
    expression: Optional[str] = None
    region: Optional[str] = None
    profile: Optional[str] = None
    identity: ClassVar[Tuple[str, ...]] = ("metrics", "period", "expression", "region", "profile")

    def describe(self) -> str:
        """A short form for people."""
        if self.expression:
            return printable(self.expression, 60)
        m = self.metrics[0]
        dims = ",".join(f"{k}={v}" for k, v in m.dimensions)
        return f"{m.namespace} {m.name}{'{' + dims + '}' if dims else ''} {m.stat}"

    def queries(self, prefix: str) -> List[Dict[str, Any]]:
        """Its MetricDataQueries, with ids under `prefix` (unique in a request); the one returned is `prefix`."""
        def stat(m: Metric, qid: str, returned: bool) -> Dict[str, Any]:
            metric = {"Namespace": m.namespace, "MetricName": m.name,
                      "Dimensions": [{"Name": k, "Value": v} for k, v in m.dimensions]}
            return {"Id": qid, "MetricStat": {"Metric": metric, "Period": self.period, "Stat": m.stat},
                    "ReturnData": returned}
        if not self.expression:
            return [stat(self.metrics[0], prefix, True)]
        ids = {m.key for m in self.metrics}
        out = [stat(m, f"{prefix}_{m.key}", False) for m in self.metrics]
        out.append({"Id": prefix, "Expression": rename(self.expression, ids, prefix + "_"),
                    "Period": self.period, "ReturnData": True})
        return out


def rename(expression: str, ids: Any, prefix: str) -> str:
    """The expression with each of its metric ids given the prefix, outside quoted strings."""
    out, i = [], 0
    while i < len(expression):
        ch = expression[i]
        if ch in "'\"":
            end = expression.find(ch, i + 1)
            end = len(expression) if end < 0 else end + 1
            out.append(expression[i:end])
            i = end
            continue
        word = _WORD.match(expression, i)
        if word:
            out.append(prefix + word.group() if word.group() in ids else word.group())
            i = word.end()
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def name(value: Any) -> str:
    """A namespace, metric name, dimension name or value: 1 to 255 characters."""
    text = values.text(value).strip() if not isinstance(value, bool) else ""
    if not 1 <= len(text) <= 255:
        raise Invalid(f"expected a name of 1 to 255 characters, got {printable(repr(value), 60)}")
    return text


def dimensions(value: Any) -> Tuple[Tuple[str, str], ...]:
    """A mapping of dimension names to values, at most 30."""
    if not isinstance(value, dict) or len(value) > 30:
        raise Invalid(f"expected dimensions as a mapping like {{FunctionName: api}} (at most 30), "
                      f"got {printable(repr(value), 60)}")
    return tuple(sorted((name(k), name(v)) for k, v in value.items()))


def statistic(value: Any) -> str:
    """Average, Sum, Minimum, Maximum, SampleCount, IQM, or an extended statistic like p99 or tm90."""
    text = values.text(value).strip()
    if text not in BASIC_STATS and not _EXTENDED.fullmatch(text):
        raise Invalid(f"expected a statistic ({', '.join(BASIC_STATS)}) or an extended one like p99, p99.9 or "
                      f"tm90, got {printable(repr(value), 40)}")
    return text


def period(value: Any) -> int:
    """A CloudWatch period: 1, 5, 10, 20 or 30 seconds (high resolution), or whole minutes."""
    seconds = values.duration(value)
    if seconds != int(seconds) or (seconds < 60 and seconds not in HIGH_RESOLUTION) \
            or (seconds >= 60 and seconds % 60):
        raise Invalid(f"CloudWatch takes a period of 1s, 5s, 10s, 20s, 30s or whole minutes (1m, 5m), "
                      f"got {printable(value, 20)}")
    return int(seconds)


def expression(value: Any) -> str:
    """Metric math (no METRICS(): a batch shares one request, so it would see every pixel's metrics)."""
    text = values.text(value).strip()
    if not 1 <= len(text) <= 1024:
        raise Invalid(f"expected a metric math expression like 'm1 / m2 * 100', got {printable(repr(value), 60)}")
    if "METRICS(" in text.upper().replace(" ", ""):
        raise Invalid("METRICS() cannot be used here: the board asks for every metric pixel of a region in one "
                      "request, so METRICS() would take in other pixels' metrics; name the ids instead (m1 + m2)")
    return text


def _metric(sec: Section, key: str, stat: str, own_stat: bool = True) -> Optional[Metric]:
    """One metric's namespace, name and dimensions from a section, and its stat (its own, or `stat`)."""
    got = Metric(key, sec.take("namespace", name), sec.take("name", name), sec.take("dimensions", dimensions, ()),
                 sec.take("stat", statistic, stat) if own_stat else stat)
    return got if got.namespace and got.name and got.stat else None


def parse_metric(parent: Section, key: str) -> Optional[MetricSpec]:
    """`metric: {namespace, name, dimensions, stat | expression, metrics; period, window, above | below, unit,
    region, profile}`."""
    sec = parent.sub(key)
    if not sec.ok:
        if not sec.given:
            sec.report("missing the metric: give namespace and name (or expression and metrics)")
        return None
    if sec.has("expression") == sec.has("name"):
        sec.report("give either name (with namespace) for one metric, or expression with metrics for metric math")
        for k in ("expression", "name", "namespace", "metrics", "dimensions", "stat"):
            sec.used.add(k)
        sec.finish()
        return None
    stat = sec.take("stat", statistic, "Average")
    metrics: List[Optional[Metric]] = []
    expr = None
    if sec.has("name"):
        metrics.append(_metric(sec, "m1", stat or "Average", own_stat=False))
    else:
        expr = sec.take("expression", expression)
        inner = sec.sub("metrics")
        if not inner.ok or not 1 <= len(inner.mapping) <= MAX_METRICS:
            inner.report(f"give 1 to {MAX_METRICS} metrics by id, like metrics: {{m1: {{namespace: AWS/Lambda, "
                         "name: Errors}}")
        for mid in list(inner.mapping):
            if not isinstance(mid, str) or not _ID.fullmatch(mid):
                inner.report("a metric id starts with a small letter, then letters, digits or _ (like m1)", mid)
                inner.used.add(mid)
                continue
            one = inner.sub(mid)
            metrics.append(_metric(one, mid, stat or "Average") if one.ok else None)
            one.finish()
        inner.finish()
    every = sec.take("period", period, 60)
    window = sec.take("window", values.duration, None)
    if window is not None and every and window < every:
        sec.report(f"the window ({window:g} s) is shorter than the period ({every} s): it would hold no "
                   "point; make it a few periods long", "window")
    thresholds = numbers.parse_thresholds(sec)
    spec_region = sec.take("region", region, None)
    profile = sec.take("profile", values.text, None)
    sec.finish()
    if not metrics or None in metrics or thresholds is None or not every or (sec.has("expression") and not expr):
        return None
    if window is not None and window < every:
        return None
    return MetricSpec(tuple(m for m in metrics if m), thresholds, every, window or 5.0 * every, expr,
                      spec_region, profile)


@dataclass
class Answer:
    """What GetMetricData said for one batch: each returned query's series, a target's own refusal, the end of
    the window asked and AWS's time of the answer."""

    series: Dict[str, List[Tuple[str, List[Tuple[float, float]]]]]   # query id -> [(label, [(time, value)])]
    status: Dict[str, str]          # query id -> what CloudWatch said beside its values, if anything
    refused: Dict[str, str]         # query id -> why CloudWatch refused that target's queries
    ids: Dict[str, str]             # target name -> its query id
    end: float
    served: Optional[float]


def batches(targets: Sequence[Target]) -> List[List[Tuple[str, Target]]]:
    """The targets with their query ids, in requests of at most 500 queries (a target's queries together)."""
    out: List[List[Tuple[str, Target]]] = [[]]
    used = 0
    for i, target in enumerate(targets):
        spec = KIND.spec_of(target)
        need = len(spec.metrics) + (1 if spec.expression else 0)
        if used + need > MAX_QUERIES and out[-1]:
            out.append([])
            used = 0
        out[-1].append((f"t{i}", target))
        used += need
    return out


def ask(client: Any, batch: Sequence[Tuple[str, Target]], end: float, answer: Answer) -> None:
    """One GetMetricData conversation (every page) for one request's worth of targets, into answer."""
    from datetime import datetime, timezone
    window = max(KIND.spec_of(t).window for _, t in batch)
    queries = [q for qid, t in batch for q in KIND.spec_of(t).queries(qid)]
    when = {"StartTime": datetime.fromtimestamp(end - window, timezone.utc),
            "EndTime": datetime.fromtimestamp(end, timezone.utc)}
    token: Optional[str] = None
    while True:
        page = client.get_metric_data(MetricDataQueries=queries, ScanBy="TimestampDescending", **when,
                                      **({"NextToken": token} if token else {}))
        answer.served = server_time(page) or answer.served
        for result in page.get("MetricDataResults", []):
            qid = str(result.get("Id"))
            points = [(t.timestamp(), float(v)) for t, v in zip(result.get("Timestamps", []),
                                                                  result.get("Values", []))]
            series = answer.series.setdefault(qid, [])
            label = str(result.get("Label") or "")
            same = [s for s in series if s[0] == label]
            if same:
                same[0][1].extend(points)
            else:
                series.append((label, points))
            said = [str(m.get("Value", "")) for m in result.get("Messages", []) or []]
            code = str(result.get("StatusCode") or "Complete")
            if code in ("InternalError", "Forbidden") or said:
                answer.status[qid] = f"{code}: {'; '.join(said)}" if said else code
        token = page.get("NextToken")
        if not token:
            return


REFUSED = {"ValidationError", "InvalidParameterValue", "InvalidParameterCombination", "MissingParameter",
           "InvalidParameterValueException"}


def converse(client: Any, targets: Sequence[Target]) -> Answer:
    """Every target's points, in as few requests as GetMetricData allows; a request CloudWatch refuses as
    invalid is asked again target by target, so one bad expression darkens only its own pixel."""
    import time

    import botocore.exceptions
    now = time.time()   # the window is AWS's wall time: a request signed with a wrong clock is refused anyway
    step = 60 if min(KIND.spec_of(t).period for t in targets) >= 60 else 1
    answer = Answer({}, {}, {}, {}, math.floor(now / step) * step, None)

    def ask_or_refused(batch: Sequence[Tuple[str, Target]]) -> Optional[str]:
        """Ask for the batch; CloudWatch's reason when it refuses it as invalid (other errors are raised)."""
        try:
            ask(client, batch, answer.end, answer)
            return None
        except botocore.exceptions.ClientError as exc:
            error = exc.response.get("Error", {})
            if error.get("Code") not in REFUSED:
                raise
            return f"CloudWatch refused it ({error.get('Code')}): {printable(error.get('Message', ''), 160)}"

    for batch in batches(targets):
        answer.ids.update((t.name, qid) for qid, t in batch)
        refused = ask_or_refused(batch)
        if refused is not None and len(batch) == 1:
            answer.refused[batch[0][0]] = refused
        elif refused is not None:
            for one in batch:
                alone = ask_or_refused([one])
                if alone is not None:
                    answer.refused[one[0]] = alone
    return answer


def summarise(target: Target, answer: Answer, region_name: str) -> Verdict:
    """(state, detail) of one metric target: its newest complete point in its window against the thresholds."""
    spec = KIND.spec_of(target)
    qid = answer.ids[target.name]
    if qid in answer.refused:
        return Verdict(UNKNOWN, answer.refused[qid])
    said = answer.status.get(qid)
    if said and said.split(":")[0] in ("InternalError", "Forbidden"):
        return Verdict(UNKNOWN, f"CloudWatch could not give this metric ({printable(said, 160)})")
    newest: List[Tuple[str, float, float]] = []
    for label, points in answer.series.get(qid, []):
        complete = [(t, v) for t, v in points
                    if t + spec.period <= answer.end + 0.5 and t >= answer.end - spec.window - 0.5]
        if complete:
            t, v = max(complete)
            newest.append((label, t, v))
    if not newest:
        return Verdict(numbers.NO_DATA, no_data(spec, said))
    label, at, value = newest[0]
    for other in newest[1:]:
        if spec.thresholds.worst(other[2], value):
            label, at, value = other
    verdict = spec.thresholds.judge(value)
    detail = verdict.detail
    if len(newest) > 1:
        detail += f"; the worst of {len(newest)} series: {printable(label, 60)}"
    now = answer.served if answer.served is not None else answer.end
    if now - (at + spec.period) > 3 * spec.period:   # CloudWatch often lags a period or two: not news
        detail += f"; its newest point is {age(now - at - spec.period)} old"
    return verdict._replace(detail=detail)


def no_data(spec: MetricSpec, said: Optional[str]) -> str:
    """Why a pixel has no point, with where to look."""
    within = f"no point in the last {age(spec.window)}"
    if said:
        return f"{within} (CloudWatch: {printable(said, 100)})"
    if spec.expression:
        return f"{within}: the expression gave nothing (do its metrics have data?)"
    m = spec.metrics[0]
    return (f"{within}: the metric has no data, or no such metric (names and dimensions are case-sensitive; "
            f"see aws cloudwatch list-metrics --namespace {m.namespace} --metric-name {m.name})")


KIND = Kind(key="metric", spec=MetricSpec, parse=parse_metric, states=numbers.STATES,
            make=aws_check("cloudwatch", "CloudWatch", converse, summarise, numbers.STATES),
            library=LIBRARY, fresh_on_reload=True,
            example="{namespace: AWS/Lambda, name: Errors, stat: Sum, period: 1m, above: {warn: 1, critical: 5}}")
