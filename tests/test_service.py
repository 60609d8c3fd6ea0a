"""The board as a service: real processes and signals: reload, notify, the state file, kept observations."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests import servers
from tests.conftest import ROOT, wait_for  # noqa: F401 - test_reload takes it from here


def start(config: Path, record: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "statusboard", "run", "-c", str(config), "--display", "fake",
                             "--record", str(record)], cwd=ROOT, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT), **env})


def state_file() -> Path:
    return Path(os.environ["RUNTIME_DIRECTORY"]) / "state.json"


def state() -> dict:
    try:
        return json.loads(state_file().read_text())
    except (OSError, ValueError):
        return {}


def targets() -> dict:
    return {t["name"]: t for t in state().get("targets", [])}


def stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    finally:
        proc.kill()
    return proc.stderr.read()


def test_sighup_with_a_broken_then_a_good_config(tmp_path, web, python):
    config = tmp_path / "config.yaml"
    good = f"targets:\n  api: {{pixel: [0, 0], interval: 30s, http: 'http://127.0.0.1:{web.port}/ok'}}\n"
    config.write_text(good)
    proc = start(config, tmp_path / "frames.jsonl")
    try:
        first = wait_for(lambda: targets().get("api", {}).get("state") == "up" and targets()["api"], what="api up")
        config.write_text(good + "  bad: {pixel: [9, 9], ping: h, intervall: 1s}\n")
        proc.send_signal(signal.SIGHUP)
        reload = wait_for(lambda: state().get("last_reload"), what="the failed reload")
        assert reload["ok"] is False and len(reload["problems"]) == 2
        assert any(":3: targets.bad.pixel" in p for p in reload["problems"])
        assert targets()["api"]["state"] == "up", "nothing goes dark"
        shown = subprocess.run([*python, "status"], capture_output=True, text=True, cwd=ROOT,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert shown.returncode == 0 and "FAILED, still running on the config before it" in shown.stdout
        assert "targets.bad.intervall: unknown key" in shown.stdout

        config.write_text(good + "  lo: {pixel: [1, 0], ping: 127.0.0.1}\n")
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: (state().get("last_reload") or {}).get("ok") and "lo" in targets(), what="the good reload")
        api = targets()["api"]
        assert api["state"] == "up" and api["checked_at"] == first["checked_at"], \
            "an unchanged target keeps its state (its 30 s interval has not come round again)"
        assert proc.poll() is None
    finally:
        errors = stop(proc)
    assert "reload: " in errors and "targets.bad.pixel" in errors, "every problem goes to the log"


def test_notify_messages_over_a_datagram_socket(tmp_path, web):
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(10)
    config = tmp_path / "config.yaml"
    config.write_text(f"targets:\n  api: {{pixel: [0, 0], http: 'http://127.0.0.1:{web.port}/ok'}}\n")
    proc = start(config, tmp_path / "frames.jsonl", NOTIFY_SOCKET=path, WATCHDOG_USEC="400000")
    messages = []

    def until(word):
        while not any(word in m for m in messages):
            messages.append(sock.recv(4096).decode())
        return next(m for m in messages if word in m)

    try:
        ready = until("READY=1")
        assert "STATUS=1 targets: " in ready
        until("WATCHDOG=1")
        proc.send_signal(signal.SIGHUP)
        assert "MONOTONIC_USEC=" in until("RELOADING=1")
        before = len([m for m in messages if "READY=1" in m])
        while len([m for m in messages if "READY=1" in m]) == before:
            messages.append(sock.recv(4096).decode())
    finally:
        stop(proc)
    until("STOPPING=1")
    sock.close()


def test_kept_observations_show_at_once_dimmed_after_a_restart(tmp_path, web):
    config = tmp_path / "config.yaml"
    config.write_text(f"targets:\n  api: {{pixel: [0, 0], interval: 1s, timeout: 1s, "
                      f"http: 'http://127.0.0.1:{web.port}/slow'}}\n")
    record = tmp_path / "first.jsonl"
    proc = start(config, record)
    wait_for(lambda: targets().get("api", {}).get("state") == "up", what="api up")
    stop(proc)
    kept = Path(os.environ["STATE_DIRECTORY"]) / "observations.json"
    assert json.loads(kept.read_text())["observations"][0]["state"] == "up"
    assert kept.stat().st_mode & 0o777 == 0o600, "they hold the targets' URLs: the board's alone"
    assert state_file().stat().st_mode & 0o777 == 0o644, "the state file is for `statusboard status`, by anyone"
    again = tmp_path / "second.jsonl"
    proc = start(config, again)
    try:
        first = wait_for(lambda: again.exists() and again.read_text().splitlines(), what="the first frame")
        pixel = json.loads(first[0])["pixels"][0][0]
        assert pixel == [0, 51, 0], "the kept `up`, green at a fifth, before the slow check answers"
        wait_for(lambda: any(json.loads(line)["pixels"][0][0] == [0, 255, 0]
                             for line in again.read_text().splitlines()), what="a fresh result")
    finally:
        stop(proc)


class Holder(servers.Acceptor):
    """A server that takes each connection and never answers; `came` is set once one is held."""

    def __init__(self) -> None:
        self.came = threading.Event()
        self.held: list = []
        super().__init__()

    def handle(self, conn) -> None:
        self.held.append(conn)
        self.came.set()


def test_sigterm_writes_the_last_frame_all_off_and_exits_zero(tmp_path):
    holder = Holder()
    config = tmp_path / "config.yaml"
    config.write_text(f"targets:\n  hung: {{pixel: [0, 0], timeout: 20s, http: 'http://127.0.0.1:{holder.port}/'}}\n")
    record = tmp_path / "frames.jsonl"
    proc = start(config, record)
    wait_for(lambda: state_file().exists(), what="the state file")
    assert holder.came.wait(15), "the check is in flight now, and will not be answered"
    began = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert time.monotonic() - began < 2.0
    last = json.loads(record.read_text().splitlines()[-1])
    assert all(px == [0, 0, 0] for row in last["pixels"] for px in row)


def test_a_signal_never_hangs_the_board_whatever_it_interrupts(tmp_path, web):
    """A signal handler runs between two bytecodes of the main loop, which may hold the lock of what it waits on;
    the handler must take no lock, or SIGTERM hangs the board with its LEDs on until systemd kills it. Results
    come 640 times a second here, so the loop is often in its wait when the signal lands."""
    config = tmp_path / "config.yaml"
    config.write_text("targets:\n" + "".join(
        f"  t{i}: {{pixel: [{i % 8}, {i // 8}], interval: 0.1s, timeout: 0.1s, http: 'http://127.0.0.1:{web.port}/ok'}}\n"
        for i in range(64)))
    for attempt in range(16):
        record = tmp_path / f"frames-{attempt}.jsonl"
        proc = start(config, record)
        wait_for(lambda: record.exists() and len(record.read_text().splitlines()) >= 2, what="the board running")
        time.sleep(0.05 * (attempt % 4))   # at different moments of its loop
        began = time.monotonic()
        proc.send_signal(signal.SIGTERM if attempt % 2 else signal.SIGINT)
        try:
            code = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail(f"attempt {attempt}: the board did not stop within 5 s of the signal")
        assert code == 0 and time.monotonic() - began < 3, (attempt, code)


def test_status_without_a_running_board(python, tmp_path):
    done = subprocess.run([*python, "status"], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 1 and "no running board found" in done.stderr


def test_a_reload_whose_display_cannot_open_changes_nothing(tmp_path, web):
    from statusboard.kinds import load
    from statusboard.daemon import Runner
    from statusboard.display.registry import open_display
    from statusboard.errors import DisplayError

    config = tmp_path / "config.yaml"
    config.write_text(f"targets:\n  api: {{pixel: [0, 0], http: 'http://127.0.0.1:{web.port}/ok'}}\n")
    board = load(str(config))
    display = open_display("fake", board.display)

    def refuse(new_board):
        raise DisplayError("the HAT needs root")

    runner = Runner(board, display, open_display=refuse)
    runner.once()
    config.write_text("display: {layout: phat}\n" + config.read_text())
    runner.reload()
    assert runner.last_reload["ok"] is False and runner.last_reload["problems"] == ["the HAT needs root"]
    assert runner.board is board and runner.display is display and not display.closed
    assert runner.table.status("api", time.monotonic()).state == "up"


def test_a_password_in_a_url_is_never_printed(tmp_path, web, refused_port, python):
    """check, config errors, the log, the state file, the kept observations and status show it as ***."""
    config = tmp_path / "config.yaml"
    config.write_text(f"targets:\n  api: {{pixel: [0, 0], interval: 1s, timeout: 1s, "
                      f"http: 'http://monitor:S3cret@127.0.0.1:{web.port}/loop'}}\n"
                      f"  db: {{pixel: [1, 0], interval: 1s, timeout: 1s, "
                      f"http: 'http://tok3n@127.0.0.1:{refused_port}/'}}\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    check = subprocess.run([*python, "check", "-c", str(config)], capture_output=True, text=True, env=env, timeout=30)
    assert check.returncode == 0 and "http://monitor:***@127.0.0.1" in check.stdout and "***@127.0.0.1" in check.stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text("targets:\n  api: {pixel: [0, 0], http: 'http://monitor:S3cret@127.0.0.1:99999/'}\n")
    refused = subprocess.run([*python, "check", "-c", str(broken)], capture_output=True, text=True, env=env, timeout=30)
    assert refused.returncode == 2 and "monitor:***@" in refused.stderr
    proc = subprocess.Popen([sys.executable, "-m", "statusboard", "-v", "run", "-c", str(config), "--display", "fake"],
                            cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        wait_for(lambda: targets().get("api", {}).get("state") == "down" and targets().get("db", {}).get("state")
                 == "down", what="both checked")
        status = subprocess.run([*python, "status", "--json"], capture_output=True, text=True, env=env, timeout=30)
    finally:
        log = stop(proc)
    kept = (Path(os.environ["STATE_DIRECTORY"]) / "observations.json").read_text()
    for text in (check.stdout, refused.stderr, log, state_file().read_text(), kept, status.stdout + status.stderr):
        assert "S3cret" not in text and "tok3n" not in text, text
