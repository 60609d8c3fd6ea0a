"""EC2 on a Pi Zero's budget: the board runs in a cgroup limited to 5 % of one core (as slow as a Pi Zero's ARM
core), where making an AWS client (botocore's service model) takes seconds. No EC2 pixel is `unknown` because
of it: the clients are made off the checks' critical path, at start and at a reload, and a check that waits for
its client has its whole timeout after it. moto's server runs outside the cgroup, on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator, List

import pytest

from tests import aws
from tests.cgroup import CpuGroup, cpu_group
from tests.conftest import ROOT

pytestmark = pytest.mark.slow   # a board at 5 % of a core: 20 s and more


@pytest.fixture
def slow_cgroup() -> Iterator[CpuGroup]:
    """A cgroup of 5 % of one core."""
    with cpu_group(5, "statusboard-test-aws") as group:
        yield group


def board_in(group: CpuGroup, args: List[str], **popen) -> subprocess.Popen:
    return subprocess.Popen(group.command([sys.executable, "-m", "statusboard", *args]), cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, **popen)


def config_of(tmp_path: Path, instance: str, interval: str) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(f"aws: {{region: eu-west-1}}\ntargets:\n"
                      f"  web: {{pixel: [0, 0], interval: {interval}, timeout: 5s, ec2: {instance}}}\n")
    return config


def test_run_once_on_a_pi_zeros_budget_shows_the_instance(cloud, tmp_path, slow_cgroup):
    import boto3
    instance = aws.launch(boto3.client("ec2", region_name="eu-west-1"), 1)[0]
    config = config_of(tmp_path, instance, "10s")
    proc = board_in(slow_cgroup, ["run", "--once", "--json", "--display", "fake", "-c", str(config)],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err
    web = json.loads(out)["targets"][0]
    assert (web["state"], web["detail"]) == ("running", f"{instance} running"), web


def test_a_reload_on_a_pi_zeros_budget_never_turns_the_pixel_unknown(cloud, tmp_path, slow_cgroup):
    from tests.test_service import state
    import boto3
    instance = aws.launch(boto3.client("ec2", region_name="eu-west-1"), 1)[0]
    config = config_of(tmp_path, instance, "6s")
    log = (tmp_path / "board.log").open("w")
    proc = board_in(slow_cgroup, ["run", "--display", "fake", "-c", str(config)], stderr=log)

    def web() -> dict:
        return next((t for t in state().get("targets", []) if t["name"] == "web"), {})
    try:
        end = time.monotonic() + 180
        while web().get("state") != "running":
            assert time.monotonic() < end and proc.poll() is None, f"never running: {web()}"
            assert web().get("state") != "unknown" or "waiting" in web().get("detail", ""), web()
            time.sleep(0.2)
        config_of(tmp_path, instance, "7s")   # a reload makes the AWS clients anew
        proc.send_signal(signal.SIGHUP)
        while not (state().get("last_reload") or {}).get("ok"):
            assert time.monotonic() < end, "the reload was not taken"
            time.sleep(0.2)
        checked = web().get("checked_at")
        later = time.monotonic() + 25   # the new runtime's first checks, with their new clients, and more
        seen = set()
        while time.monotonic() < later:
            seen.add((web().get("state"), web().get("detail"), web().get("checked_at")))
            time.sleep(0.2)
        assert {s for s, _, _ in seen} == {"running"}, seen
        assert any(at != checked for _, _, at in seen), "no check after the reload"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        finally:
            proc.kill()
            log.close()
