"""Checks: one module per kind of target, each turning the outside world into Observations."""

from __future__ import annotations

import importlib
import time
from typing import Any, Callable, Dict, Hashable, Iterable, List, Optional, Protocol, Sequence

from statusboard.config import AwsSettings, Target
from statusboard.observation import Observation

Clock = Callable[[], float]

# config key -> "module:Class"; a module is imported only when the board has a target of its kind.
REGISTRY: Dict[str, str] = {
    "http": "statusboard.checks.http:HttpCheck",
    "ping": "statusboard.checks.ping:PingCheck",
    "ec2": "statusboard.checks.ec2:Ec2Check",
    "cloudwatch": "statusboard.checks.cloudwatch:AlarmCheck",
    "mqtt": "statusboard.checks.mqtt:MqttCheck",
}
# Kinds that talk to AWS: they take the board's aws settings, and a reload makes them afresh (new sessions
# read credentials and profiles added since the start).
AWS_KINDS = ("ec2", "cloudwatch")


class Check(Protocol):
    """The one-method contract of a check: observe one target, never raise, finish by its deadline.

    `deadline` is a time.monotonic() value: when the check was due plus the target's timeout. A check
    that waited for a free worker has that much less time, so a round never outlasts its slowest timeout.
    None means the full timeout from now.
    """

    def observe(self, target: Target, deadline: Optional[float] = None) -> Observation:
        """Check the target once and say what was seen."""


class BatchCheck(Check, Protocol):
    """A check that answers for many targets at once (EC2: one API conversation per profile and region)."""

    batched: bool

    def group(self, target: Target) -> Hashable:
        """Targets with the same group are observed together."""

    def observe_batch(self, targets: Sequence[Target], deadline: Optional[float] = None) -> List[Observation]:
        """Observe every target of one group, in the same order."""


def make_checks(kinds: Iterable[str], clock: Clock = time.time, aws: AwsSettings = AwsSettings(),
                mqtt: Optional[object] = None) -> Dict[str, Check]:
    """One check object per kind in use (mqtt: the board's MQTT link, for mqtt targets)."""
    options: Dict[str, Dict[str, Any]] = {kind: {"aws": aws} for kind in AWS_KINDS}
    options["mqtt"] = {"link": mqtt}
    checks: Dict[str, Check] = {}
    for kind in sorted(set(kinds)):
        module_name, class_name = REGISTRY[kind].split(":")
        cls = getattr(importlib.import_module(module_name), class_name)
        checks[kind] = cls(clock=clock, **options.get(kind, {}))
    return checks
