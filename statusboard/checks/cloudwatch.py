"""CloudWatch alarms through boto3: one paginated DescribeAlarms stream per (profile, region) per refresh.

This module is imported only when the board has a cloudwatch target.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from typing import Any, List, Optional, Sequence, Tuple

from statusboard.checks.alarm_summary import Alarm, parse, request, summarise
from statusboard.checks.aws import AwsCheck
from statusboard.config import Target

PAGE = 100   # the most DescribeAlarms returns in one page


class AlarmCheck(AwsCheck):
    """Observes CloudWatch alarm targets in batches: every alarm pixel of one (profile, region) at once."""

    service, label, iam = "cloudwatch", "CloudWatch", "cloudwatch"

    def converse(self, client: Any, targets: Sequence[Target]) -> Tuple[List[Alarm], float]:
        """Every alarm the targets select, and AWS's time of the answer (ages never depend on the Pi's clock)."""
        return fetch_alarms(client, [t.spec for t in targets])  # type: ignore[misc]

    def summarise(self, target: Target, answer: Any, region: str) -> Tuple[str, str]:
        """(state, detail) of one alarm target."""
        alarms, now = answer
        return summarise(target.spec, alarms, now, region)  # type: ignore[arg-type]


def fetch_alarms(client: Any, specs: Sequence[Any]) -> Tuple[List[Alarm], float]:
    """The alarms (metric and composite) the selectors need, through the paginator, 100 a page."""
    paginator = client.get_paginator("describe_alarms")
    alarms: List[Alarm] = []
    served: Optional[float] = None
    for page in paginator.paginate(**request(specs), PaginationConfig={"PageSize": PAGE}):
        for item in page.get("MetricAlarms", []) + page.get("CompositeAlarms", []):
            alarms.append(parse(item))
        served = _server_time(page) or served
    return alarms, served if served is not None else _latest(alarms)


def _server_time(page: Any) -> Optional[float]:
    """The Date header of AWS's answer, in seconds since the epoch; None when it has none."""
    date = page.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    try:
        return parsedate_to_datetime(date).timestamp() if date else None
    except (TypeError, ValueError):
        return None


def _latest(alarms: Sequence[Alarm]) -> float:
    """Without AWS's time: the latest change it reported, so no age is made up from the local clock."""
    return max((a.changed for a in alarms), default=0.0)
