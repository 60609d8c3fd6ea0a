"""Amazon IVS channels as targets, one each: by name where the name is the region's only channel of that name,
else by ARN; asked with the ivs kind's own ListChannels and ListStreams pages."""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Set

from statusboard.config import AwsSettings
from statusboard.discover import Findings, Found, Key, where
from statusboard.discover.aws import ask, place_of
from statusboard.kinds.ivs import Answer as Streams, Directory
from statusboard.model import Target


def list_channels(client: Any) -> Streams:
    """The region's channels and live streams, as the kind's directory reads them."""
    return Directory().converse(client, [])


def discover(places: Sequence[Any], aws: AwsSettings, timeout: float) -> Findings:
    """Every channel of every (profile, region), as targets."""
    answers, problems = ask("ivs", "IVS", list_channels, places, aws, timeout)
    out = Findings(problems=problems)
    for answer in answers:
        channels = answer.value.channels.arns
        count = sum(len(arns) for arns in channels.values())
        profile = f" (profile {answer.profile})" if answer.profile else ""
        out.asked.append(f"IVS {answer.region}{profile}: {count} channel{'s' if count != 1 else ''}")
        place = where(answer.asked, answer.profile, aws.region, aws.profile)
        at = (answer.profile or "", answer.region)
        live = answer.value.streams
        for name in sorted(channels):
            arns = sorted(channels[name])
            for arn in arns:
                state = "live" if arn in live else "offline"
                keys = {("ivs-arn", arn)}
                if name and len(arns) == 1:
                    keys.add(("ivs-name", *at, name))
                    spec: Any = dict([("channel", name)] + place) if place else name
                    out.found.append(Found(name, "ivs", spec, f"{arn}, {state}", frozenset(keys)))
                    continue
                own = where(None, answer.profile, aws.region, aws.profile)   # an ARN names its own region
                spec = dict([("channel", arn)] + own) if own else arn
                why = "a channel without a name" if not name else f"one of {len(arns)} channels named {name}"
                out.found.append(Found(f"{name or 'channel'}-{arn.rsplit('/', 1)[-1]}", "ivs", spec,
                                       f"{why}, {answer.region}, {state}", frozenset(keys)))
    return out


def keys_of(target: Target, aws: AwsSettings, regions: Dict[Optional[str], Optional[str]]) -> Set[Key]:
    """What an ivs target already on the board shows, in the keys discovery gives what it finds."""
    spec = target.spec
    if spec.arn:
        return {("ivs-arn", spec.arn)}
    return {("ivs-name", *place_of(spec, aws, regions), spec.name)}
