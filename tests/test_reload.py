"""Reload as systemd drives it: `statusboard reload` waits for the board's verdict; a refusal changes nothing,
stays in the status line until a good reload, and a missing library is a refusal, not a crash."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from tests.conftest import ROOT
from tests.test_service import start, state, stop, targets, wait_for

HIDE_BOTO3 = ("import sys; sys.modules['boto3'] = None; from statusboard.cli import main; "
              "sys.exit(main(sys.argv[1:]))")


def reload(python, pid: int) -> subprocess.CompletedProcess:
    return subprocess.run([*python, "reload", "--pid", str(pid), "--timeout", "20"], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=30)


def test_reload_says_whether_the_config_was_taken_and_the_refusal_stays_visible(tmp_path, web, python):
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify.sock"))
    notify.settimeout(10)
    config = tmp_path / "config.yaml"
    good = f"targets:\n  api: {{pixel: [0, 0], http: 'http://127.0.0.1:{web.port}/ok'}}\n"
    config.write_text(good)
    proc = start(config, tmp_path / "frames.jsonl", NOTIFY_SOCKET=str(tmp_path / "notify.sock"))
    try:
        wait_for(lambda: targets().get("api", {}).get("state") == "up", what="api up")
        config.write_text(good + "  bad: {pixel: [9, 9], ping: h}\n")
        refused = reload(python, proc.pid)
        assert refused.returncode == 1, refused.stderr
        assert "reload refused" in refused.stderr and "targets.bad.pixel" in refused.stderr
        statuses = []
        while not any("RELOAD REFUSED" in m for m in statuses):
            statuses.append(notify.recv(4096).decode())
        # Later status lines (results arriving) keep saying so until a good reload.
        wait_for(lambda: state().get("last_reload", {}).get("ok") is False, what="the refusal in the state file")
        assert targets()["api"]["state"] == "up" and proc.poll() is None

        config.write_text(good)
        taken = reload(python, proc.pid)
        assert taken.returncode == 0 and "reloaded" in taken.stdout, taken.stderr
        assert taken.stdout.rstrip().endswith(": 1 target"), taken.stdout   # before: "1 targets"
        line = ""
        while "READY=1" not in line or "RELOAD REFUSED" in line:   # older messages first; a timeout fails
            line = notify.recv(4096).decode()
        assert "STATUS=1 targets: 1 up" in line
    finally:
        stop(proc)
        notify.close()


def test_a_target_whose_library_is_missing_is_refused_and_the_board_runs_on(tmp_path, web):
    config = tmp_path / "config.yaml"
    good = f"targets:\n  api: {{pixel: [0, 0], http: 'http://127.0.0.1:{web.port}/ok'}}\n"
    config.write_text(good)
    proc = subprocess.Popen([sys.executable, "-c", HIDE_BOTO3, "run", "-c", str(config), "--display", "fake"],
                            cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        wait_for(lambda: targets().get("api", {}).get("state") == "up", what="api up")
        config.write_text(good + "  web-1: {pixel: [1, 0], ec2: i-0123456789abcdef0}\n")
        proc.send_signal(1)
        reloaded = wait_for(lambda: state().get("last_reload"), what="the reload's verdict")
        assert reloaded["ok"] is False
        assert any(":3: targets.web-1.ec2: ec2 targets need boto3, which is not installed" in p
                   for p in reloaded["problems"]), reloaded
        assert proc.poll() is None and targets()["api"]["state"] == "up"
    finally:
        errors = stop(proc)
    assert "Traceback" not in errors


def test_check_and_run_name_a_missing_library_with_its_line(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("targets:\n  lo: {pixel: [0, 0], ping: 127.0.0.1}\n  web-1: {pixel: [1, 0], ec2: i-0123456789abcdef0}\n")
    for command in (["check"], ["run", "--once", "--display", "fake"]):
        done = subprocess.run([sys.executable, "-c", HIDE_BOTO3, *command, "-c", str(config)], cwd=ROOT,
                              capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert done.returncode == 2, (command, done.stderr)
        assert f"{config}:3: targets.web-1.ec2: ec2 targets need boto3, which is not installed" in done.stderr
        assert "Traceback" not in done.stderr
