"""CloudWatch alarms against a real CloudWatch API: moto's server on 127.0.0.1, reached through AWS_ENDPOINT_URL."""

from __future__ import annotations

import time

import boto3

from statusboard.kinds import make_checks
from statusboard.demo.awsfront import AwsFront
from statusboard.scheduler import Scheduler
from statusboard.table import StateTable
from tests import aws


def board(targets, region="eu-west-1", timeout="5s", layout="hat"):
    return aws.board_of("cloudwatch", targets, region, timeout, layout)


def round_of(b):
    return aws.round_of(b, "cloudwatch")

REASON = ("Threshold Crossed: 1 out of the last 1 datapoints [950.0 (23/11/26 10:00:00)] was greater than the "
          "threshold (900.0).\nMore lines AWS adds that no pixel needs.")


def cloudwatch(region="eu-west-1"):
    return boto3.client("cloudwatch", region_name=region)


def alarm(client, name, state=None, reason="set by the test"):
    client.put_metric_alarm(AlarmName=name, MetricName="ConcurrentExecutions", Namespace="AWS/Lambda",
                            Statistic="Maximum", Period=60, EvaluationPeriods=1, Threshold=900,
                            ComparisonOperator="GreaterThanThreshold")
    if state:
        client.set_alarm_state(AlarmName=name, StateValue=state, StateReason=reason)


def test_metric_and_composite_alarms_by_name_prefix_and_list(cloud):
    client = cloudwatch()
    alarm(client, "lambda-concurrency", "ALARM", REASON)
    alarm(client, "api-5xx", "OK", "Threshold Crossed: no datapoints were greater than the threshold")
    alarm(client, "api-latency", "INSUFFICIENT_DATA", "Insufficient Data: 1 datapoint was unknown.")
    client.put_composite_alarm(AlarmName="api-health", AlarmRule='ALARM("api-5xx") OR ALARM("api-latency")')
    client.set_alarm_state(AlarmName="api-health", StateValue="OK", StateReason="no child in ALARM")
    statuses = round_of(board({"lambda": "lambda-concurrency", "latency": "{name: api-latency}",
                               "health": "{name: api-health}", "api": "{prefix: api-}",
                               "pair": "{names: [api-5xx, api-health]}", "ghost": "{name: nope}"}))()
    assert statuses["lambda"].state == "alarm"
    assert statuses["lambda"].detail.startswith("lambda-concurrency ALARM for ")
    assert statuses["lambda"].detail.endswith("was greater than the threshold (900.0)."), "the first line only"
    assert statuses["latency"].state == "insufficient-data"
    assert (statuses["health"].state, statuses["health"].detail.split(" for ")[0]) == ("ok", "api-health OK"), \
        "a composite alarm is a pixel like any other"
    assert statuses["api"].state == "insufficient-data", "the worst of three: not healthy"
    assert statuses["api"].detail.startswith("2 of 3 ok, 1 insufficient-data; api-latency INSUFFICIENT_DATA for ")
    assert (statuses["pair"].state, statuses["pair"].detail) == ("ok", "2 of 2 ok")
    assert (statuses["ghost"].state, statuses["ghost"].detail) == ("absent", "no alarm named nope in eu-west-1")


def test_a_state_change_shows_in_the_next_round(cloud):
    client = cloudwatch()
    alarm(client, "queue-depth", "OK", "fine")
    run = round_of(board({"queue": "queue-depth"}))
    assert run()["queue"].state == "ok"
    client.set_alarm_state(AlarmName="queue-depth", StateValue="ALARM", StateReason="Threshold Crossed")
    after = run()["queue"]
    assert after.state == "alarm" and after.detail.endswith(": Threshold Crossed")


def test_64_pixels_over_3_regions_ask_one_page_stream_per_region(cloud):
    regions = ("eu-west-1", "us-east-1", "ap-southeast-2")
    for region in regions:
        client = cloudwatch(region)
        for i in range(250):   # three pages of 100
            alarm(client, f"health-{region}-{i:03d}", "ALARM" if i == 7 else "OK", "checked")
    targets = {f"p{n}": f"{{name: health-{regions[n % 3]}-{n:03d}, region: {regions[n % 3]}}}" for n in range(63)}
    targets["all-west"] = "{prefix: health-eu-west-1-}"
    cloud.reset_counts()
    statuses = round_of(board(targets, timeout="10s"))()
    assert statuses["p7"].state == "alarm" and statuses["p8"].state == "ok"
    assert statuses["all-west"].state == "alarm" and statuses["all-west"].detail.startswith("249 of 250 ok, 1 alarm")
    asked = {region: cloud.regions[(region, "DescribeAlarms")] for region in regions}
    # eu-west-1 has names and a prefix: every alarm of the region, 3 pages; the others ask by name, 1 page.
    assert asked == {"eu-west-1": 3, "us-east-1": 1, "ap-southeast-2": 1}, asked


def test_access_denied_names_the_permission_and_throttling_keeps_the_last_state(cloud, monkeypatch):
    alarm(cloudwatch(), "lambda-concurrency", "ALARM", REASON)
    front = AwsFront(cloud.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL", front.url)
    try:
        b = board({"lambda": "lambda-concurrency"})
        table = StateTable(b.targets)
        sched = Scheduler(b.targets, make_checks(["cloudwatch"], aws=b.aws), table.record)
        sched.run_once()
        good = table.latest()["lambda"]
        assert good.state == "alarm"
        front.error = (400, "Throttling", "Rate exceeded")
        sched.run_once()
        kept = table.latest()["lambda"]
        assert kept.state == "alarm" and kept.detail.endswith("(throttled)") and kept.mono == good.mono
        assert table.status("lambda", kept.mono + b.targets[0].stale_after + 1).state == "stale"
        front.error = (400, "AccessDenied", "User: arn:aws:iam::123456789012:user/board is not authorized")
        sched.run_once()
        denied = table.latest()["lambda"]
        assert denied.state == "unknown"
        assert "needs cloudwatch:DescribeAlarms" in denied.detail, denied.detail
    finally:
        front.stop()


def test_no_credentials_and_a_silent_endpoint_are_unknown_in_time(cloud, monkeypatch, silent_port):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    statuses = round_of(board({"a": "lambda-concurrency"}))()
    assert statuses["a"].state == "unknown" and statuses["a"].detail.startswith("no AWS credentials found")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{silent_port}")
    run = round_of(board({"a": "lambda-concurrency"}, timeout="1s"))
    started = time.monotonic()
    statuses = run()
    took = time.monotonic() - started
    assert statuses["a"].state == "unknown"
    assert statuses["a"].detail == "no answer from the CloudWatch endpoint for eu-west-1 within 1 s"
    assert took < 3, f"a 1 s timeout took {took:.1f} s"
