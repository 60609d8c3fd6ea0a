"""Pure CloudWatch logic: what one DescribeAlarms stream must ask for, and the state and detail of a pixel."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from typing import Any, Dict, List, Sequence, Tuple

from statusboard.targets import AlarmSpec

ABSENT = "absent"
# AWS's StateValue -> the board's state.
STATES = {"OK": "ok", "ALARM": "alarm", "INSUFFICIENT_DATA": "insufficient-data"}
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


def parse(item: Dict[str, Any]) -> Alarm:
    """An Alarm from one entry of DescribeAlarms' MetricAlarms or CompositeAlarms."""
    changed = item.get("StateUpdatedTimestamp") or item.get("StateTransitionedTimestamp")
    reason = str(item.get("StateReason") or "").strip().splitlines()
    return Alarm(str(item["AlarmName"]), STATES.get(str(item.get("StateValue")), "insufficient-data"),
                 reason[0] if reason else "", changed.timestamp() if changed is not None else 0.0)


def selects(spec: AlarmSpec, alarm: Alarm) -> bool:
    """Whether the target's selector picks this alarm."""
    if spec.name:
        return alarm.name == spec.name
    if spec.prefix:
        return alarm.name.startswith(spec.prefix)
    return alarm.name in (spec.names or ())


def age(seconds: float) -> str:
    """How long ago, for people: 40 s, 12 min, 3 h, 2 days."""
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


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
