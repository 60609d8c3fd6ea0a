"""Memory over reloads: a board with EC2 and CloudWatch targets (whose AWS sessions and clients a reload makes
anew) and MQTT, against moto's server and a real Mosquitto on 127.0.0.1, reloaded 100 times."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import aws
from tests.broker import Mosquitto
from tests.conftest import ROOT
from tests.test_service import state, wait_for

pytestmark = pytest.mark.slow   # 100 reloads of a real board: a minute or two


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_memory_after_100_reloads_is_within_20_mb_of_after_10(cloud, tmp_path):
    import boto3
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    ids = aws.launch(ec2, 2)
    broker = Mosquitto(tmp_path)
    config = tmp_path / "config.yaml"

    def text(n: int) -> str:   # each reload changes the intervals and the MQTT client id (a new link)
        return (f"aws: {{region: eu-west-1}}\n"
                f"mqtt: {{url: 'mqtt://127.0.0.1:{broker.port}', board: mem, client_id: mem-{n % 2}}}\n"
                f"defaults: {{interval: {10 + n % 2}s, timeout: 5s}}\ntargets:\n"
                f"  a: {{pixel: [0, 0], ec2: {ids[0]}}}\n  b: {{pixel: [1, 0], ec2: {ids[1]}}}\n"
                f"  c: {{pixel: [2, 0], cloudwatch: {{name: api-errors}}}}\n"
                f"  d: {{pixel: [3, 0], metric: {{namespace: AWS/EC2, name: CPUUtilization, above: {{critical: 90}}}}}}\n")

    config.write_text(text(0))
    log = (tmp_path / "board.log").open("w")   # a pipe nobody reads would fill up and stop the board
    proc = subprocess.Popen([sys.executable, "-m", "statusboard", "run", "-c", str(config), "--display", "fake"],
                            cwd=ROOT, stderr=log, env={**os.environ, "PYTHONPATH": str(ROOT)})
    seen = {}
    try:
        wait_for(lambda: {t["name"]: t["state"] for t in state().get("targets", [])}.get("a") == "running",
                 timeout=60, what="EC2 checked")
        for n in range(1, 101):
            config.write_text(text(n))
            proc.send_signal(signal.SIGHUP)
            wait_for(lambda: (state().get("last_reload") or {}).get("n") == n, timeout=60, what=f"reload {n}")
            assert state()["last_reload"]["ok"], state()["last_reload"]
            if n in (10, 100):
                time.sleep(1.0)   # the new runtime's first checks (new clients) have run
                seen[n] = resident_mb(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        finally:
            proc.kill()
            log.close()
            broker.stop()
    errors = (tmp_path / "board.log").read_text()
    assert "Traceback" not in errors
    print("resident MB after 10 and 100 reloads:", seen)
    assert seen[100] - seen[10] <= 20, seen
