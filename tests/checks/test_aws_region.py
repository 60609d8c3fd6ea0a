"""AWS targets with no region anywhere: the log line and `check` say so, and how to set one."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

from tests import aws
from tests.conftest import ROOT, board_from


def no_region_board(kind: str = "ec2", spec: str = "i-0123456789abcdef0"):
    return board_from(f"targets:\n  a: {{pixel: [0, 0], {kind}: '{spec}'}}\n")


def test_the_log_line_says_no_region_is_set_and_how_to_set_one(cloud, monkeypatch, caplog):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with caplog.at_level(logging.WARNING, logger="statusboard.kinds.ec2"):
        status = aws.round_of(no_region_board(), "ec2")()["a"]
    assert status.state == "unknown" and "aws.region in config.yaml" in status.detail, status.detail
    lines = [r.getMessage() for r in caplog.records if r.name == "statusboard.kinds.ec2"]
    assert lines, "one line says why the EC2 pixels are unknown"
    assert "region default" not in lines[0], lines[0]   # before: "EC2 (profile default, region default): ..."
    assert lines[0].startswith("EC2 (profile default, no region set): no AWS region found: set aws.region in "
                               "config.yaml, or AWS_DEFAULT_REGION"), lines[0]


def test_the_log_line_names_the_region_taken_from_the_environment(cloud, monkeypatch, caplog):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with caplog.at_level(logging.WARNING, logger="statusboard.kinds.ec2"):
        aws.round_of(no_region_board(), "ec2")()
    lines = [r.getMessage() for r in caplog.records if r.name == "statusboard.kinds.ec2"]
    assert lines and lines[0].startswith("EC2 (profile default, region eu-central-1): no AWS credentials"), lines


def check(path, environ):
    return subprocess.run([sys.executable, "-m", "statusboard", "check", "-c", str(path)], capture_output=True,
                          text=True, cwd=ROOT, env={**environ, "PYTHONPATH": str(ROOT)}, timeout=60)


def test_check_warns_about_aws_targets_no_region_reaches(cloud, tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("targets:\n"
                    "  web:   {pixel: [0, 0], ec2: {name: web}}\n"
                    "  alarm: {pixel: [1, 0], cloudwatch: ALARM}\n"
                    "  live:  {pixel: [2, 0], ivs: studio}\n"
                    "  lat:   {pixel: [3, 0], metric: {namespace: AWS/Lambda, name: Duration, region: us-east-1,"
                    " above: {warn: 1, critical: 2}}}\n"
                    "  ping:  {pixel: [4, 0], ping: 127.0.0.1}\n")
    environ = {k: v for k, v in os.environ.items() if k != "AWS_DEFAULT_REGION"}
    done = check(path, environ)
    assert done.returncode == 0, done.stderr   # a warning, not an error
    warnings = [line for line in done.stdout.splitlines() if line.startswith("warning: ")]
    assert warnings == ["warning: AWS targets web, alarm, live (profile default): no AWS region found: set "
                        "aws.region in config.yaml, or AWS_DEFAULT_REGION (or region in the profile's section of "
                        "~/.aws/config); they would show unknown"], done.stdout


def test_check_finds_the_region_in_the_environment_or_the_aws_config(cloud, tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("targets:\n  web: {pixel: [0, 0], ec2: {name: web, profile: lab}}\n")
    bare = {k: v for k, v in os.environ.items() if k != "AWS_DEFAULT_REGION"}
    assert "warning: AWS target web (profile lab): no AWS region found" in check(path, bare).stdout
    assert "warning" not in check(path, {**bare, "AWS_DEFAULT_REGION": "eu-west-1"}).stdout
    config = tmp_path / "aws-config"
    config.write_text("[profile lab]\nregion = eu-north-1\n")
    assert "warning" not in check(path, {**bare, "AWS_CONFIG_FILE": str(config)}).stdout
