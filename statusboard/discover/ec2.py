"""EC2 instances as targets: one per `Name` tag (instances without one by id), or one per value of a tag with
`--group-by TAG` (a `tags:` selector, so a replaced instance is followed); asked with the ec2 kind's own
DescribeInstances pages."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Dict, List, Optional, Sequence, Set

from statusboard.config import AwsSettings
from statusboard.discover import Findings, Found, Key, where
from statusboard.discover.aws import Answer, ask, place_of
from statusboard.kinds.ec2 import Instance, fetch_instances
from statusboard.model import Target

GONE = ("terminated", "shutting-down")


def list_instances(client: Any) -> List[Instance]:
    """Every instance of the region, through the kind's paginator (1,000 a page)."""
    return fetch_instances(client, [])


def discover(places: Sequence[Any], aws: AwsSettings, timeout: float, group_by: Optional[str]) -> Findings:
    """Every live instance of every (profile, region), as targets."""
    answers, problems = ask("ec2", "EC2", list_instances, places, aws, timeout)
    out = Findings(problems=problems)
    for answer in answers:
        live = [i for i in answer.value if i.state not in GONE]
        out.asked.append(f"EC2 {answer.region}{_profile(answer)}: {len(live)} instance{'s' if len(live) != 1 else ''}"
                         + (f" ({len(answer.value) - len(live)} terminated, left out)" if len(live) < len(answer.value)
                            else ""))
        if group_by:
            out.found += _by_tag(answer, live, group_by, aws, out)
        else:
            out.found += _by_name(answer, live, aws)
    return out


def _profile(answer: Answer) -> str:
    return f" (profile {answer.profile})" if answer.profile else ""


def _place(answer: Answer, aws: AwsSettings) -> List[Any]:
    return where(answer.asked, answer.profile, aws.region, aws.profile)


def _by_name(answer: Answer, live: Sequence[Instance], aws: AwsSettings) -> List[Found]:
    named: Dict[str, List[Instance]] = defaultdict(list)
    unnamed: List[Instance] = []
    for instance in live:
        name = instance.tags.get("Name", "")
        (named[name] if name.strip() else unnamed).append(instance)   # a blank name selects nothing: by id
    place = _place(answer, aws)
    at = (answer.profile or "", answer.region)
    out = []
    for name in sorted(named):
        ids = sorted(i.instance_id for i in named[name])
        shown = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
        keys = {("ec2-name", *at, name)} | {("ec2-id", i) for i in ids}
        out.append(Found(name, "ec2", dict([("name", name)] + place), f"{shown}, {answer.region}", frozenset(keys)))
    for instance in sorted(unnamed, key=lambda i: i.instance_id):
        spec = dict([("id", instance.instance_id)] + place) if place else instance.instance_id
        blank = "a blank" if "Name" in instance.tags else "no"
        out.append(Found(instance.instance_id, "ec2", spec, f"{blank} Name tag, {answer.region}",
                         frozenset({("ec2-id", instance.instance_id)})))
    return out


def _by_tag(answer: Answer, live: Sequence[Instance], tag: str, aws: AwsSettings, out: Findings) -> List[Found]:
    groups: Dict[str, List[Instance]] = defaultdict(list)
    untagged = 0
    for instance in live:
        if tag in instance.tags:
            groups[instance.tags[tag]].append(instance)
        else:
            untagged += 1
    if untagged:
        out.left_out.append(f"{untagged} instance{'s' if untagged != 1 else ''} in {answer.region} "
                            f"{'have' if untagged != 1 else 'has'} no {tag} tag")
    place = _place(answer, aws)
    at = (answer.profile or "", answer.region)
    found = []
    for value in sorted(groups):
        count = len(groups[value])
        spec = dict([("tags", {tag: value})] + place)
        note = f"{count} instance{'s' if count != 1 else ''} with {tag}={value}, {answer.region}"
        found.append(Found(value or tag, "ec2", spec, note, frozenset({("ec2-tags", *at, repr(((tag, value),)))})))
    return found


def keys_of(target: Target, aws: AwsSettings, regions: Dict[Optional[str], Optional[str]]) -> Set[Key]:
    """What an ec2 target already on the board shows, in the keys discovery gives what it finds."""
    spec = target.spec
    at = place_of(spec, aws, regions)
    if spec.instance_id:
        return {("ec2-id", spec.instance_id)}
    if spec.name:
        return {("ec2-name", *at, spec.name)}
    return {("ec2-tags", *at, repr(tuple(spec.tags or ())))}

