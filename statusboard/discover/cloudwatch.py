"""CloudWatch alarms (metric and composite) as targets: one per alarm, or one per common name prefix with
`--group-prefix` (a `prefix:` selector, so alarms added later join their pixel); asked with the cloudwatch kind's
own DescribeAlarms pages."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Set

from statusboard.config import AwsSettings
from statusboard.discover import Findings, Found, Key, where
from statusboard.discover.aws import ask, place_of
from statusboard.kinds.cloudwatch import Alarm, fetch_alarms
from statusboard.model import Target


def list_alarms(client: Any) -> List[Alarm]:
    """Every alarm of the region, through the kind's paginator (100 a page)."""
    return fetch_alarms(client, [])[0]


def prefix_of(name: str, separator: str) -> Optional[str]:
    """The name up to and including its first separator, when something comes before and after it."""
    at = name.find(separator)
    return name[:at + len(separator)] if 0 < at and at + len(separator) < len(name) else None


def _within(at: Any, text: str, whole: bool) -> FrozenSet[Key]:
    """The prefix selectors that would take in an alarm's name (`whole`: the name itself is one) or a prefix."""
    return frozenset(("cw-prefix", *at, text[:i]) for i in range(1, len(text) + int(whole)))


def discover(places: Sequence[Any], aws: AwsSettings, timeout: float, separator: Optional[str]) -> Findings:
    """Every alarm of every (profile, region), as targets: one each, or one per prefix."""
    answers, problems = ask("cloudwatch", "CloudWatch", list_alarms, places, aws, timeout)
    out = Findings(problems=problems)
    for answer in answers:
        alarms = sorted(answer.value, key=lambda a: a.name)
        profile = f" (profile {answer.profile})" if answer.profile else ""
        out.asked.append(f"CloudWatch {answer.region}{profile}: {len(alarms)} alarm{'s' if len(alarms) != 1 else ''}")
        place = where(answer.asked, answer.profile, aws.region, aws.profile)
        at = (answer.profile or "", answer.region)
        groups: Dict[str, List[Alarm]] = defaultdict(list)
        alone: List[Alarm] = []
        for alarm in alarms:
            if not alarm.name.strip():   # a name of spaces: a config cannot name it
                out.left_out.append(f"an alarm in {answer.region} whose name is blank: the board cannot name it")
                continue
            prefix = prefix_of(alarm.name, separator) if separator else None
            (groups[prefix] if prefix else alone).append(alarm)
        for prefix in sorted(groups):
            count = len(groups[prefix])
            states = sorted({a.state for a in groups[prefix]})
            out.found.append(Found(prefix[:-len(separator or "")] or prefix, "cloudwatch",
                                   dict([("prefix", prefix)] + place),
                                   f"{count} alarm{'s' if count != 1 else ''} ({', '.join(states)}), {answer.region}",
                                   frozenset({("cw-prefix", *at, prefix)}), _within(at, prefix, False)))
        for alarm in alone:
            spec = dict([("name", alarm.name)] + place) if place else alarm.name
            out.found.append(Found(alarm.name, "cloudwatch", spec, f"{alarm.state}, {answer.region}",
                                   frozenset({("cw-name", *at, alarm.name)}), _within(at, alarm.name, True)))
    return out


def keys_of(target: Target, aws: AwsSettings, regions: Dict[Optional[str], Optional[str]]) -> Set[Key]:
    """What a cloudwatch target already on the board shows, in the keys discovery gives what it finds."""
    spec = target.spec
    at = place_of(spec, aws, regions)
    if spec.prefix:
        return {("cw-prefix", *at, spec.prefix)}
    return {("cw-name", *at, name) for name in ([spec.name] if spec.name else list(spec.names or ()))}
