"""The demo's AWS: moto's server on 127.0.0.1, a driver that starts, stops and terminates instances,
CloudWatch alarms that change state, metrics that climb and fall, and an IVS channel that goes live, starves and
goes offline.

moto (the `demo` extra) moves an instance from one state to the next at once; the driver holds each one in
AWS's transitional states (pending, stopping, shutting-down) for a few seconds first, and can mark an
instance's status check impaired, so the board shows every EC2 state through its real check.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from statusboard.demo.awsfront import AwsFront

log = logging.getLogger(__name__)

REGION = "eu-west-1"
PROFILE, FAR, NO_KEYS = "statusboard-demo", "statusboard-demo-far", "statusboard-demo-nokeys"
AMI = "ami-12c6146b"   # one of moto's own
HOLD = 4.0             # seconds in a transitional state, before the speed-up
# (alarm, metric, first state): the demo's CloudWatch alarms.
ALARMS = (("lambda-concurrency", "ConcurrentExecutions", "OK"), ("api-5xx", "Errors", "OK"),
          ("api-latency", "Duration", "OK"), ("queue-age", "IteratorAge", "INSUFFICIENT_DATA"))
STAGE = "main-stage"   # the demo's IVS channel
FEED = 0.5             # seconds between the metric points the demo puts
STATE_CODES = {"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}


# Status checks the demo has set, by instance id; moto's own answer ("ok") for every other instance.
_HEALTH: Dict[str, Dict[str, Any]] = {}


def _let_the_demo_set_health() -> None:
    from moto.ec2.models.instances import Instance
    if getattr(Instance, "_demo_health", False):
        return
    moto_status = Instance.instance_status
    Instance.instance_status = property(lambda self: _HEALTH.get(self.id) or moto_status.fget(self))
    Instance._demo_health = True


def concurrency(t: float) -> float:
    """Lambda's concurrent executions t seconds into the demo's minute: climbing, warning, critical, falling."""
    c = t % 60
    if c < 15:
        return float(420 + 10 * int(c))
    if c < 30:
        return 870.0
    if c < 42:
        return 990.0
    return 610.0


class Fleet:
    """moto's EC2 on 127.0.0.1 with a few named instances, changed on a schedule; `speed` runs it faster."""

    def __init__(self, directory: Path, speed: float = 1.0) -> None:
        from moto.server import ThreadedMotoServer   # the demo extra; imported only for the demo

        self.speed = speed
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.moto.start()
        _let_the_demo_set_health()
        host, port = self.moto.get_host_and_port()
        self.url = f"http://{host}:{port}"
        self.front = AwsFront(self.url)   # the far region: answers, then throttles, so its pixel goes stale
        self.stage = AwsFront(self.url)   # IVS: moto's channels, and the live streams the demo sets
        self.stage.streams = []
        self._use_local_aws(directory)
        import boto3
        self.client = boto3.session.Session(profile_name=PROFILE).client("ec2", region_name=REGION)
        self.ids: Dict[str, str] = {}
        for name in ("web-1", "web-2", "web-3", "db-1"):
            self.ids[name] = self.launch(name)
        self.workers = [self.launch("worker", role="worker") for _ in range(3)]
        self.alarms = boto3.session.Session(profile_name=PROFILE).client("cloudwatch", region_name=REGION)
        for name, metric, state in ALARMS:
            self.alarms.put_metric_alarm(AlarmName=name, MetricName=metric, Namespace="AWS/Lambda",
                                         Statistic="Maximum", Period=60, EvaluationPeriods=1, Threshold=900,
                                         ComparisonOperator="GreaterThanThreshold")
            self.alarm(name, state, "Initial state set by the demo")
        self.metrics = self.alarms
        ivs = boto3.session.Session(profile_name=PROFILE).client("ivs", region_name=REGION)
        self.channel = ivs.create_channel(name=STAGE)["channel"]["arn"]
        self._stop = threading.Event()
        self._start = time.monotonic()

    def _use_local_aws(self, directory: Path) -> None:
        """Point boto3 at the demo's endpoints only: its own profiles, no real credentials, no metadata."""
        config = directory / "aws-config"
        keys = "aws_access_key_id = demo\naws_secret_access_key = demo\n"
        config.write_text(f"[profile {PROFILE}]\nregion = {REGION}\nendpoint_url = {self.url}\n{keys}"
                          f"services = statusboard-demo-services\n\n"
                          f"[services statusboard-demo-services]\nivs =\n  endpoint_url = {self.stage.url}\n\n"
                          f"[profile {FAR}]\nregion = {REGION}\nendpoint_url = {self.front.url}\n{keys}\n"
                          f"[profile {NO_KEYS}]\nregion = {REGION}\nendpoint_url = {self.url}\n")
        for key in [k for k in os.environ if k.startswith("AWS_")]:
            del os.environ[key]
        os.environ.update({"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(directory / "none"),
                           "AWS_EC2_METADATA_DISABLED": "true"})

    def launch(self, name: str, role: str = "web") -> str:
        """Run one instance tagged with a Name and a Role; its id."""
        tags = [{"Key": "Name", "Value": name}, {"Key": "Role", "Value": role}]
        reply = self.client.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                          TagSpecifications=[{"ResourceType": "instance", "Tags": tags}])
        return reply["Instances"][0]["InstanceId"]

    def _instance(self, instance_id: str) -> Any:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ec2.models import ec2_backends
        return ec2_backends[DEFAULT_ACCOUNT_ID][REGION].get_instance(instance_id)

    def _hold(self, instance_id: str, state: str) -> None:
        """Put an instance in a transitional state, as AWS does for a while."""
        instance = self._instance(instance_id)
        instance._state.name, instance._state.code = state, STATE_CODES[state]

    def impair(self, instance_id: str, status: Optional[str]) -> None:
        """Make the instance's status check report `status` (impaired, initializing), or ok again (None)."""
        if status is None:
            _HEALTH.pop(instance_id, None)
        else:
            _HEALTH[instance_id] = {"Status": status, "Details": [{"Name": "reachability", "Status": status}]}

    def alarm(self, name: str, state: str, reason: str) -> None:
        """Set a CloudWatch alarm's state, as its metric would."""
        self.alarms.set_alarm_state(AlarmName=name, StateValue=state, StateReason=reason)

    def schedule(self) -> List[Tuple[float, str, Callable[[], None]]]:
        """(seconds into the demo, what, action): every EC2 state within the first minute."""
        web2, web3, db1 = self.ids["web-2"], self.ids["web-3"], self.ids["db-1"]
        client = self.client
        return [
            (3, "web-2 stopping", lambda: self._hold(web2, "stopping")),
            (3 + HOLD, "web-2 stopped", lambda: client.stop_instances(InstanceIds=[web2])),
            (6, "db-1 status check initializing", lambda: self.impair(db1, "initializing")),
            (6 + HOLD, "db-1 status check impaired", lambda: self.impair(db1, "impaired")),
            (10, "the far region throttles", lambda: setattr(self.front, "error",
                                                             (503, "RequestLimitExceeded", "Request limit exceeded."))),
            (12, "web-3 shutting down", lambda: self._hold(web3, "shutting-down")),
            (12 + HOLD, "web-3 terminated", lambda: client.terminate_instances(InstanceIds=[web3])),
            (20, "web-3 replaced: pending", self._replace_web3),
            (20 + HOLD, "web-3 replacement running", lambda: self._hold(self.ids["web-3"], "running")),
            (26, "web-2 pending", lambda: (client.start_instances(InstanceIds=[web2]), self._hold(web2, "pending"))),
            (26 + HOLD, "web-2 running", lambda: self._hold(web2, "running")),
            (8, "lambda-concurrency in ALARM", lambda: self.alarm(
                "lambda-concurrency", "ALARM", "Threshold Crossed: 1 out of the last 1 datapoints [950.0] was "
                "greater than the threshold (900.0).")),
            (16, "queue-age has data: OK", lambda: self.alarm("queue-age", "OK", "Threshold Crossed: no datapoint "
                                                              "was greater than the threshold (900.0).")),
            (18, "api-latency insufficient data", lambda: self.alarm(
                "api-latency", "INSUFFICIENT_DATA", "Insufficient Data: 1 datapoint was unknown.")),
            (24, "lambda-concurrency OK", lambda: self.alarm("lambda-concurrency", "OK", "Threshold Crossed: "
                                                             "no datapoint was greater than the threshold (900.0).")),
            (30, "db-1 healthy again", lambda: self.impair(db1, None)),
            (5, f"{STAGE} goes live (IVS does not know its health yet)", lambda: self.stream("UNKNOWN")),
            (14, f"{STAGE} healthy", lambda: self.stream("HEALTHY")),
            (28, f"{STAGE} starving: its encoder sends too little", lambda: self.stream("STARVING")),
            (40, f"{STAGE} healthy again", lambda: self.stream("HEALTHY")),
            (50, f"{STAGE} offline", lambda: self.stream(None)),
        ]

    def stream(self, health: Optional[str]) -> None:
        """The channel live with this health (IVS's HEALTHY, STARVING, UNKNOWN), or offline (None)."""
        streams = self.stage.streams if self.stage.streams is not None else []
        if health is None:
            self.stage.streams = []
        elif streams:
            streams[0]["health"] = health
        else:
            self.stage.streams = [{"channelArn": self.channel, "health": health, "viewerCount": 0,
                                   "startTime": time.time()}]

    def _feed(self) -> None:
        """Put a point of each demo metric every FEED seconds: Lambda's concurrency climbs past its thresholds
        and falls, and the channel's ingest bitrate drops while it starves (none while offline)."""
        while not self._stop.wait(FEED):
            t = (time.monotonic() - self._start) * self.speed
            data = [{"MetricName": "ConcurrentExecutions", "Value": concurrency(t)}]
            live = list(self.stage.streams or [])
            if live:
                live[0]["viewerCount"] = int(120 + 4 * t)
                data.append({"MetricName": "IngestVideoBitrate", "Value": 800.0 if live[0]["health"] == "STARVING"
                             else 3500.0, "Dimensions": [{"Name": "Channel", "Value": STAGE}]})
            try:
                self.metrics.put_metric_data(Namespace="AWS/Lambda", MetricData=data[:1])
                if len(data) > 1:
                    self.metrics.put_metric_data(Namespace="AWS/IVS", MetricData=data[1:])
                self._forget_old_points()
            except Exception as exc:  # the demo goes on whatever moto says
                log.debug("demo: a metric point failed: %s", exc)

    def _forget_old_points(self, keep: float = 120.0) -> None:
        """moto keeps every point and reads them all for each answer: the demo drops those past any window."""
        from datetime import datetime, timedelta, timezone

        from moto.cloudwatch.models import cloudwatch_backends
        from moto.core import DEFAULT_ACCOUNT_ID
        backend = cloudwatch_backends[DEFAULT_ACCOUNT_ID][REGION]
        oldest = datetime.now(timezone.utc) - timedelta(seconds=keep)
        if backend.metric_data and backend.metric_data[0].timestamp < oldest:
            backend.metric_data = [m for m in backend.metric_data if m.timestamp >= oldest]

    def _replace_web3(self) -> None:
        self.ids["web-3"] = self.launch("web-3")
        self._hold(self.ids["web-3"], "pending")

    def run(self) -> None:
        """Apply the schedule, and put the metrics' points, in background threads."""
        self._start = time.monotonic()
        threading.Thread(target=self._drive, name="demo-fleet", daemon=True).start()
        threading.Thread(target=self._feed, name="demo-metrics", daemon=True).start()

    def _drive(self) -> None:
        start = self._start
        for at, what, action in sorted(self.schedule(), key=lambda item: item[0]):
            if self._stop.wait(max(0.0, start + at / self.speed - time.monotonic())):
                return
            try:
                action()
                log.info("demo: %s", what)
            except Exception as exc:  # the demo goes on whatever moto says
                log.warning("demo: %s failed: %s", what, exc)

    def stop(self) -> None:
        """Stop the driver and the servers."""
        self._stop.set()
        self.front.stop()
        self.stage.stop()
        self.moto.stop()
