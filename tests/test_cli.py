"""The command line as a person uses it: real processes, real signals, exit codes and messages."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

def env():
    """The test's environment (with its private state directories) and the source on the path."""
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def run(python, *args, cwd=None, timeout=60):
    return subprocess.run([*python, *args], capture_output=True, text=True, cwd=cwd or ROOT, env=env(),
                          timeout=timeout)


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return str(path)


def test_a_config_path_with_control_characters_is_shown_escaped(python, tmp_path):
    """A file named with an escape and a newline: check's verdict and the board's title show them as \\x1b."""
    path = tmp_path / "evil\x1b[2J\nname.yaml"
    path.write_text("targets:\n  a: {pixel: [0, 0], http: 'http://127.0.0.1:9/'}\n")
    done = run(python, "check", "-c", str(path))   # before: the path raw, clearing the reader's screen
    assert done.returncode == 0 and "\x1b" not in done.stdout, done.stdout
    assert done.stdout.startswith(f"{tmp_path}/evil\\x1b[2J\\x0aname.yaml: OK, "), done.stdout
    once = run(python, "run", "--once", "--display", "terminal", "-c", str(path))
    assert once.returncode == 0 and "\x1b" not in once.stdout and "evil\\x1b[2J" in once.stdout, once.stdout


def test_check_prints_the_layout(python):
    done = run(python, "check", "-c", "config.yaml")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("config.yaml: OK, ")
    grid = done.stdout.splitlines()
    assert any(line.startswith("0   web-1") for line in grid)
    assert "[3,0] router" in done.stdout


def test_check_lists_every_problem_with_place_and_no_traceback(python, tmp_path):
    path = write(tmp_path, "display: {rotation: 45}\ntargets:\n  a: {pixel: [9, 0], ping: h}\n"
                           "  b: {pixel: [1, 0], http: 'nope', intervall: 3s}\n")
    done = run(python, "check", "-c", path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "4 problems in the config" in done.stderr
    for where in (":1: display.rotation", ":3: targets.a.pixel", ":4: targets.b.http", ":4: targets.b.intervall"):
        assert f"{path}{where}" in done.stderr, done.stderr


def test_missing_config_is_a_clear_message(python, tmp_path):
    done = run(python, "check", cwd=tmp_path)
    if Path("/etc/statusboard/config.yaml").exists():
        pytest.skip("this machine has /etc/statusboard/config.yaml, which -c defaults to")
    assert done.returncode == 2 and "config.yaml: file not found" in done.stderr


def test_run_once_json(python, tmp_path, web, refused_port):
    path = write(tmp_path, f"""
defaults: {{timeout: 2s}}
targets:
  api:    {{pixel: [2, 0], http: 'http://127.0.0.1:{web.port}/ok'}}
  broken: {{pixel: [3, 0], http: 'http://127.0.0.1:{web.port}/fail'}}
  closed: {{pixel: [4, 0], http: 'http://127.0.0.1:{refused_port}/'}}
  lo:     {{pixel: [0, 1], ping: 127.0.0.1}}
""")
    done = run(python, "run", "--once", "--json", "--display", "fake", "-c", path)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    got = {t["name"]: t for t in doc["targets"]}
    assert got["api"]["pixel"] == [2, 0] and got["api"]["kind"] == "http"
    assert (got["api"]["state"], got["api"]["severity"], got["api"]["colour"]) == ("up", "ok", [0, 255, 0])
    assert got["broken"]["state"] == "down" and got["broken"]["detail"].startswith("HTTP 500 in ")
    assert (got["closed"]["state"], got["closed"]["detail"]) == ("down", "connection refused")
    assert got["lo"]["state"] in ("up", "unknown")
    assert got["api"]["checked_at"].endswith("Z")


def test_json_needs_once(python):
    done = run(python, "run", "--json", "-c", "config.yaml")
    assert done.returncode == 2 and "--json goes with --once" in done.stderr


def test_unknown_display_and_missing_hat_are_clear(python, tmp_path):
    path = write(tmp_path, "targets: {a: {pixel: [0, 0], http: 'http://127.0.0.1:9/'}}\n")
    wrong = run(python, "run", "--once", "--display", "lcd", "-c", path)
    assert wrong.returncode == 2 and "choose one of unicornhat, unicornhathd, unicornhatmini, terminal, window, fake" in wrong.stderr
    hat = run(python, "run", "--once", "-c", path)   # the config's default display: the real HAT
    assert hat.returncode == 3 and "Traceback" not in hat.stderr
    assert "statusboard: " in hat.stderr and "--display terminal" in hat.stderr


def test_sigterm_turns_every_led_off_and_exits_promptly_with_a_hung_check(python, tmp_path, web, silent_port):
    record = tmp_path / "frames.jsonl"
    path = write(tmp_path, f"""
display: {{driver: fake, layout: phat}}
targets:
  api:  {{pixel: [0, 0], interval: 1s, timeout: 1s, http: 'http://127.0.0.1:{web.port}/ok'}}
  hung: {{pixel: [1, 0], interval: 30s, timeout: 25s, http: 'http://127.0.0.1:{silent_port}/'}}
""")
    proc = subprocess.Popen([*python, "run", "-c", path, "--record", str(record)], cwd=ROOT, env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            lines = record.read_text().splitlines() if record.exists() else []
            if lines and json.loads(lines[-1])["pixels"][0][0] == [0, 255, 0]:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the board never showed the api pixel green")
        start = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=10)
        took = time.monotonic() - start
    finally:
        proc.kill()
        proc.wait()
    assert code == 0, proc.stderr.read()
    assert took < 2.0
    last = json.loads(record.read_text().splitlines()[-1])
    assert all(px == [0, 0, 0] for row in last["pixels"] for px in row)


def test_run_whose_reader_goes_away_says_why_turns_the_leds_off_and_exits_1(python, tmp_path, silent_port):
    """`statusboard run | head -1`: one line on stderr, the all-off frame of a clean stop, exit 1 (not asked)."""
    record = tmp_path / "frames.jsonl"
    # Each hung check's timeout changes its pixel 3 s and 8 s after the first frame: changes to write to the pipe
    # once it is closed (the second one, should this test be too slow to close it within 3 s).
    path = write(tmp_path, f"targets:\n  hung: {{pixel: [0, 0], interval: 30s, timeout: 3s, "
                           f"http: 'http://127.0.0.1:{silent_port}/'}}\n"
                           f"  later: {{pixel: [1, 0], interval: 30s, timeout: 8s, "
                           f"http: 'http://127.0.0.1:{silent_port}/'}}\n")
    proc = subprocess.Popen([*python, "run", "-c", path, "--display", "terminal", "--record", str(record)],
                            cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline(), "the board wrote its first frame"
        proc.stdout.close()   # what head -1 does
        code = proc.wait(timeout=30)
        err = proc.stderr.read()
    finally:
        proc.kill()
        proc.wait()
    assert "Traceback" not in err and "Exception ignored" not in err, err
    said = [line for line in err.splitlines() if line.startswith("statusboard: ")]
    assert said == ["statusboard: stopping: the reader of its output went away (stdout was closed)"], err
    assert code == 1, err   # before: 0, silently, as if it had been asked to stop
    last = json.loads(record.read_text().splitlines()[-1])
    assert all(px == [0, 0, 0] for row in last["pixels"] for px in row), "the LEDs go off as on SIGTERM"
