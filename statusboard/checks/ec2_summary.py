"""Pure EC2 logic: which instances a target selects, and the one state and detail its pixel shows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from statusboard.targets import Ec2Spec

ABSENT = "absent"
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
