"""`ivs:` targets: an Amazon IVS channel, by name or ARN: live, starving, offline or of unknown health.

Every IVS pixel of one (profile, region) is answered by one paginated ListStreams per round (every live stream
with its health and viewers). Channels are looked up with ListChannels, kept for ten minutes, so a name
resolves to its ARN and a channel that does not exist says so instead of looking offline.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar, Dict, List, Optional, Sequence, Set, Tuple

from statusboard.config import values
from statusboard.config.aws import region
from statusboard.config.schema import Section
from statusboard.config.values import Invalid
from statusboard.kinds.kind import Context, Kind, Made, long_form
from statusboard.kinds.shared.aws import ABSENT, ABSENT_STATE, LIBRARY, age, server_time
from statusboard.kinds.shared.numbers import number_text
from statusboard.model import Target
from statusboard.text import printable
from statusboard.vocabulary import Severity, StateInfo

LIVE, STARVING, OFFLINE, HEALTH_UNKNOWN = "live", "starving", "offline", "health-unknown"
STATES: Dict[str, StateInfo] = {
    LIVE: StateInfo(Severity.OK, (0, 255, 0), "L"),
    # Live, but the encoder sends less than viewers need: they see it stall. Amber, as every degraded state.
    STARVING: StateInfo(Severity.WARNING, (255, 170, 0), "v"),
    # Not live: a channel at rest is not an error; a calm colour of its own.
    OFFLINE: StateInfo(Severity.OK, (0, 70, 150), "F"),
    HEALTH_UNKNOWN: StateInfo(Severity.UNKNOWN, (120, 200, 0), "h"),
    ABSENT: ABSENT_STATE,
}
HEALTH = {"HEALTHY": LIVE, "STARVING": STARVING, "UNKNOWN": HEALTH_UNKNOWN}
_ARN = re.compile(r"arn:aws[a-z-]*:ivs:([a-z0-9-]+):\d{12}:channel/[A-Za-z0-9]+")
CHANNELS_KEPT = 600.0     # seconds a channel list is trusted
CHANNELS_AGAIN = 60.0     # a channel not in it asks again, at most this often
PAGE = 100                # the most ListStreams and ListChannels return in a page


@dataclass(frozen=True)
class IvsSpec:
    """One IVS channel, by ARN or by name, in a region and profile."""

    arn: Optional[str] = None
    name: Optional[str] = None
    region: Optional[str] = None
    profile: Optional[str] = None
    identity: ClassVar[Tuple[str, ...]] = ("arn", "name", "region", "profile")   # for the kept observations

    def describe(self) -> str:
        """A short form for people."""
        return self.arn or f"named {self.name}"


def channel(value: Any) -> str:
    """An IVS channel's ARN or name (1 to 128 characters)."""
    text = values.text(value).strip()
    if not 1 <= len(text) <= 128 and not text.startswith("arn:"):
        raise Invalid(f"expected an IVS channel name or ARN, got {printable(repr(value), 60)}")
    if text.startswith("arn:") and not _ARN.fullmatch(text):
        raise Invalid("expected an IVS channel ARN like arn:aws:ivs:eu-west-1:123456789012:channel/abcdEFGH1234, "
                      f"got {printable(text, 80)}")
    return text


def parse_ivs(parent: Section, key: str) -> Optional[IvsSpec]:
    """`ivs: NAME-or-ARN` or `ivs: {channel, region, profile}`; an ARN names its own region."""
    sec = long_form(parent, key)
    if sec is None:
        got, where, profile, place = parent.take(key, channel), None, None, parent
    else:
        got = sec.take("channel", channel)
        where = sec.take("region", region, None)
        profile = sec.take("profile", values.text, None)
        sec.finish()
        place = sec
    if not got:
        return None
    arn = _ARN.fullmatch(got)
    if arn:
        if where and where != arn.group(1):
            place.report(f"the channel's ARN is in {arn.group(1)}, not in region {where}", "region")
            return None
        return IvsSpec(arn=got, region=arn.group(1), profile=profile)
    return IvsSpec(name=got, region=where, profile=profile)


@dataclass
class Channels:
    """One region's channels as ListChannels last gave them: name -> ARNs, and when (monotonic)."""

    arns: Dict[str, List[str]] = field(default_factory=dict)
    known: Set[str] = field(default_factory=set)
    at: float = -1e9
    asked_again: float = -1e9


@dataclass
class Answer:
    """One round's answer for a region: its live streams by channel ARN, its channels, and AWS's time."""

    streams: Dict[str, Dict[str, Any]]
    channels: Channels
    served: Optional[float]


class Directory:
    """The channels of each region (keyed by its client), looked up again every ten minutes, or sooner when a
    pixel names a channel it does not hold."""

    def __init__(self) -> None:
        self._regions: Dict[int, Channels] = {}
        self._lock = threading.Lock()

    def converse(self, client: Any, targets: Sequence[Target]) -> Answer:
        """Every live stream of the region (ListStreams, every page), and its channels when they are due."""
        with self._lock:
            kept = self._regions.setdefault(id(client), Channels())
        now = time.monotonic()
        wanted = [s.arn or s.name for s in map(KIND.spec_of, targets)]
        missing = any(w not in kept.known and w not in kept.arns for w in wanted)
        if now - kept.at > CHANNELS_KEPT or (missing and now - kept.asked_again > CHANNELS_AGAIN):
            kept = self._list_channels(client)
            kept.asked_again = now
            with self._lock:
                self._regions[id(client)] = kept
        streams: Dict[str, Dict[str, Any]] = {}
        served = None
        token: Optional[str] = None
        while True:
            page = client.list_streams(maxResults=PAGE, **({"nextToken": token} if token else {}))
            served = server_time(page) or served
            for stream in page.get("streams", []):
                streams[str(stream.get("channelArn"))] = stream
            token = page.get("nextToken")
            if not token:
                return Answer(streams, kept, served)

    @staticmethod
    def _list_channels(client: Any) -> Channels:
        found = Channels(at=time.monotonic())
        token: Optional[str] = None
        while True:
            page = client.list_channels(maxResults=PAGE, **({"nextToken": token} if token else {}))
            for item in page.get("channels", []):
                found.arns.setdefault(str(item.get("name", "")), []).append(str(item.get("arn")))
                found.known.add(str(item.get("arn")))
            token = page.get("nextToken")
            if not token:
                return found


def summarise(target: Target, answer: Answer, region_name: str) -> Tuple[str, str]:
    """(state, detail) of one channel from its region's live streams."""
    spec = KIND.spec_of(target)
    if spec.arn:
        arns = [spec.arn] if spec.arn in answer.channels.known else []
    else:
        arns = answer.channels.arns.get(spec.name or "", [])
    if not arns:
        return ABSENT, f"no IVS channel {spec.describe()} in {region_name}"
    if len(arns) > 1:
        live = [a for a in arns if a in answer.streams]
        arns = live[:1] or arns[:1]
        shared = f" (one of {len(answer.channels.arns[spec.name or ''])} channels of that name; use its ARN)"
    else:
        shared = ""
    stream = answer.streams.get(arns[0])
    if stream is None or str(stream.get("state", "LIVE")) != "LIVE":
        return OFFLINE, "offline: not streaming" + shared
    state = HEALTH.get(str(stream.get("health")), HEALTH_UNKNOWN)
    viewers = stream.get("viewerCount")
    said = f"{number_text(viewers)} viewer{'s' if viewers != 1 else ''}" if isinstance(viewers, int) else \
        "viewers not known"
    started = stream.get("startTime")
    if started is not None and answer.served is not None:
        said += f", live for {age(answer.served - started.timestamp())}"
    words = {LIVE: "live", STARVING: "starving (the encoder sends less than viewers need)",
             HEALTH_UNKNOWN: "live, health not known yet"}[state]
    return state, f"{words}: {said}{shared}"


def make(context: Context) -> Made:
    """The check, with a channel directory of its own (a reload makes a new one)."""
    from statusboard.net.aws import AwsCheck
    return AwsCheck(context, service="ivs", label="IVS", iam="ivs", converse=Directory().converse,
                    summarise=summarise, states=STATES)


KIND = Kind(key="ivs", spec=IvsSpec, parse=parse_ivs, states=STATES, make=make,
            library=LIBRARY, fresh_on_reload=True, example="{channel: main-stage, region: eu-west-1}")
