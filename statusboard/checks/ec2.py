"""EC2 instance states through boto3: one paginated DescribeInstances per (profile, region) per refresh.

This module is imported only when the board has an EC2 target, so a board without one never loads boto3.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import boto3
import botocore.config
import botocore.exceptions
import botocore.parsers
import botocore.session

from statusboard.checks.deadline import Deadline
from statusboard.checks.ec2_summary import Health, Instance, request_filters, selects, summarise
from statusboard.config import AwsSettings, Target
from statusboard.observation import Observation
from statusboard.states import UNKNOWN
from statusboard.targets import Ec2Spec

log = logging.getLogger(__name__)

Group = Tuple[Optional[str], Optional[str]]   # (profile, region); None: boto3's own default
PAGE = 1000
THROTTLED = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
             "RequestThrottled", "SlowDown"}
TRANSIENT = {"InternalError", "InternalFailure", "ServiceUnavailable", "Unavailable", "RequestTimeout"}
ATTEMPTS = 3        # conversations per check, all within its deadline
RETRY_ROOM = 0.5    # seconds that must be left for another try
MIN_SHARE = 0.5     # the least share of its timeout the conversation gets after the client was made
NO_CREDENTIALS = ("no AWS credentials found (boto3 looked in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
                  "~/.aws/credentials, ~/.aws/config and instance metadata)")


class AwsProblem(Exception):
    """An AWS failure that makes every pixel of one (profile, region) unknown; `throttled` keeps them instead;
    `retry` when asking again within the deadline may help."""

    def __init__(self, detail: str, throttled: bool = False, retry: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.throttled = throttled
        self.retry = retry or throttled


def explain(exc: Exception, group: Group, expired_after: Optional[float] = None) -> AwsProblem:
    """One line for people from a boto3 or botocore failure (expired_after: the check's deadline cut it)."""
    profile, region = group
    if expired_after is not None:
        return AwsProblem(f"no answer from the EC2 endpoint for {region or 'the default region'} "
                          f"within {expired_after:g} s")
    if isinstance(exc, (botocore.exceptions.NoCredentialsError, botocore.exceptions.PartialCredentialsError)):
        return AwsProblem(NO_CREDENTIALS if isinstance(exc, botocore.exceptions.NoCredentialsError)
                          else f"incomplete AWS credentials: {exc}")
    if isinstance(exc, botocore.exceptions.ProfileNotFound):
        return AwsProblem(f"AWS profile '{profile}' not found in ~/.aws/config or ~/.aws/credentials")
    if isinstance(exc, botocore.exceptions.NoRegionError):
        return AwsProblem("no AWS region: set aws.region in config.yaml (or AWS_DEFAULT_REGION)")
    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "Unknown")
        if code in THROTTLED:
            return AwsProblem(f"throttled by AWS ({code})", throttled=True)
        if code in TRANSIENT:
            return AwsProblem(f"AWS error {code}: {str(error.get('Message', ''))[:100]}", retry=True)
        return AwsProblem(f"AWS error {code}: {str(error.get('Message', ''))[:100]}")
    if isinstance(exc, (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectTimeoutError,
                        botocore.exceptions.ReadTimeoutError, botocore.exceptions.ConnectionClosedError)):
        return AwsProblem(f"cannot reach the EC2 endpoint for {region or 'the default region'}: {exc}",
                          retry=True)
    return AwsProblem(f"AWS: {type(exc).__name__}: {exc}")


class Ec2Check:
    """Observes EC2 targets in batches: every target of one (profile, region) from one conversation."""

    batched = True

    def __init__(self, clock: Callable[[], float] = time.time, aws: AwsSettings = AwsSettings()) -> None:
        self.clock = clock
        self.aws = aws
        self._clients: Dict[Group, object] = {}
        self._sessions: Dict[Optional[str], boto3.session.Session] = {}
        self._loader: Optional[object] = None
        self._lock = threading.Lock()
        self._last: Dict[str, Observation] = {}
        self._last_problem: Dict[Group, Optional[str]] = {}

    def group(self, target: Target) -> Group:
        """The (profile, region) whose one conversation answers for this target."""
        spec: Ec2Spec = target.spec  # type: ignore[assignment]
        return (spec.profile or self.aws.profile, spec.region or self.aws.region)

    def _session(self, profile: Optional[str]) -> boto3.session.Session:
        """One session per profile, all sharing one model loader: the EC2 model (about 20 MB) is read once."""
        session = self._sessions.get(profile)
        if session is None:
            core = botocore.session.Session(profile=profile)
            if self._loader is None:
                self._loader = core.get_component("data_loader")
            else:
                core.register_component("data_loader", self._loader)
            session = self._sessions[profile] = boto3.session.Session(botocore_session=core)
        return session

    def client(self, group: Group, timeout: float) -> object:
        """The EC2 client of a (profile, region), made once."""
        with self._lock:
            client = self._clients.get(group)
            if client is None:
                profile, region = group
                # No retries of botocore's own (they sleep past a check's deadline): observe_batch retries
                # within the deadline, whose Deadline also bounds resolving, connecting and reading.
                config = botocore.config.Config(
                    retries={"mode": "standard", "max_attempts": 1}, connect_timeout=min(timeout, 5.0),
                    read_timeout=timeout, user_agent_extra="statusboard")
                client = self._session(profile).client("ec2", region_name=region, config=config)
                self._clients[group] = client
            return client

    def observe(self, target: Target, deadline: Optional[float] = None) -> Observation:
        """One target alone (a batch of one)."""
        return self.observe_batch([target], deadline)[0]

    def observe_batch(self, targets: Sequence[Target], deadline: Optional[float] = None) -> List[Observation]:
        """Every target of one (profile, region) from one paginated DescribeInstances (and status) call."""
        group = self.group(targets[0])
        specs = [t.spec for t in targets]
        timeout = max(t.timeout for t in targets)
        at = deadline if deadline is not None else time.monotonic() + timeout
        try:
            # Made once per (profile, region), outside the deadline: loading botocore's EC2 model is CPU work
            # (seconds on a Pi Zero), not a wait on the network; the conversation still gets half its timeout.
            client = self.client(group, timeout)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            problem = explain(exc, group)
            self._note(group, problem.detail)
            return [self._failed(t, problem) for t in targets]
        at = max(at, time.monotonic() + timeout * MIN_SHARE)
        region = client.meta.region_name  # type: ignore[attr-defined]
        attempt = 0
        while True:
            attempt += 1
            watch = Deadline(at)
            try:
                with watch:
                    try:
                        instances = fetch_instances(client, specs)  # type: ignore[arg-type]
                        wanted = sorted({i.instance_id for i in instances for s in specs
                                         if s.status_checks and i.state == "running" and selects(s, i)})
                        health = fetch_health(client, wanted) if wanted else {}
                    finally:
                        # Pooled connections would outlive this Deadline: the next check connects afresh.
                        client.close()  # type: ignore[attr-defined]
                break
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError,
                    botocore.parsers.ResponseParserError) as exc:
                cut = watch.expired and not isinstance(exc, botocore.exceptions.ClientError)
                problem = explain(exc, group, timeout if cut else None)
                left = at - time.monotonic()
                if attempt < ATTEMPTS and problem.retry and left > RETRY_ROOM:
                    time.sleep(min(0.2 * 2 ** attempt, left / 4))
                    continue
                self._note(group, problem.detail)
                return [self._failed(t, problem) for t in targets]
        self._note(group, None)
        now = self.clock()
        out = []
        for target in targets:
            state, detail = summarise(target.spec, instances, health, region)  # type: ignore[arg-type]
            obs = Observation.of(target.name, state, detail, now)
            self._last[target.name] = obs
            out.append(obs)
        return out

    def _failed(self, target: Target, problem: AwsProblem) -> Observation:
        last = self._last.get(target.name)
        if problem.throttled and last is not None:
            # Keep the last observation, with its own time, so it goes stale as it should.
            return Observation(last.target, last.state, last.severity, f"{last.detail} (throttled)",
                               last.observed_at, last.mono)
        return Observation.of(target.name, UNKNOWN, problem.detail, self.clock())

    def _note(self, group: Group, problem: Optional[str]) -> None:
        """One log line per (profile, region) when its trouble starts, changes or ends; not one per pixel."""
        before = self._last_problem.get(group)
        if problem == before:
            return
        self._last_problem[group] = problem
        profile, region = group
        where = f"profile {profile or 'default'}, region {region or 'default'}"
        if problem:
            log.warning("EC2 (%s): %s", where, problem)
        elif before:
            log.info("EC2 (%s): answering again", where)


def fetch_instances(client: object, specs: Sequence[Ec2Spec]) -> List[Instance]:
    """Every instance the selectors need, through the paginator, 1,000 a page."""
    paginator = client.get_paginator("describe_instances")  # type: ignore[attr-defined]
    out = []
    pages = paginator.paginate(Filters=request_filters(specs), PaginationConfig={"PageSize": PAGE})
    for page in pages:
        for reservation in page.get("Reservations", []):
            for item in reservation.get("Instances", []):
                tags = {t["Key"]: t["Value"] for t in item.get("Tags", [])}
                out.append(Instance(item["InstanceId"], item["State"]["Name"], tags))
    return out


def fetch_health(client: object, instance_ids: Sequence[str]) -> Mapping[str, Health]:
    """The system and instance status checks of running instances."""
    paginator = client.get_paginator("describe_instance_status")  # type: ignore[attr-defined]
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
