"""`ec2:` targets: EC2 instances by id, Name tag or tags, their state and (if asked) their status checks.

Every target of one (profile, region) is answered by one paginated DescribeInstances per round. boto3 is
imported only when the board has an AWS target, when its check is made.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, ClassVar, Dict, List, Mapping, Optional, Sequence, Tuple

from statusboard.config import values
from statusboard.config.aws import region
from statusboard.config.schema import Section
from statusboard.config.values import Invalid
from statusboard.kinds.kind import Kind, long_form, one_of
from statusboard.kinds.shared.aws import ABSENT, ABSENT_STATE, LIBRARY, aws_check
from statusboard.model import Target
from statusboard.vocabulary import Severity, StateInfo

PAGE = 1000
_INSTANCE_ID = re.compile(r"^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$")


# EC2 instance states, and the board's reading of them (transitional states blink).
STATES: Dict[str, StateInfo] = {
    "pending": StateInfo(Severity.TRANSITIONAL, (0, 255, 0), "P"),
    "running": StateInfo(Severity.OK, (0, 0, 255), "R"),
    "stopping": StateInfo(Severity.TRANSITIONAL, (192, 128, 32), "G"),
    "stopped": StateInfo(Severity.CRITICAL, (255, 0, 0), "X"),
    "shutting-down": StateInfo(Severity.TRANSITIONAL, (255, 60, 0), "K"),
    "terminated": StateInfo(Severity.CRITICAL, (120, 0, 0), "T"),
    ABSENT: ABSENT_STATE,
    "impaired": StateInfo(Severity.CRITICAL, (255, 0, 255), "I"),
    "initializing": StateInfo(Severity.TRANSITIONAL, (0, 160, 255), "Z"),
}


@dataclass(frozen=True)
class Ec2Spec:
    """EC2 instances by id, Name tag or tags, with an optional region, profile and status checks."""

    identity: ClassVar[Tuple[str, ...]] = ("instance_id", "name", "tags", "region", "profile")   # what it watches
    instance_id: Optional[str] = None
    name: Optional[str] = None
    tags: Optional[Tuple[Tuple[str, str], ...]] = None
    region: Optional[str] = None
    profile: Optional[str] = None
    status_checks: bool = False

    def describe(self) -> str:
        """A short form for people."""
        if self.instance_id:
            return self.instance_id
        if self.name:
            return f"named {self.name}"
        return "tagged " + ", ".join(f"{k}={v}" for k, v in self.tags or ())


def instance_id(value: Any) -> str:
    """An EC2 instance id like i-0123456789abcdef0."""
    text = values.text(value).strip()
    if not _INSTANCE_ID.match(text):
        raise Invalid(f"expected an EC2 instance id like i-0123456789abcdef0, got {value!r}")
    return text


def tags(value: Any) -> Tuple[Tuple[str, str], ...]:
    """A mapping of tag keys to values, at least one."""
    if not isinstance(value, dict) or not value:
        raise Invalid(f"expected tags as a mapping like {{Role: web, Env: prod}}, got {value!r}")
    out = []
    for key, val in value.items():
        if not isinstance(key, str) or isinstance(val, (dict, list)) or val is None:
            raise Invalid(f"tag {key!r}: expected a plain value, got {val!r}")
        out.append((key, str(val)))
    return tuple(sorted(out))


def parse_ec2(parent: Section, key: str) -> Optional[Ec2Spec]:
    """`ec2: i-...` or `ec2: {id | name | tags, region, profile, status_checks}`."""
    sec = long_form(parent, key)
    if sec is None:
        got = parent.take(key, instance_id)
        return Ec2Spec(instance_id=got) if got else None
    chosen = one_of(sec, ("id", "name", "tags"))
    spec = Ec2Spec(
        instance_id=sec.take("id", instance_id, None),
        name=sec.take("name", values.text, None),
        tags=sec.take("tags", tags, None),
        region=sec.take("region", region, None),
        profile=sec.take("profile", values.text, None),
        status_checks=sec.take("status_checks", values.boolean, False),
    )
    sec.finish()
    return spec if len(chosen) == 1 and (spec.instance_id or spec.name or spec.tags) else None


# When a selector matches several instances the pixel shows the worst; this is the order, worst first.
WORST_FIRST = ("impaired", "stopped", "terminated", "shutting-down", "stopping", "pending", "initializing",
               "running")
KNOWN = set(WORST_FIRST)


@dataclass(frozen=True)
class Instance:
    """What the board needs of one EC2 instance."""

    instance_id: str
    state: str
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Health:
    """DescribeInstanceStatus's two checks for one instance: ok, impaired, initializing, ..."""

    system: str
    instance: str


def selects(spec: Ec2Spec, instance: Instance) -> bool:
    """Whether the target's selector picks this instance."""
    if spec.instance_id:
        return instance.instance_id == spec.instance_id
    if spec.name:
        return instance.tags.get("Name") == spec.name
    return all(instance.tags.get(k) == v for k, v in spec.tags or ())


def request_filters(specs: Sequence[Ec2Spec]) -> List[Dict[str, object]]:
    """DescribeInstances filters that return what these selectors need (and little else)."""
    ids = sorted({s.instance_id for s in specs if s.instance_id})
    keys = sorted({"Name" for s in specs if s.name} | {k for s in specs for k, _ in s.tags or ()})
    if ids and not keys:
        return [{"Name": "instance-id", "Values": ids}]
    if keys and not ids:
        if all(s.name for s in specs):
            return [{"Name": "tag:Name", "Values": sorted({s.name for s in specs if s.name})}]
        return [{"Name": "tag-key", "Values": keys}]
    return []   # ids and tags together cannot be one filter (filters AND); ask for every instance


def effective_state(instance: Instance, health: Optional[Health]) -> str:
    """The instance's state, refined by its status checks when they were asked for."""
    if instance.state != "running" or health is None:
        return instance.state
    checks = (health.system, health.instance)
    if "impaired" in checks:
        return "impaired"
    if "initializing" in checks:
        return "initializing"
    return "running"


def summarise(spec: Ec2Spec, instances: Sequence[Instance], health: Mapping[str, Health],
              region: str) -> Tuple[str, str]:
    """(state, detail) for one target from every instance its region returned."""
    matched = [i for i in instances if selects(spec, i)]
    if not spec.instance_id:
        # A Name or tags selector follows replacements: old terminated instances do not count.
        alive = [i for i in matched if i.state != "terminated"]
        matched = alive or matched
    if not matched:
        return ABSENT, f"no instance {spec.describe()} in {region}"
    states = [effective_state(i, health.get(i.instance_id) if spec.status_checks else None) for i in matched]
    worst = min(states, key=lambda s: WORST_FIRST.index(s) if s in KNOWN else -1)
    if len(matched) == 1:
        extra = {"impaired": ", a status check is impaired", "initializing": ", status checks initializing"}
        return worst, f"{matched[0].instance_id} {matched[0].state}{extra.get(worst, '')}"
    counts = Counter(states)
    running = counts.pop("running", 0)
    rest = ", ".join(f"{n} {s}" for s, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    detail = f"{running} of {len(matched)} running" + (f", {rest}" if rest else "")
    return worst, detail


def fetch_instances(client: Any, specs: Sequence[Ec2Spec]) -> List[Instance]:
    """Every instance the selectors need, through the paginator, 1,000 a page."""
    paginator = client.get_paginator("describe_instances")
    out = []
    pages = paginator.paginate(Filters=request_filters(specs), PaginationConfig={"PageSize": PAGE})
    for page in pages:
        for reservation in page.get("Reservations", []):
            for item in reservation.get("Instances", []):
                tags = {t["Key"]: t["Value"] for t in item.get("Tags", [])}
                out.append(Instance(item["InstanceId"], item["State"]["Name"], tags))
    return out


def fetch_health(client: Any, instance_ids: Sequence[str]) -> Mapping[str, Health]:
    """The system and instance status checks of running instances."""
    paginator = client.get_paginator("describe_instance_status")
    out = {}
    for first in range(0, len(instance_ids), 200):   # a filter takes at most 200 values
        chunk = list(instance_ids[first:first + 200])
        pages = paginator.paginate(Filters=[{"Name": "instance-id", "Values": chunk}],
                                   PaginationConfig={"PageSize": PAGE})
        for page in pages:
            for item in page.get("InstanceStatuses", []):
                if "InstanceId" not in item:
                    continue
                out[item["InstanceId"]] = Health(item.get("SystemStatus", {}).get("Status", "ok"),
                                                 item.get("InstanceStatus", {}).get("Status", "ok"))
    return out


def converse(client: Any, targets: Sequence[Target]) -> Tuple[List[Instance], Mapping[str, Health]]:
    """The instances the targets select, and the status checks of those that ask for them."""
    specs: List[Ec2Spec] = [KIND.spec_of(t) for t in targets]
    instances = fetch_instances(client, specs)
    wanted = sorted({i.instance_id for i in instances for s in specs
                     if s.status_checks and i.state == "running" and selects(s, i)})
    return instances, (fetch_health(client, wanted) if wanted else {})


def summarise_target(target: Target, answer: Tuple[List[Instance], Mapping[str, Health]],
                     region_name: str) -> Tuple[str, str]:
    """(state, detail) of one EC2 target from the conversation's answer."""
    instances, health = answer
    return summarise(KIND.spec_of(target), instances, health, region_name)


KIND = Kind(key="ec2", spec=Ec2Spec, parse=parse_ec2,
            make=aws_check("ec2", "EC2", converse, summarise_target, STATES), states=STATES,
            library=LIBRARY, fresh_on_reload=True,
            example="{tags: {role: web, env: prod}, region: eu-west-1, profile: ops}")
