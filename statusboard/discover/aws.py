"""Asking AWS for what a discovery lists, through the AWS kinds' own check: the same sessions and credential chain,
the same client settings and deadline, the same retries, and the same words when AWS says no."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from statusboard.config import AwsSettings
from statusboard.kinds.kind import Context
from statusboard.kinds.shared.aws import aws_check
from statusboard.model import Target
from statusboard.vocabulary import UNKNOWN

log = logging.getLogger(__name__)
Group = Tuple[Optional[str], Optional[str]]   # (profile, region); None: the config's aws default, else boto3's


@dataclass(frozen=True)
class Place:
    """The (profile, region) one conversation asks, in the shape the AWS check reads from a target's spec."""

    region: Optional[str] = None
    profile: Optional[str] = None

    def describe(self) -> str:
        """For people: the region and profile."""
        return f"{self.region or 'the default region'}" + (f" (profile {self.profile})" if self.profile else "")


@dataclass(frozen=True)
class Answer:
    """What one (profile, region) answered: the region that answered (boto3's default made plain) and the value."""

    profile: Optional[str]
    asked: Optional[str]
    region: str
    value: Any


def groups(profiles: Sequence[str], regions: Sequence[str], aws: AwsSettings) -> List[Group]:
    """Every (profile, region) to ask: each --profile with each --region, else the config's aws defaults."""
    return [(p, r) for p in (list(profiles) or [aws.profile]) for r in (list(regions) or [aws.region])]


def ask(service: str, label: str, converse: Callable[[Any], Any], places: Sequence[Group], aws: AwsSettings,
        timeout: float) -> Tuple[List[Answer], List[str]]:
    """Ask every (profile, region) at once, each within `timeout`: (the answers, a line for each that failed)."""
    answers: Dict[str, Tuple[str, Any]] = {}

    def talk(client: Any, targets: Sequence[Target]) -> None:
        """One conversation: what `converse` asks, kept by the place it was asked of."""
        answers[targets[0].name] = (client.meta.region_name, converse(client))

    def nothing(_target: Target, _answer: Any, _region: str) -> Tuple[str, str]:
        """No pixel to judge: the answer is what discovery wants."""
        return UNKNOWN, ""

    check = aws_check(service, label, talk, nothing, {})(Context(aws=aws))

    def one(group: Group) -> Tuple[Group, Optional[str]]:
        """Ask one place; the reason it did not answer, or None."""
        profile, region = group
        target = Target(name=f"{profile}/{region}", pixel=(0, 0), kind=service, spec=Place(region, profile),
                        timeout=timeout, interval=timeout)
        seen = check.observe_batch([target])[0]
        return group, (None if target.name in answers else seen.detail)

    out: List[Answer] = []
    problems: List[str] = []
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(places)))) as pool:
        for (profile, region), problem in pool.map(one, places):
            shown = Place(region, profile).describe()
            if problem is not None:
                problems.append(f"{label}, {shown}: {problem}")
                continue
            answered, value = answers[f"{profile}/{region}"]
            out.append(Answer(profile, region, answered, value))
    return out, problems


def default_region(profile: Optional[str]) -> Optional[str]:
    """The region boto3 uses for a profile when none is given (AWS_DEFAULT_REGION, ~/.aws/config), or None."""
    import botocore.exceptions
    import botocore.session
    try:
        found = botocore.session.Session(profile=profile).get_config_variable("region")
    except botocore.exceptions.BotoCoreError:
        return None
    return str(found) if found else None


def place_of(spec: Any, aws: AwsSettings, defaults: Dict[Optional[str], Optional[str]]) -> Tuple[str, str]:
    """(profile, region) of a target already on the board, as its check resolves them (its own, else the config's,
    else boto3's default region for the profile, looked up once per profile in `defaults`)."""
    profile = getattr(spec, "profile", None) or aws.profile
    region = getattr(spec, "region", None) or aws.region
    if not region:
        if profile not in defaults:
            defaults[profile] = default_region(profile)
        region = defaults[profile]
    return profile or "", region or ""
