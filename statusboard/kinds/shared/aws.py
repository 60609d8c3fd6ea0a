"""What the AWS kinds (ec2, cloudwatch, metric, ivs) share: how boto3 is installed, the `absent` state (the
selector found nothing in its region), ages for people, AWS's time of an answer, and how a batched check is made
(boto3 is imported only then)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

from statusboard.kinds.kind import Context, Made
from statusboard.text import printable
from statusboard.vocabulary import Severity, StateInfo, States

if TYPE_CHECKING:
    from statusboard.config import Board
    from statusboard.net.aws import Converse, Summarise

INSTALL = "sudo ./install.sh installs it, or: pip install 'statusboard[ec2]'"
LIBRARY = ("boto3", INSTALL)   # what an AWS kind declares as its library
KINDS = ("ec2", "cloudwatch", "metric", "ivs")   # the kinds that ask AWS
ABSENT = "absent"
ABSENT_STATE = StateInfo(Severity.CRITICAL, (255, 0, 160), "A")   # nothing the selector names is there


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


def server_time(page: Any) -> Optional[float]:
    """The Date header of AWS's answer, in seconds since the epoch; None when it has none."""
    from email.utils import parsedate_to_datetime   # here, not at start: 9 ms a board without AWS never needs
    date = page.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    try:
        return parsedate_to_datetime(date).timestamp() if date else None
    except (TypeError, ValueError):
        return None


def aws_check(service: str, label: str, converse: Converse, summarise: Summarise,
              states: States) -> Callable[[Context], Made]:
    """How an AWS kind makes its batched check (boto3 is imported only then): `service` is boto3's name of the
    service and its prefix in IAM actions, `label` its name for people, `converse(client, targets)` what one
    conversation asks, `summarise(target, answer, region)` one target's (state, detail) from the answer."""
    def make(context: Context) -> Made:
        """The check, made with the board's AWS defaults."""
        from statusboard.net.aws import AwsCheck
        return AwsCheck(context, service=service, label=label, iam=service, converse=converse,
                        summarise=summarise, states=states)
    return make


def region_warnings(board: Board) -> List[str]:
    """One line per AWS profile whose targets no region reaches: none in the target, the config's `aws:`, the
    environment or ~/.aws/config (their pixels would stay unknown)."""
    unplaced: Dict[Optional[str], List[str]] = {}
    for target in board.targets:
        if target.kind in KINDS and not (getattr(target.spec, "region", None) or board.aws.region):
            profile = getattr(target.spec, "profile", None) or board.aws.profile
            unplaced.setdefault(profile, []).append(target.name)
    if not unplaced:
        return []
    try:
        from statusboard.net.aws import NO_REGION, default_region
    except ImportError:   # boto3 is not installed: loading the config said so
        return []
    lines = []
    for profile, names in unplaced.items():
        if default_region(profile) is None:
            shown = ", ".join(printable(n, 64) for n in names[:5])
            shown += f" and {len(names) - 5} more" if len(names) > 5 else ""
            lines.append(f"AWS target{'s' if len(names) > 1 else ''} {shown} (profile {profile or 'default'}): "
                         f"{NO_REGION}; {'they' if len(names) > 1 else 'it'} would show unknown")
    return lines
