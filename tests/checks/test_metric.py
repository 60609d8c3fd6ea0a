"""CloudWatch metrics against a real CloudWatch API: moto's server on 127.0.0.1, reached through AWS_ENDPOINT_URL
(tests/aws.py adds GetMetricData's 500-query limit and metric math, which moto lacks)."""

from __future__ import annotations

import dataclasses
import time
from datetime import datetime, timezone

import boto3
import pytest

from statusboard.errors import ConfigError
from statusboard.demo.awsfront import AwsFront
from statusboard.kinds import make_checks
from tests import aws
from tests.conftest import board_from


def board(targets, region="eu-west-1", timeout="5s", layout="hat"):
    return aws.board_of("metric", targets, region, timeout, layout)


def round_of(b):
    return aws.round_of(b, "metric")

LAMBDA = "namespace: AWS/Lambda, name: ConcurrentExecutions, stat: Maximum"
LIMIT = "above: {warn: 800, critical: 950}, unit: 'of 1,000'"


def cloudwatch(region="eu-west-1"):
    return boto3.client("cloudwatch", region_name=region)


def minute_end() -> float:
    """The end of the window the next round asks for (the last whole minute), away from a minute's turn."""
    if time.time() % 60 > 55:
        time.sleep(60 - time.time() % 60 + 0.1)
    return (time.time() // 60) * 60


def put(client, name, value, at, namespace="AWS/Lambda", dims=None):
    client.put_metric_data(Namespace=namespace, MetricData=[{
        "MetricName": name, "Value": value, "Timestamp": datetime.fromtimestamp(at, timezone.utc),
        "Dimensions": [{"Name": k, "Value": v} for k, v in (dims or {}).items()]}])


def test_a_metric_climbs_through_its_thresholds_and_a_missing_one_is_no_data(cloud):
    client = cloudwatch()
    end = minute_end()
    put(client, "ConcurrentExecutions", 512, end - 150)
    run = round_of(board({"lambda": f"{{{LAMBDA}, {LIMIT}}}",
                          "typo": "{namespace: AWS/Lambda, name: ConcurrentExecution, above: {critical: 1}}"}))
    first = run()
    assert (first["lambda"].state, first["lambda"].detail) == ("ok", "512 of 1,000")
    assert first["typo"].state == "no-data"
    assert first["typo"].detail == (
        "no point in the last 5 min: the metric has no data, or no such metric (names and dimensions are "
        "case-sensitive; see aws cloudwatch list-metrics --namespace AWS/Lambda --metric-name "
        "ConcurrentExecution)")
    put(client, "ConcurrentExecutions", 812, end - 90)
    assert (run()["lambda"].state, run()["lambda"].detail) == ("warning", "812 of 1,000 (over warning 800 of 1,000)")
    put(client, "ConcurrentExecutions", 990, end - 100)   # the same minute: its Maximum is now 990
    assert run()["lambda"].detail == "990 of 1,000 (over critical 950 of 1,000)"
    assert run()["lambda"].state == "critical"


def test_the_unfinished_period_is_not_judged_and_a_floor_is_crossed_below(cloud):
    client = cloudwatch()
    end = minute_end()
    dims = {"Channel": "main-stage"}
    put(client, "IngestVideoBitrate", 3000, end - 90, "AWS/IVS", dims)
    put(client, "IngestVideoBitrate", 10, max(time.time(), end + 0.5), "AWS/IVS", dims)   # this minute: unfinished
    spec = ("{namespace: AWS/IVS, name: IngestVideoBitrate, dimensions: {Channel: main-stage}, "
            "below: {warn: 2000, critical: 1000}, unit: kbit/s}")
    run = round_of(board({"ingest": spec}))
    assert (run()["ingest"].state, run()["ingest"].detail) == ("ok", "3,000 kbit/s")
    put(client, "IngestVideoBitrate", 1843, end - 80, "AWS/IVS", dims)
    # Average of 3,000 and 1,843 within that minute.
    assert (run()["ingest"].state, run()["ingest"].detail) == ("ok", "2,421.5 kbit/s")
    put(client, "IngestVideoBitrate", 0, end - 70, "AWS/IVS", dims)
    got = run()["ingest"]
    assert (got.state, got.detail) == ("warning", "1,614.33 kbit/s (under warning 2,000 kbit/s)")


def test_metric_math_and_one_refused_expression_leaves_the_rest_of_the_batch(cloud):
    client = cloudwatch()
    end = minute_end()
    put(client, "Errors", 3, end - 90, dims={"FunctionName": "api"})
    put(client, "Invocations", 200, end - 90, dims={"FunctionName": "api"})
    metrics = ("{m1: {namespace: AWS/Lambda, name: Errors, dimensions: {FunctionName: api}}, "
               "m2: {namespace: AWS/Lambda, name: Invocations, dimensions: {FunctionName: api}}}")
    cloud.reset_counts()
    statuses = round_of(board({
        "errors": f"{{expression: 'm1 / m2 * 100', metrics: {metrics}, stat: Sum, above: {{warn: 1, critical: 5}},"
                  " unit: '%'}",
        "broken": f"{{expression: 'm1 / / m2', metrics: {metrics}, above: {{warn: 1}}}}",
        "lambda": f"{{namespace: AWS/Lambda, name: Errors, dimensions: {{FunctionName: api}}, stat: Sum, {LIMIT}}}",
    }))()
    assert (statuses["errors"].state, statuses["errors"].detail) == ("warning", "1.5 % (over warning 1 %)")
    assert statuses["broken"].state == "unknown"
    assert statuses["broken"].detail.startswith("CloudWatch refused it (ValidationError): Error in expression")
    assert (statuses["lambda"].state, statuses["lambda"].detail) == ("ok", "3 of 1,000")
    # The batch was refused as a whole, then asked target by target.
    assert cloud.calls["GetMetricData"] == 4


def test_64_pixels_over_2_regions_ask_one_request_per_region_and_600_ask_two(cloud):
    regions = ("eu-west-1", "us-east-1")
    end = minute_end()
    for region in regions:
        client = cloudwatch(region)
        for i in range(32):
            put(client, "ConcurrentExecutions", 10 * i, end - 90, dims={"FunctionName": f"fn-{i}"})
    targets = {f"p{n}": (f"{{namespace: AWS/Lambda, name: ConcurrentExecutions, dimensions: {{FunctionName: "
                         f"fn-{n // 2}}}, region: {regions[n % 2]}, above: {{critical: 300}}}}") for n in range(64)}
    b = board(targets, timeout="10s")
    cloud.reset_counts()
    statuses = round_of(b)()
    assert statuses["p0"].detail == "0" and statuses["p63"].detail == "310 (over critical 300)"
    assert statuses["p63"].state == "critical"
    assert {r: cloud.regions[(r, "GetMetricData")] for r in regions} == {"eu-west-1": 1, "us-east-1": 1}
    # 600 pixels of one region (more than any board holds: as a check's batch) need two requests of 500.
    west = [t for t in b.targets if t.spec.region == "eu-west-1"]
    many = [dataclasses.replace(west[n % 32], name=f"m{n}") for n in range(600)]
    check = make_checks(["metric"], aws=b.aws)["metric"]
    cloud.reset_counts()
    seen = check.observe_batch(many, time.monotonic() + 20)
    assert cloud.calls["GetMetricData"] == 2
    assert [o.detail for o in seen[:3]] == ["0", "10", "20"] and seen[599].detail == "230"   # fn-(599 % 32)


def test_access_denied_names_get_metric_data(cloud, monkeypatch):
    front = AwsFront(cloud.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL", front.url)
    try:
        front.error = (400, "AccessDenied", "User: arn:aws:iam::123456789012:user/board is not authorized")
        got = round_of(board({"lambda": f"{{{LAMBDA}, {LIMIT}}}"}))()["lambda"]
        assert got.state == "unknown" and "needs cloudwatch:GetMetricData" in got.detail, got.detail
    finally:
        front.stop()


@pytest.mark.parametrize("spec, where, message", [
    (f"{{{LAMBDA}, below: {{warn: 1}}, above: {{warn: 2}}}}", "targets.m.metric.below",
     "give the thresholds in one direction"),
    (f"{{{LAMBDA}, period: 5m, window: 1m, {LIMIT}}}", "targets.m.metric.window",
     "the window (60 s) is shorter than the period (300 s)"),
    (f"{{{LAMBDA}, period: 45s, {LIMIT}}}", "targets.m.metric.period", "CloudWatch takes a period of 1s, 5s"),
    ("{namespace: AWS/Lambda, name: Errors, stat: p999x, above: {warn: 1}}", "targets.m.metric.stat", "an extended one like p99"),
    (f"{{{LAMBDA}, above: {{warn: ten}}}}", "targets.m.metric.above.warn", "expected a number"),
    (f"{{{LAMBDA}, expression: 'm1', {LIMIT}}}", "targets.m.metric", "give either name"),
    (f"{{expression: 'SUM(METRICS())', metrics: {{m1: {{{LAMBDA}}}}}, {LIMIT}}}", "targets.m.metric.expression",
     "METRICS() cannot be used here"),
    (f"{{expression: 'm1', metrics: {{M1: {{{LAMBDA}}}}}, {LIMIT}}}", "targets.m.metric.metrics.M1",
     "a metric id starts with a small letter"),
])
def test_a_bad_metric_is_refused_with_its_place(spec, where, message):
    with pytest.raises(ConfigError) as err:
        board_from(f"targets:\n  m:\n    pixel: [0, 0]\n    metric: {spec}\n")
    problems = [p for p in err.value.problems if p.where == where]
    assert problems and message in problems[0].message, err.value.problems
    assert problems[0].line == 4 and problems[0].file == "test.yaml"
