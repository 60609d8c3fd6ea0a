"""EC2 against a real EC2 API: moto's server on 127.0.0.1, reached by boto3 through AWS_ENDPOINT_URL."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time

import boto3

from statusboard.kinds import make_checks
from statusboard.config import AwsSettings
from statusboard.demo.awsfront import AwsFront
from statusboard.scheduler import Scheduler
from statusboard.table import StateTable
from tests import aws
from tests.conftest import ROOT


def board(targets, region="eu-west-1", timeout=None, layout="hat"):
    return aws.board_of("ec2", targets, region, timeout, layout)


def round_of(b):
    return aws.round_of(b, "ec2")


def ec2(region="eu-west-1"):
    return boto3.client("ec2", region_name=region)


def test_300_instances_in_two_regions_one_request_per_region(cloud):
    west = aws.launch(ec2("eu-west-1"), 150, {"Role": "web"})
    east = aws.launch(ec2("us-east-1"), 150, {"Role": "batch"})
    targets = {f"w{i}": west[i] for i in range(20)}
    targets.update({f"e{i}": f"{{id: {east[i]}, region: us-east-1}}" for i in range(20)})
    targets["webs"] = "{tags: {Role: web}}"
    targets["batch"] = "{tags: {Role: batch}, region: us-east-1}"
    cloud.reset_counts()
    statuses = round_of(board(targets))()
    assert statuses["w0"].state == "running" and statuses["w0"].detail == f"{west[0]} running"
    assert statuses["e19"].state == "running"
    assert statuses["webs"].detail == "150 of 150 running" and statuses["batch"].detail == "150 of 150 running"
    assert cloud.regions == {("eu-west-1", "DescribeInstances"): 1, ("us-east-1", "DescribeInstances"): 1}


def test_state_changes_between_rounds(cloud):
    client = ec2()
    a, b, c = aws.launch(client, 3)
    client.create_tags(Resources=[c], Tags=[{"Key": "Name", "Value": "web-3"}])
    run = round_of(board({"a": a, "b": b, "web3": "{name: web-3}"}))
    assert [s.state for s in run().values()] == ["running", "running", "running"]
    client.stop_instances(InstanceIds=[a])
    client.terminate_instances(InstanceIds=[b, c])
    after = run()
    assert after["a"].state in ("stopping", "stopped")
    assert after["b"].state in ("shutting-down", "terminated")
    replacement = aws.launch(client, 1)[0]
    client.create_tags(Resources=[replacement], Tags=[{"Key": "Name", "Value": "web-3"}])
    client.start_instances(InstanceIds=[a])
    again = run()
    assert again["a"].state in ("pending", "running")
    assert (again["web3"].state, again["web3"].detail) == ("running", f"{replacement} running"), \
        "a Name selector follows the replacement, not the terminated instance"


def test_several_matches_show_the_worst_and_count(cloud):
    client = ec2()
    ids = aws.launch(client, 3, {"Role": "web", "Env": "prod"})
    client.stop_instances(InstanceIds=[ids[0]])
    statuses = round_of(board({"web": "{tags: {Role: web, Env: prod}}"}))()
    assert statuses["web"].state in ("stopped", "stopping")
    assert statuses["web"].detail in ("2 of 3 running, 1 stopped", "2 of 3 running, 1 stopping")


def test_an_id_that_does_not_exist_is_absent(cloud):
    aws.launch(ec2(), 1)
    statuses = round_of(board({"ghost": "i-0123456789abcdef0"}))()
    assert (statuses["ghost"].state, statuses["ghost"].detail) == \
        ("absent", "no instance i-0123456789abcdef0 in eu-west-1")


def test_status_checks_are_asked_only_when_wanted(cloud):
    ids = aws.launch(ec2(), 2)
    cloud.reset_counts()
    statuses = round_of(board({"a": f"{{id: {ids[0]}, status_checks: true}}", "b": ids[1]}))()
    assert statuses["a"].state == "running"
    assert cloud.calls == {"DescribeInstances": 1, "DescribeInstanceStatus": 1}


def test_no_credentials_says_where_boto3_looked(cloud, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    statuses = round_of(board({"a": "i-0123456789abcdef0", "b": "{name: web}"}))()
    for status in statuses.values():
        assert status.state == "unknown" and status.detail.startswith("no AWS credentials found (boto3 looked in")
    assert cloud.calls == {}


def test_aws_errors_are_unknown_with_the_code_and_logged_once(cloud, monkeypatch, caplog):
    front = AwsFront(cloud.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL", front.url)
    try:
        front.error = (403, "UnauthorizedOperation", "You are not authorized to perform this operation.")
        run = round_of(board({"a": "i-0123456789abcdef0", "b": "{name: web}"}))
        with caplog.at_level(logging.WARNING, logger="statusboard.kinds.ec2"):
            first, second = run(), run()
        assert first["a"].state == "unknown" and first["b"].state == "unknown"
        assert first["a"].detail == ("AWS error UnauthorizedOperation: the board's AWS identity needs "
                                     "ec2:DescribeInstances (README: the IAM policy)"), "names the missing permission"
        assert second["b"].detail == first["b"].detail
        warnings = [r for r in caplog.records if "UnauthorizedOperation" in r.getMessage()]
        assert len(warnings) == 1, "one line per (profile, region), not one per pixel per round"
    finally:
        front.stop()


def test_throttling_keeps_the_last_observation_until_it_goes_stale(cloud, monkeypatch):
    front = AwsFront(cloud.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL", front.url)
    try:
        (instance,) = aws.launch(ec2(), 1)
        b = board({"a": instance})
        table = StateTable(b.targets)
        sched = Scheduler(b.targets, make_checks(["ec2"], aws=b.aws), table.record)
        sched.run_once()
        good = table.status("a", time.monotonic())
        front.error = (503, "RequestLimitExceeded", "Request limit exceeded.")
        sched.run_once()
        latest = table.latest()["a"]
        assert latest.state == "running" and latest.detail == f"{instance} running (throttled)"
        assert latest.observed_at == good.checked_at, "the kept observation keeps its own time"
        later = table.status("a", latest.mono + b.targets[0].stale_after + 1)
        assert later.state == "stale"
    finally:
        front.stop()


def test_one_failing_group_never_blanks_another(cloud):
    (instance,) = aws.launch(ec2(), 1)
    statuses = round_of(board({"good": instance, "bad": "{name: web, profile: nosuchprofile}"}))()
    assert statuses["good"].state == "running"
    assert statuses["bad"].state == "unknown" and "profile 'nosuchprofile' not found" in statuses["bad"].detail


def test_a_board_without_ec2_never_loads_boto3(web):
    code = (
        "import sys, json; from statusboard.kinds import parse; from statusboard.daemon import Runner;"
        "from statusboard.display.registry import open_display;"
        f"b = parse(\"targets: {{a: {{pixel: [0, 0], http: 'http://127.0.0.1:{web.port}/ok'}}}}\");"
        "d = open_display('fake', b.display); r = Runner(b, d); s = r.once();"
        "print(json.dumps([s['a'].state, 'boto3' in sys.modules, 'botocore' in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert json.loads(done.stdout) == ["up", False, False], done.stderr


def test_one_conversation_per_profile_and_region_each_round(cloud):
    aws.launch(ec2(), 1)
    cloud.reset_counts()
    check = make_checks(["ec2"], aws=AwsSettings(region="eu-west-1"))["ec2"]
    b = board({"a": "{name: x}", "b": "{name: y}", "c": "{name: z, region: us-east-1}"})
    for _ in range(3):
        Scheduler(b.targets, {"ec2": check}, lambda obs: None).run_once()
    assert cloud.regions == {("eu-west-1", "DescribeInstances"): 3, ("us-east-1", "DescribeInstances"): 3}


def test_an_unreachable_endpoint_is_unknown_and_says_so(cloud, monkeypatch, refused_port):
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{refused_port}")
    statuses = round_of(board({"a": "i-0123456789abcdef0"}))()
    assert statuses["a"].state == "unknown"
    assert statuses["a"].detail.startswith("cannot reach the EC2 endpoint for eu-west-1: ")


def test_credentials_added_after_the_start_are_used_after_a_reload(cloud, tmp_path, monkeypatch):
    from statusboard.kinds import load
    from statusboard.daemon import Runner
    from statusboard.display.fake import FakeDisplay
    (instance,) = aws.launch(ec2(), 1)
    credentials = tmp_path / "credentials"
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))   # not there yet
    config = tmp_path / "config.yaml"
    config.write_text(f"aws: {{region: eu-west-1}}\ntargets: {{a: {{pixel: [0, 0], ec2: {instance}}}}}\n")
    b = load(str(config))
    runner = Runner(b, FakeDisplay(b.display))
    first = runner.once()["a"]
    assert first.state == "unknown" and first.detail.startswith("no AWS credentials found"), first
    credentials.write_text("[default]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    runner.reload()   # starts the new board's checks in the background
    try:
        assert runner.last_reload["ok"]
        end = time.monotonic() + 10
        while runner.draw()["a"].state != "running" and time.monotonic() < end:
            time.sleep(0.1)
        assert runner.draw()["a"].state == "running", "the reload made fresh AWS sessions, which read the file"
    finally:
        runner.scheduler.stop()


def test_a_credentials_file_that_is_a_fifo_is_refused_not_waited_on(cloud, tmp_path, monkeypatch):
    fifo = tmp_path / "credentials"
    os.mkfifo(fifo)   # nothing writes to it: botocore's open() would wait for ever
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(fifo))
    start = time.monotonic()
    statuses = round_of(board({"a": "{name: web}"}))()
    assert time.monotonic() - start < 10
    assert statuses["a"].state == "unknown"
    assert statuses["a"].detail == f"{fifo} is not a regular file (a pipe, socket or device): botocore cannot read it"
    assert cloud.calls == {}


def test_a_failing_credential_process_never_shows_what_it_printed(cloud, tmp_path, monkeypatch):
    script = tmp_path / "creds.sh"
    script.write_text("#!/bin/sh\necho 'token=hunter2-secret rejected' >&2\nexit 1\n")
    script.chmod(0o755)
    (tmp_path / "config").write_text(f"[profile ops]\ncredential_process = {script}\n")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    statuses = round_of(board({"a": "{name: web, profile: ops}"}))()
    assert statuses["a"].state == "unknown"
    assert "hunter2" not in statuses["a"].detail
    assert "credential_process failed" in statuses["a"].detail, statuses["a"].detail
