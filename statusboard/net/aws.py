"""What every AWS check shares: a client per (profile, region) (net/awsclients.py), the deadline, retries and
errors.

A kind names its service and hands in how one conversation turns into observations (EC2: instances;
CloudWatch: alarms). This module is imported only when the board has an AWS target.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import botocore.config
import botocore.exceptions
import botocore.parsers
import botocore.session

from statusboard.config import AwsSettings
from statusboard.model import Observation, Target, Verdict
from statusboard.net import urllib3_deadline  # noqa: F401 - botocore connects within the Deadline
from statusboard.net.awsclients import (Clients, CredentialsTimedOut, Group, aws_files_problem, ca_bundle_problem,
                                        default_region)
from statusboard.net.deadline import Deadline
from statusboard.vocabulary import BOARD_STATES, UNKNOWN, States, merge

THROTTLED = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
             "RequestThrottled", "SlowDown"}
TRANSIENT = {"InternalError", "InternalFailure", "ServiceUnavailable", "Unavailable", "RequestTimeout"}
DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess"}
ATTEMPTS = 3        # conversations per check, all within its deadline
RETRY_ROOM = 0.5    # seconds that must be left for another try
MAKE_LIMIT = 300.0  # seconds a check waits for its client to be made (CPU work: tens of seconds on a Pi Zero)
DEFAULT_TIMEOUT = 10.0
NO_REGION = ("no AWS region found: set aws.region in config.yaml, or AWS_DEFAULT_REGION (or region in the "
             "profile's section of ~/.aws/config)")
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


def explain(exc: Exception, group: Group, expired_after: Optional[float] = None, label: str = "EC2",
            iam: str = "ec2") -> AwsProblem:
    """One line for people from a boto3 or botocore failure (expired_after: the check's deadline cut it).

    label names the service for people ("EC2", "CloudWatch"); iam is its prefix in IAM actions ("ec2").
    """
    profile, region = group
    if expired_after is not None:
        return AwsProblem(f"no answer from the {label} endpoint for {region or 'the default region'} "
                          f"within {expired_after:g} s")
    if isinstance(exc, (botocore.exceptions.NoCredentialsError, botocore.exceptions.PartialCredentialsError)):
        return AwsProblem(NO_CREDENTIALS if isinstance(exc, botocore.exceptions.NoCredentialsError)
                          else f"incomplete AWS credentials: {exc}")
    if isinstance(exc, CredentialsTimedOut):
        return AwsProblem("the AWS profile's credential_process did not finish within the check's timeout "
                          "(it was ended)")
    if isinstance(exc, botocore.exceptions.CredentialRetrievalError):
        provider = exc.kwargs.get("provider")
        if provider == "custom-process":   # its stderr may hold secrets: never shown
            return AwsProblem("the AWS profile's credential_process failed (what it printed is not shown here: "
                              "run it by hand to see why)")
        return AwsProblem(f"could not get AWS credentials from {provider or 'the provider'}")
    if isinstance(exc, botocore.exceptions.ProfileNotFound):
        return AwsProblem(f"AWS profile '{profile}' not found in ~/.aws/config or ~/.aws/credentials")
    if isinstance(exc, botocore.exceptions.NoRegionError):
        return AwsProblem(NO_REGION)
    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "Unknown")
        message = str(error.get("Message", ""))[:100]
        if code in THROTTLED:
            return AwsProblem(f"throttled by AWS ({code})", throttled=True)
        if code in TRANSIENT:
            return AwsProblem(f"AWS error {code}: {message}", retry=True)
        if code in DENIED:
            return AwsProblem(f"AWS error {code}: the board's AWS identity needs {iam}:{exc.operation_name} "
                              f"(README: the IAM policy)")
        return AwsProblem(f"AWS error {code}: {message}")
    if isinstance(exc, (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectTimeoutError,
                        botocore.exceptions.ReadTimeoutError, botocore.exceptions.ConnectionClosedError)):
        return AwsProblem(f"cannot reach the {label} endpoint for {region or 'the default region'}: {exc}",
                          retry=True)
    return AwsProblem(f"AWS: {type(exc).__name__}: {exc}")


def place(group: Group) -> str:
    """The (profile, region) for people; a region not given is the one botocore takes, or says none is set."""
    profile, region = group
    region = region or default_region(profile)
    return f"profile {profile or 'default'}, " + (f"region {region}" if region else "no region set")


Converse = Callable[[Any, Sequence[Target]], Any]
Summarise = Callable[[Target, Any, str], Union[Tuple[str, str], Verdict]]   # (state, detail) or a Verdict


class AwsCheck:
    """Observes the targets of one AWS service in batches: every target of one (profile, region) from one
    conversation, made within the check's deadline and retried within it.

    `service` is boto3's name of the service ("ec2"), `label` its name for people, `iam` its prefix in IAM
    actions; `converse(client, targets)` asks the service what the targets need (every page of it), and
    `summarise(target, answer, region)` gives one target's (state, detail) from that answer.
    """

    def __init__(self, context: Any, service: str, label: str, iam: str, converse: Converse,
                 summarise: Summarise, states: States) -> None:
        self.clock: Callable[[], float] = context.clock
        self.aws: AwsSettings = context.aws
        self.service, self.label, self.iam = service, label, iam
        self.converse, self.summarise = converse, summarise
        self.states = merge(BOARD_STATES, states)
        self._timeouts: Dict[Group, float] = {}
        self._clients = Clients(service, self._make)
        self._last: Dict[str, Observation] = {}
        self._last_problem: Dict[Group, Optional[str]] = {}

    def group(self, target: Target) -> Group:
        """The (profile, region) whose one conversation answers for this target."""
        spec = target.spec
        return (getattr(spec, "profile", None) or self.aws.profile, getattr(spec, "region", None) or self.aws.region)

    def prepare(self, targets: Sequence[Target]) -> None:
        """Start making the clients these targets need, off the checks' critical path (at start, and at a
        reload beside the running checks): loading botocore's service model takes seconds on a Pi Zero."""
        for target in targets:
            group = self.group(target)
            self._timeouts[group] = max(self._timeouts.get(group, 0.0), target.timeout)
        if aws_files_problem() is None:
            self._clients.prepare([self.group(t) for t in targets])

    def wait_prepared(self, limit: float) -> None:
        """Wait (at most `limit` seconds) for the clients prepare() started making."""
        self._clients.wait(limit)

    def _make(self, session: botocore.session.Session, group: Group) -> Any:
        """A client of the service for a (profile, region)."""
        timeout = self._timeouts.get(group, DEFAULT_TIMEOUT)
        # No retries of botocore's own (they sleep past a check's deadline): observe_batch retries within the
        # deadline, whose Deadline also bounds resolving, connecting and reading.
        config = botocore.config.Config(
            retries={"mode": "standard", "max_attempts": 1}, connect_timeout=min(timeout, 5.0),
            read_timeout=timeout, user_agent_extra="statusboard")
        return session.create_client(self.service, region_name=group[1], config=config)

    def client(self, group: Group, timeout: float = DEFAULT_TIMEOUT) -> Any:
        """The client of a (profile, region), made once for checks of this timeout (waiting for it while it
        is being made)."""
        unreadable = aws_files_problem()
        if unreadable:
            raise AwsProblem(unreadable)
        self._timeouts.setdefault(group, timeout)
        return self._clients.get(group, MAKE_LIMIT)[0]

    def observe(self, target: Target, deadline: Optional[float] = None) -> Observation:
        """One target alone (a batch of one)."""
        return self.observe_batch([target], deadline)[0]

    def observe_batch(self, targets: Sequence[Target], deadline: Optional[float] = None) -> List[Observation]:
        """Every target of one (profile, region) from one conversation, within the deadline."""
        group = self.group(targets[0])
        timeout = max(t.timeout for t in targets)
        at = deadline if deadline is not None else time.monotonic() + timeout
        began = time.monotonic()
        try:
            unreadable = aws_files_problem()
            if unreadable:
                raise AwsProblem(unreadable)
            # Made off the critical path (prepare), or now: a check that waited for its client has its whole
            # timeout after it was made.
            client, made = self._clients.get(group, MAKE_LIMIT)
            if made > began:
                at = max(at, made + timeout)
            unreadable = ca_bundle_problem(self._clients.session(group[0]))
            if unreadable:
                raise AwsProblem(unreadable)
        except TimeoutError:
            return self._all_failed(targets, group, AwsProblem(
                f"its {self.label} client (botocore's service model) is still being made after {MAKE_LIMIT:g} s"))
        except AwsProblem as problem:
            return self._all_failed(targets, group, problem)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            return self._all_failed(targets, group, self._explain(exc, group))
        region = client.meta.region_name
        attempt = 0
        while True:
            attempt += 1
            watch = Deadline(at)
            try:
                with watch:
                    try:
                        answer = self.converse(client, targets)
                    finally:
                        # Pooled connections would outlive this Deadline: the next check connects afresh.
                        client.close()
                break
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError,
                    botocore.parsers.ResponseParserError) as exc:
                cut = watch.expired and not isinstance(exc, (botocore.exceptions.ClientError,
                                                             botocore.exceptions.CredentialRetrievalError))
                problem = self._explain(exc, group, timeout if cut else None)
                if isinstance(exc, CredentialsTimedOut):
                    problem = AwsProblem(f"the AWS profile's credential_process did not finish within the "
                                         f"check's {timeout:g} s (it was ended)")
                left = at - time.monotonic()
                if attempt < ATTEMPTS and problem.retry and left > RETRY_ROOM:
                    time.sleep(min(0.2 * 2 ** attempt, left / 4))
                    continue
                return self._all_failed(targets, group, problem)
        self._note(group, None)
        now = self.clock()
        out = []
        for target in targets:
            verdict = Verdict(*self.summarise(target, answer, region))   # (state, detail) or a Verdict
            obs = Observation.judged(target.name, verdict, now, self.states)
            self._last[target.name] = obs
            out.append(obs)
        return out

    def _explain(self, exc: Exception, group: Group, expired_after: Optional[float] = None) -> AwsProblem:
        return explain(exc, group, expired_after, self.label, self.iam)

    def _all_failed(self, targets: Sequence[Target], group: Group, problem: AwsProblem) -> List[Observation]:
        self._note(group, problem.detail)
        return [self._failed(t, problem) for t in targets]

    def _failed(self, target: Target, problem: AwsProblem) -> Observation:
        last = self._last.get(target.name)
        if problem.throttled and last is not None:
            # Keep the last observation, with its own time, so it goes stale as it should.
            return Observation(last.target, last.state, last.severity, f"{last.detail} (throttled)",
                               last.observed_at, last.mono, last.reading)
        return Observation.of(target.name, UNKNOWN, problem.detail, self.clock(), self.states)

    def _note(self, group: Group, problem: Optional[str]) -> None:
        """One log line per (profile, region) when its trouble starts, changes or ends; not one per pixel."""
        before = self._last_problem.get(group)
        if problem == before:
            return
        self._last_problem[group] = problem
        where = place(group)
        log = logging.getLogger(f"statusboard.kinds.{self.service}")
        if problem:
            log.warning("%s (%s): %s", self.label, where, problem)
        elif before:
            log.info("%s (%s): answering again", self.label, where)
