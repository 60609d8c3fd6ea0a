"""EC2 instance states through boto3: one paginated DescribeInstances per (profile, region) per refresh.

This module is imported only when the board has an EC2 target, so a board without one never loads boto3.
"""

from __future__ import annotations

from typing import Any, List, Mapping, Sequence, Tuple

from statusboard.checks.aws import AwsCheck
from statusboard.checks.ec2_summary import Health, Instance, request_filters, selects, summarise
from statusboard.config import Target
from statusboard.targets import Ec2Spec

PAGE = 1000


class Ec2Check(AwsCheck):
    """Observes EC2 targets in batches: every target of one (profile, region) from one conversation."""

    service, label, iam = "ec2", "EC2", "ec2"

    def converse(self, client: Any, targets: Sequence[Target]) -> Tuple[List[Instance], Mapping[str, Health]]:
        """The instances the targets select, and the status checks of those that ask for them."""
        specs: List[Ec2Spec] = [t.spec for t in targets]  # type: ignore[misc]
        instances = fetch_instances(client, specs)
        wanted = sorted({i.instance_id for i in instances for s in specs
                         if s.status_checks and i.state == "running" and selects(s, i)})
        return instances, (fetch_health(client, wanted) if wanted else {})

    def summarise(self, target: Target, answer: Any, region: str) -> Tuple[str, str]:
        """(state, detail) of one EC2 target."""
        instances, health = answer
        return summarise(target.spec, instances, health, region)  # type: ignore[arg-type]


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
