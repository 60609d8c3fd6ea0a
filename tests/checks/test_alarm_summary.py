"""Pure CloudWatch logic: the request one region's alarm pixels need, and each pixel's state and detail."""

from __future__ import annotations

from statusboard.kinds.cloudwatch import Alarm, age, request, summarise
from statusboard.kinds.cloudwatch import AlarmSpec

NOW = 1_800_000_000.0


def test_one_request_per_region_whatever_the_selectors():
    assert request([AlarmSpec(name="b"), AlarmSpec(names=("a", "b"))])["AlarmNames"] == ["a", "b"]
    assert request([AlarmSpec(prefix="api-"), AlarmSpec(prefix="api-")])["AlarmNamePrefix"] == "api-"
    assert request([AlarmSpec(prefix="api-"), AlarmSpec(names=("api-5xx", "api-latency"))])["AlarmNamePrefix"] \
        == "api-", "names and a prefix they share: that prefix"
    every = request([AlarmSpec(prefix="api-"), AlarmSpec(name="x")])
    assert "AlarmNames" not in every and "AlarmNamePrefix" not in every, "nothing shared: every alarm"
    many = request([AlarmSpec(name=f"b{i}") for i in range(101)])
    assert "AlarmNames" not in many and many["AlarmNamePrefix"] == "b", "AWS takes at most 100 names"
    assert all(r["AlarmTypes"] == ["CompositeAlarm", "MetricAlarm"] for r in (every, many)), "composites too"


def test_the_age_is_counted_on_aws_time_not_the_local_clock():
    alarms = [Alarm("cpu", "alarm", "Threshold Crossed", NOW - 720)]
    assert summarise(AlarmSpec(name="cpu"), alarms, NOW, "eu-west-1") == \
        ("alarm", "cpu ALARM for 12 min: Threshold Crossed")
    assert summarise(AlarmSpec(name="cpu"), alarms, NOW - 3600, "eu-west-1")[1].startswith("cpu ALARM for 0 s"), \
        "a change AWS dates after the answer is never a negative age"
    assert [age(s) for s in (40, 720, 3 * 3600, 3 * 86400)] == ["40 s", "12 min", "3 h", "3 days"]


def test_the_worst_wins_and_the_detail_counts():
    alarms = [Alarm("api-a", "ok", "", NOW), Alarm("api-b", "insufficient-data", "no data", NOW - 60),
              Alarm("api-c", "alarm", "old", NOW - 600), Alarm("api-d", "alarm", "new", NOW - 30)]
    state, detail = summarise(AlarmSpec(prefix="api-"), alarms, NOW, "eu-west-1")
    assert state == "alarm"
    assert detail == "1 of 4 ok, 2 alarm, 1 insufficient-data; api-d ALARM for 30 s: new", "the latest change first"


def test_a_named_alarm_that_does_not_exist_is_absent():
    alarms = [Alarm("a", "ok", "", NOW)]
    assert summarise(AlarmSpec(names=("a", "gone")), alarms, NOW, "us-east-1") == \
        ("absent", "1 of 2 ok, 1 absent: no alarm named gone in us-east-1")
    assert summarise(AlarmSpec(prefix="z"), alarms, NOW, "us-east-1") == \
        ("absent", "no alarm starting with z in us-east-1")
