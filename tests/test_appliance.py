"""The appliance as a user meets it: a fresh Debian booted with systemd in a container, install.sh with the
shipped sample, a board with HTTP, ping and EC2 targets, refused and good reloads, stop, a second install and
uninstall. On Bookworm and Bullseye (the bases of Raspberry Pi OS); loopback only."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Dict, Iterator

import pytest

from tests import container
from tests.conftest import ROOT, wait_for

REASON = container.why_not()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(REASON is not None, reason=REASON or "")]
SB = "/opt/statusboard/bin/statusboard"


@pytest.fixture(params=["bookworm", "bullseye"])
def box(request, tmp_path: Path) -> Iterator[container.Container]:
    try:
        wheels = container.wheels(request.param)
        booted = container.Container(request.param, tmp_path)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"this machine cannot boot a {request.param} container: {exc}")
    try:
        ignore = shutil.ignore_patterns(".git", ".venv", "__pycache__", ".pytest_cache", "*.egg-info", "build")
        shutil.copytree(ROOT, booted.root / "root/statusboard", ignore=ignore, symlinks=True)
        booted.copy_in(wheels, "/root/wheels")
        yield booted
    finally:
        booted.close()


def board_config(http_port: int, extra: str = "") -> str:
    return textwrap.dedent(f"""\
        display: {{driver: fake}}
        defaults: {{interval: 3s, timeout: 2s}}
        aws: {{region: eu-west-1}}
        targets:
          web:   {{pixel: [0, 0], http: 'http://127.0.0.1:{http_port}/ok'}}
          lo:    {{pixel: [1, 0], ping: 127.0.0.1}}
          web-1: {{pixel: [2, 0], ec2: {{name: web-1}}}}
        """) + extra


def test_install_run_reload_stop_reinstall_uninstall(box: container.Container):
    sh = box.sh
    # 1. The README's "On the Pi", word for word: the shipped sample, where no HAT can work.
    first = sh("cd /root/statusboard && ./install.sh --wheels /root/wheels", check=False, timeout=900)
    out = first.stdout + first.stderr
    assert first.returncode == 0, out
    assert "Unicorn HAT driver: skipped: this is not a Raspberry Pi" in out
    assert "the service did not start: " in out and "not a Raspberry Pi" in out, out
    assert "Edit your board:" in out, "the summary and next steps always come"
    assert sh(f"{SB} check -c /etc/statusboard/config.yaml", check=False).returncode == 0, "boto3 is installed"
    # A permanent error does not loop: exit 3 stops the unit, and its status line says why.
    # A unit systemd will restart waits in "activating (auto-restart)"; one it gave up on is "failed".
    wait_for(lambda: sh("systemctl show -p ActiveState --value statusboard", check=False).stdout.strip() == "failed",
             timeout=30, what="the unit failed, not waiting to restart")
    shown = sh("systemctl show -p NRestarts -p ActiveState --value statusboard", check=False).stdout.split()
    assert shown == ["0", "failed"], shown
    assert "not a Raspberry Pi" in sh("systemctl status statusboard", check=False).stdout

    # 2. A real board: HTTP, ping and EC2 (moto's server) on the container's own loopback, on the fake display.
    world = box.in_network([sys.executable, "-m", "tests.appliance_world"], cwd=ROOT, text=True,
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        where: Dict[str, object] = json.loads(world.stdout.readline())
        config = box.root / "etc/statusboard/config.yaml"
        config.write_text(board_config(where["http"]))
        dropin = box.root / "etc/systemd/system/statusboard.service.d/test.conf"
        dropin.parent.mkdir(parents=True, exist_ok=True)
        dropin.write_text(f"[Service]\nEnvironment=AWS_ENDPOINT_URL={where['aws']} AWS_ACCESS_KEY_ID=testing "
                          "AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true\n")
        sh("systemctl daemon-reload && systemctl restart statusboard")

        def states() -> Dict[str, str]:
            got = sh(f"{SB} status --json", check=False)
            try:
                return {t["name"]: t["state"] for t in json.loads(got.stdout)["targets"]}
            except (ValueError, KeyError):
                return {}
        wait_for(lambda: states() == {"web": "up", "lo": "up", "web-1": "running"}, timeout=90,
                 what="web up, lo up, web-1 running")

        # 3. A refused reload fails, says why, and stays visible; the board runs on.
        config.write_text(board_config(where["http"], "  bad: {pixel: [9, 9], ping: 127.0.0.1}\n"))
        refused = sh("systemctl reload statusboard", check=False)
        assert refused.returncode != 0
        assert sh("systemctl is-active statusboard", check=False).stdout.strip() == "active"
        assert "RELOAD REFUSED" in sh("systemctl status statusboard", check=False).stdout
        assert "FAILED, still running on the config before it" in sh(f"{SB} status", check=False).stdout
        assert states()["web"] == "up"
        # 4. A good reload takes, and the refusal is gone.
        config.write_text(board_config(where["http"], "  lo2: {pixel: [3, 0], ping: 127.0.0.1}\n"))
        sh("systemctl reload statusboard")
        assert "RELOAD REFUSED" not in sh("systemctl status statusboard", check=False).stdout
        wait_for(lambda: states().get("lo2") == "up", timeout=90, what="lo2 up")
        # 4b. The README's second step: discover puts the fleet on the free pixels and reloads the service.
        keys = f"AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_ENDPOINT_URL={where['aws']}"
        sh(f"{keys} /opt/statusboard/bin/python -c \"import boto3; boto3.client('ec2', region_name='eu-west-1')"
           ".run_instances(ImageId='ami-12c6146b', MinCount=1, MaxCount=1, TagSpecifications=[{'ResourceType': "
           "'instance', 'Tags': [{'Key': 'Name', 'Value': 'web-2'}]}])\"")
        before = config.read_bytes()
        found = sh(f"{keys} AWS_EC2_METADATA_DISABLED=true {SB} discover ec2 --apply", check=False)
        assert found.returncode == 0, found.stdout + found.stderr
        assert "1 on the board already, not added again: web-1" in found.stdout
        assert "reloaded /etc/statusboard/config.yaml: 5 targets" in found.stdout
        assert config.read_bytes().startswith(before) and b"  web-2: {pixel: [4, 0], ec2: {name: web-2}}" in \
            config.read_bytes()
        wait_for(lambda: states().get("web-2") == "running", timeout=90, what="web-2 running")
        # 5. Stop: promptly, and `status` says no board runs.
        began = time.monotonic()
        sh("systemctl stop statusboard")
        assert time.monotonic() - began < 10
        assert sh(f"{SB} status", check=False).returncode == 1
    finally:
        world.stdin.close()
        world.wait(timeout=30)

    # 6. A second install changes nothing; uninstall keeps the config.
    again = sh("cd /root/statusboard && ./install.sh --wheels /root/wheels", check=False, timeout=900)
    assert again.returncode == 0 and "nothing to change" in again.stdout, again.stdout + again.stderr
    gone = sh("cd /root/statusboard && ./install.sh --uninstall", check=False)
    assert gone.returncode == 0, gone.stderr
    assert not (box.root / "opt/statusboard").exists()
    assert not (box.root / "etc/systemd/system/statusboard.service").exists()
    assert (box.root / "etc/statusboard/config.yaml").exists()
