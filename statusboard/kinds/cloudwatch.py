"""`cloudwatch:` targets: CloudWatch alarms (metric or composite) by name, name prefix or a list of names.

Every alarm pixel of one (profile, region) is answered by one paginated DescribeAlarms per round. boto3 is
imported only when the board has an AWS target, when its check is made.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar, Dict, List, Optional, Sequence, Tuple

from statusboard.config import values
from statusboard.config.aws import region
from statusboard.config.schema import Section
from statusboard.config.values import Invalid
from statusboard.kinds.kind import Kind, long_form, one_of
from statusboard.kinds.shared.aws import ABSENT, ABSENT_STATE, LIBRARY, age, aws_check, server_time
from statusboard.model import Target
from statusboard.vocabulary import Severity, StateInfo

PAGE = 100   # the most DescribeAlarms returns in one page

# CloudWatch alarm states. Insufficient data is not healthy: the alarm cannot tell.
STATES: Dict[str, StateInfo] = {
    "ok": StateInfo(Severity.OK, (0, 255, 0), "O"),
    "alarm": StateInfo(Severity.CRITICAL, (255, 0, 0), "!"),
    "insufficient-data": StateInfo(Severity.UNKNOWN, (0, 90, 110), "n"),
    ABSENT: ABSENT_STATE,
}


@dataclass(frozen=True)
class AlarmSpec:
    """CloudWatch alarms (metric or composite) by name, name prefix or a list of names."""

    identity: ClassVar[Tuple[str, ...]] = ("name", "prefix", "names", "region", "profile")   # what it watches
    name: Optional[str] = None
    prefix: Optional[str] = None
    names: Optional[Tuple[str, ...]] = None
    region: Optional[str] = None
    profile: Optional[str] = None

    def describe(self) -> str:
        """A short form for people."""
        if self.name:
            return f"named {self.name}"
        if self.prefix:
            return f"starting with {self.prefix}"
        return "named " + ", ".join(self.names or ())


def alarm_name(value: Any) -> str:
    """A CloudWatch alarm name (1 to 255 characters)."""
    text = values.text(value)
    if not 1 <= len(text) <= 255:
        raise Invalid(f"expected a CloudWatch alarm name (1 to 255 characters), got {value!r}")
    return text


def alarm_names(value: Any) -> Tuple[str, ...]:
    """A list of 1 to 100 alarm names."""
    if not isinstance(value, list) or not 1 <= len(value) <= 100:
        raise Invalid(f"expected a list of 1 to 100 alarm names, got {value!r}")
    return tuple(dict.fromkeys(alarm_name(v) for v in value))


def parse_cloudwatch(parent: Section, key: str) -> Optional[AlarmSpec]:
    """`cloudwatch: ALARM` or `cloudwatch: {name | prefix | names, region, profile}`."""
    sec = long_form(parent, key)
    if sec is None:
        got = parent.take(key, alarm_name)
        return AlarmSpec(name=got) if got else None
    chosen = one_of(sec, ("name", "prefix", "names"))
    spec = AlarmSpec(
        name=sec.take("name", alarm_name, None),
        prefix=sec.take("prefix", alarm_name, None),
        names=sec.take("names", alarm_names, None),
        region=sec.take("region", region, None),
        profile=sec.take("profile", values.text, None),
    )
    sec.finish()
    return spec if len(chosen) == 1 and (spec.name or spec.prefix or spec.names) else None


# AWS's StateValue -> the board's state.
AWS_STATES = {"OK": "ok", "ALARM": "alarm", "INSUFFICIENT_DATA": "insufficient-data"}
# When a selector matches several alarms the pixel shows the worst; this is the order, worst first.
WORST_FIRST = ("alarm", ABSENT, "insufficient-data", "ok")
MAX_NAMES = 100   # DescribeAlarms takes at most 100 AlarmNames


@dataclass(frozen=True)
class Alarm:
    """What the board needs of one metric or composite alarm."""

    name: str
    state: str            # the board's state: ok, alarm, insufficient-data
    reason: str           # the first line of AWS's StateReason
    changed: float        # when its state last changed, seconds since the epoch (AWS's clock)


def request(specs: Sequence[AlarmSpec]) -> Dict[str, Any]:
    """DescribeAlarms parameters that return what these selectors need, in as few pages as can be: the names
    (at most 100), else the longest prefix every selector shares, else every alarm of the region."""
    names = sorted({n for s in specs for n in ([s.name] if s.name else list(s.names or ()))})
    prefixes = sorted({s.prefix for s in specs if s.prefix})
    kinds = {"AlarmTypes": ["CompositeAlarm", "MetricAlarm"]}
    if names and not prefixes and len(names) <= MAX_NAMES:
        return {**kinds, "AlarmNames": names}
    shared = os.path.commonprefix(names + prefixes)
    if shared:
        return {**kinds, "AlarmNamePrefix": shared}
    return kinds


def parse_alarm(item: Dict[str, Any]) -> Alarm:
    """An Alarm from one entry of DescribeAlarms' MetricAlarms or CompositeAlarms."""
    changed = item.get("StateUpdatedTimestamp") or item.get("StateTransitionedTimestamp")
    reason = str(item.get("StateReason") or "").strip().splitlines()
    return Alarm(str(item["AlarmName"]), AWS_STATES.get(str(item.get("StateValue")), "insufficient-data"),
                 reason[0] if reason else "", changed.timestamp() if changed is not None else 0.0)


def selects(spec: AlarmSpec, alarm: Alarm) -> bool:
    """Whether the target's selector picks this alarm."""
    if spec.name:
        return alarm.name == spec.name
    if spec.prefix:
        return alarm.name.startswith(spec.prefix)
    return alarm.name in (spec.names or ())


def _one(alarm: Alarm, now: float) -> str:
    text = f"{alarm.name} {alarm.state.upper().replace('-', '_')} for {age(now - alarm.changed)}"
    return f"{text}: {alarm.reason}" if alarm.reason else text


def summarise(spec: AlarmSpec, alarms: Sequence[Alarm], now: float, region: str) -> Tuple[str, str]:
    """(state, detail) for one target from every alarm its region returned; now is AWS's time of the answer."""
    matched = [a for a in alarms if selects(spec, a)]
    missing: List[str] = [n for n in spec.names or () if n not in {a.name for a in matched}]
    if not matched:
        return ABSENT, f"no alarm {spec.describe()} in {region}"
    states = [a.state for a in matched] + [ABSENT] * len(missing)
    worst = min(states, key=WORST_FIRST.index)
    if len(states) == 1:
        return worst, _one(matched[0], now)
    counts = Counter(states)
    ok = counts.pop("ok", 0)
    rest = ", ".join(f"{n} {s}" for s, n in sorted(counts.items(), key=lambda kv: (WORST_FIRST.index(kv[0]))))
    detail = f"{ok} of {len(states)} ok" + (f", {rest}" if rest else "")
    if worst == ABSENT:
        return worst, f"{detail}: no alarm named {', '.join(missing)} in {region}"
    if worst != "ok":
        # The one to look at first: of the worst, the one that changed last.
        latest = max((a for a in matched if a.state == worst), key=lambda a: a.changed)
        detail += f"; {_one(latest, now)}"
    return worst, detail


def fetch_alarms(client: Any, specs: Sequence[AlarmSpec]) -> Tuple[List[Alarm], float]:
    """The alarms (metric and composite) the selectors need, through the paginator, 100 a page."""
    paginator = client.get_paginator("describe_alarms")
    alarms: List[Alarm] = []
    served: Optional[float] = None
    for page in paginator.paginate(**request(specs), PaginationConfig={"PageSize": PAGE}):
        for item in page.get("MetricAlarms", []) + page.get("CompositeAlarms", []):
            alarms.append(parse_alarm(item))
        served = server_time(page) or served
    return alarms, served if served is not None else _latest(alarms)


def _latest(alarms: Sequence[Alarm]) -> float:
    """Without AWS's time: the latest change it reported, so no age is made up from the local clock."""
    return max((a.changed for a in alarms), default=0.0)


def converse(client: Any, targets: Sequence[Target]) -> Tuple[List[Alarm], float]:
    """Every alarm the targets select, and AWS's time of the answer (ages never depend on the Pi's clock)."""
    return fetch_alarms(client, [KIND.spec_of(t) for t in targets])


def summarise_target(target: Target, answer: Tuple[List[Alarm], float], region_name: str) -> Tuple[str, str]:
    """(state, detail) of one alarm target from the conversation's answer."""
    alarms, now = answer
    return summarise(KIND.spec_of(target), alarms, now, region_name)


KIND = Kind(key="cloudwatch", spec=AlarmSpec, parse=parse_cloudwatch, states=STATES,
            make=aws_check("cloudwatch", "CloudWatch", converse, summarise_target, STATES),
            library=LIBRARY, fresh_on_reload=True, example="{prefix: 'api-', region: eu-west-1}")
