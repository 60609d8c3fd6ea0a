"""The `status`, `history` and `reload` commands as a person or a script meets them: exit codes, times, the width
of a terminal, state files that are not what they seem, and a preview run beside the service."""

from __future__ import annotations

import json
import os
import pty
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Dict, List

import pytest

from statusboard.daemon import Runner
from statusboard.display.fake import FakeDisplay
from statusboard.files import process_start
from statusboard.history import NAME, History, query
from statusboard.kinds import parse
from tests.conftest import ROOT, wait_for
from tests.servers import Switch

YEAR = 365 * 86400.0
ENV = {"PYTHONPATH": str(ROOT), "TZ": "XST-2"}   # a zone of our own: local time is not UTC here


def sb(*args: str, timeout: float = 60, **kw) -> subprocess.CompletedProcess:
    """`statusboard ARGS` in a process of its own, as a person would run it."""
    return subprocess.run([sys.executable, "-m", "statusboard", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout, env={**os.environ, **ENV}, **kw)


class SteppedClock:
    """The wall clock the board sees: the real one, moved by `offset` (the test steps it)."""

    def __init__(self, offset: float) -> None:
        self.offset = offset

    def __call__(self) -> float:
        return time.time() + self.offset


def test_history_times_follow_the_wall_clock_when_it_steps_back_a_year():
    site = Switch(200)
    wall = SteppedClock(YEAR)   # a Pi that booted a year ahead, then corrects its clock
    try:
        text = ("defaults: {interval: 0.3s, timeout: 0.3s, fail_after: 1}\n"
                f"targets:\n  site: {{pixel: [0, 0], http: '{site.url}'}}\n")
        board = parse(text, "board.yaml")
        runner = Runner(board, FakeDisplay(board.display), clock=wall, keep_files=True)
        thread = threading.Thread(target=runner.run, daemon=True)
        thread.start()
        path = Path(os.environ["STATE_DIRECTORY"]) / NAME
        try:
            wait_for(lambda: path.exists() and query(path), what="the first state written")
            wall.offset = 0.0   # the clock steps back a year
            site.status = 503
            wait_for(lambda: [c.state for c in query(path)] == ["up", "down"], what="the change written")
        finally:
            runner.stop()
            thread.join(15)
        changes = query(path)
        now = time.time()
        assert all(now - 120 < c.at <= now + 1 for c in changes), \
            [time.ctime(c.at) for c in changes]   # both on the corrected clock, none a year off
        assert changes[0].at <= changes[1].at
    finally:
        site.stop()


def test_the_changes_written_before_a_step_move_with_the_clock(tmp_path):
    """The writer alone: rows written a year ahead move back a year when the clock steps; later rows do not."""
    wall = SteppedClock(YEAR)
    history = History(tmp_path / NAME, retention=10 * YEAR, clock=wall)
    try:
        db_path = tmp_path / NAME
        with history._lock:
            history._pending.append((history_change("a", "up", wall()), time.monotonic()))
        history._due.set()
        wait_for(lambda: query(db_path), what="the first row")
        wall.offset = 0.0
        with history._lock:
            history._pending.append((history_change("a", "down", wall()), time.monotonic()))
        history._due.set()
        wait_for(lambda: len(query(db_path)) == 2, what="the second row")
    finally:
        history.close()
    rows = query(db_path)
    assert [r.state for r in rows] == ["up", "down"]
    assert all(abs(r.at - time.time()) < 60 for r in rows), [time.ctime(r.at) for r in rows]


def history_change(target: str, state: str, at: float):
    from statusboard.history import Change
    return Change(target, "http", at, state, "detail", 0.01)


def write_history(rows: List[tuple]) -> Path:
    path = Path(os.environ["STATE_DIRECTORY"]) / NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    History(path, retention=10 * YEAR).close()
    db = sqlite3.connect(path)
    with db:
        db.executemany("INSERT INTO changes VALUES (?, ?, ?, ?, ?, ?)", rows)
    db.close()
    return path


def test_history_prints_any_row_and_any_name_safely():
    now = time.time()
    write_history([(int((now - 3000 * 86400) * 1e6), "old", "http", "up", "long ago", 0.1),
                   (int((now - 60) * 1e6), "site\x1b[2J", "http", "do\x1b]0;owned\x07wn", "HTTP 503\x9b2J", 0.1),
                   (int(9e18), "future", "http", "up", "a row from a clock far ahead", None)])
    done = sb("history", "--since", "3650d")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout and "\x9b" not in done.stdout
    lines = done.stdout.splitlines()
    assert len(lines) == 3 and "site\\x1b[2J" in lines[1] and "do\\x1b]0;owned\\x07wn" in lines[1], lines
    assert " XST " in lines[0], "local time with its zone"
    assert "out of range" in lines[2] and "future" in lines[2]
    as_json = sb("history", "--since", "3650d", "--json")
    assert "\x1b" not in as_json.stdout and "\x9b" not in as_json.stdout
    assert [c["target"] for c in json.loads(as_json.stdout)] == ["old", "site\x1b[2J", "future"]
    echoed = sb("history", "\x1b[31mred")
    assert echoed.returncode == 2 and "\x1b" not in echoed.stderr and "\\x1b[31mred" in echoed.stderr


def test_history_of_a_target_the_board_never_had_is_a_usage_error_with_a_guess():
    write_history([(int((time.time() - 60) * 1e6), "api-server", "http", "up", "HTTP 200", 0.1)])
    done = sb("history", "api-servr", "-c", "/nonexistent.yaml")
    assert done.returncode == 2, done
    assert "no target 'api-servr'" in done.stderr and "did you mean 'api-server'?" in done.stderr
    assert sb("history", "api-server", "-c", "/nonexistent.yaml").returncode == 0


@pytest.mark.parametrize("args", [("history", "--since", "yesterday"), ("history", "--since", "5000d"),
                                  ("run", "--display", "lcd"), ("demo", "--display", "lcd"),
                                  ("demo", "--speed", "0"), ("reload", "--timeout", "0"),
                                  ("reload", "--pid", "-1"), ("reload", "--pid", "0"), ("demo", "--web-port", "70000"),
                                  ("status", "--json", "--check")])
def test_usage_errors_exit_2_in_every_command(args, tmp_path):
    write_history([])
    done = sb(*args, "-c", str(ROOT / "config.yaml")) if args[0] == "run" else sb(*args)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and done.stderr.strip()


@pytest.mark.parametrize("args", [("reload", "--pid", "99999999999"), ("reload", "--pid", "4194305"),
                                  ("reload", "--timeout", "inf"), ("demo", "--speed", "inf"),
                                  ("demo", "--speed", "1e9")])
def test_numbers_out_of_range_are_usage_errors_naming_their_option(args):
    done = sb(*args)   # before: an OverflowError traceback; a wait with no end; the demo's own config refused
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and args[1] in done.stderr and "demo.yaml" not in done.stderr, done.stderr


def test_commands_with_their_output_closed_end_without_a_traceback(named_statusboard, tmp_path):
    """`statusboard status >&-` (a launcher that closes stdout): before, sys.stdout was None and each command
    fell over it; and the first file a command opened took fd 1, where a child's output would have gone."""
    state_file().write_text(json.dumps(live_doc(named_statusboard.pid, TARGETS)))
    write_history([(int((time.time() - 60) * 1e6), "api", "http", "up", "HTTP 200", 0.1)])
    config = tmp_path / "board.yaml"
    config.write_text("targets:\n  a: {pixel: [0, 0], http: 'http://127.0.0.1:9/'}\n")
    for args in (["status"], ["history"], ["run", "--once", "--display", "terminal", "-c", str(config)]):
        done = subprocess.run(["sh", "-c", 'exec "$0" -m statusboard "$@" >&-', sys.executable, *args],
                              stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=60, env={**os.environ, **ENV})
        assert done.returncode == 0 and "Traceback" not in done.stderr, (args, done.stderr)


def as_nobody() -> None:
    os.setgid(65534)
    os.setuid(65534)


def _python_for_nobody() -> str:
    """An interpreter that a user without rights can run statusboard's CLI with (skip when there is none)."""
    for python in (sys.executable, "/usr/bin/python3"):
        try:
            if subprocess.run([python, "-c", "import statusboard.cli"], cwd=ROOT, env={**os.environ, **ENV},
                              preexec_fn=as_nobody, capture_output=True, timeout=60).returncode == 0:
                return python
        except OSError:
            continue
    pytest.skip("no Python here that a user without rights can run statusboard with")


@pytest.mark.parametrize("folder_mode", [0o700, 0o755])
def test_history_as_another_user_says_use_sudo(folder_mode):
    if os.geteuid() != 0:
        pytest.skip("making a history only root can read, as the service does, needs root")
    state = Path(tempfile.mkdtemp(prefix="statusboard-state-"))   # /tmp: a user reaches it, not into it
    try:
        os.environ["STATE_DIRECTORY"], saved = str(state), os.environ["STATE_DIRECTORY"]
        try:
            path = write_history([(int(time.time() * 1e6), "site", "http", "up", "ok", 0.1)])
        finally:
            os.environ["STATE_DIRECTORY"] = saved
        os.chmod(path, 0o600)
        os.chmod(state, folder_mode)   # systemd's StateDirectory: 0755 unless the unit says otherwise
        python = _python_for_nobody()
        done = subprocess.run([python, "-m", "statusboard", "history"], capture_output=True, text=True,
                              cwd="/", timeout=60, preexec_fn=as_nobody,
                              env={**os.environ, **ENV, "STATE_DIRECTORY": str(state)})
        assert done.returncode == 1 and "cannot read it" in done.stderr and "use sudo" in done.stderr, done.stderr
        assert "no history" not in done.stderr
    finally:
        subprocess.run(["rm", "-rf", str(state)])


def state_file() -> Path:
    place = Path(os.environ["RUNTIME_DIRECTORY"])
    place.mkdir(parents=True, exist_ok=True)
    return place / "state.json"


@pytest.mark.parametrize("kind", ["fifo", "zero", "nested", "huge"])
def test_status_and_reload_never_hang_or_grow_on_a_state_file_that_is_not_one(kind):
    path = state_file()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "zero":
        path.symlink_to("/dev/zero")
    elif kind == "nested":
        path.write_text('{"targets": [], "x": ' + "[" * 100000 + "]" * 100000 + "}")
    else:
        path.write_text('{"targets": [], "x": "' + "x" * (5 * 1024 * 1024) + '"}')
    for command in ("status", "reload"):
        started = time.monotonic()
        done = sb(command, timeout=60)   # before: status and reload waited for ever (or ate memory)
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        assert str(path) in done.stderr, done.stderr
        assert time.monotonic() - started < 50


@pytest.fixture
def named_statusboard():
    """A live process whose command line says statusboard (it dies of a SIGHUP, as most programs do)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", "statusboard"])
    yield proc
    proc.kill()
    proc.wait()


def live_doc(pid: int, targets: List[Dict]) -> Dict:
    return {"targets": targets, "config": "/etc/statusboard/config.yaml", "started_at": "2026-11-23T10:00:00Z",
            "pid": pid, "pid_start": process_start(pid), "written_mono": time.monotonic()}


def test_reload_sends_no_signal_when_the_state_file_names_no_start_time(named_statusboard):
    doc = live_doc(named_statusboard.pid, [])
    del doc["pid_start"]   # an older release wrote it
    state_file().write_text(json.dumps(doc))
    done = sb("reload")
    assert done.returncode == 1 and "no signal sent" in done.stderr, done.stderr
    time.sleep(0.3)
    assert named_statusboard.poll() is None, "the program got no SIGHUP"


TARGETS = [
    {"name": "api", "pixel": [0, 0], "state": "up", "severity": "ok", "colour": [0, 200, 0],
     "detail": "HTTP 200 in 12 ms", "checked_at": "2026-11-23T10:00:05Z"},
    {"name": "checkout-service-eu-west-1", "pixel": [1, 0], "state": "insufficient-data", "severity": "unknown",
     "colour": [90, 90, 90], "detail": "the alarm has not had enough data points to judge " * 4,
     "checked_at": "2026-11-23T10:00:06Z"},
    {"name": "shop", "pixel": [2, 0], "state": "down", "severity": "critical", "colour": [255, 0, 0],
     "detail": "HTTP 503 in 40 ms: " + "Service Unavailable " * 10, "checked_at": "2026-11-23T10:00:07Z"},
]


def in_pty(args: List[str], columns: int = 80, extra: Dict[str, str] = {}) -> str:
    """What `statusboard ARGS` shows on a terminal of `columns` columns (with `extra` in its environment)."""
    import fcntl
    import struct
    import termios
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.Popen([sys.executable, "-m", "statusboard", *args], stdin=follower, stdout=follower,
                            stderr=follower, cwd=ROOT, env={**env, **ENV, **extra})
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    proc.wait(30)
    os.close(leader)
    return out.decode("utf-8")


def test_status_fits_an_80_column_terminal_in_local_time(named_statusboard):
    import re
    state_file().write_text(json.dumps({**live_doc(named_statusboard.pid, TARGETS), "warnings": [
        "the palette's 'slow' colour looks the same as 'warning' at night brightness, on the HAT " * 2]}))
    shown = in_pty(["status"])
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in shown.replace("\r", "").split("\n")]
    assert any("checkout-servic" in line for line in lines) and any("shop" in line for line in lines), shown
    too_long = [line for line in lines if len(line) > 80]
    assert not too_long, too_long
    assert "2026-11-23 12:00:00 XST" in shown, "local time with its zone, not UTC"
    assert "12:00:07" in shown and "10:00:07" not in shown
    state_file().write_text(json.dumps({**live_doc(named_statusboard.pid, TARGETS), "written_mono": 1.0}))
    stale = in_pty(["status"]).replace("\r", "")
    assert "STALE" in stale and all(len(re.sub(r"\x1b\[[0-9;]*m", "", line)) <= 80 for line in stale.split("\n"))


def test_status_on_a_terminal_draws_no_colour_under_no_color(named_statusboard):
    state_file().write_text(json.dumps(live_doc(named_statusboard.pid, TARGETS)))
    env = {"NO_COLOR": ""}   # set but empty: colour stays (https://no-color.org)
    assert "\x1b[48;2;255;0;0m" in in_pty(["status"], extra=env), "shop's red swatch, on a terminal"
    plain = in_pty(["status"], extra={"NO_COLOR": "1"})   # before: the 24-bit swatches all the same
    assert "shop" in plain and "down" in plain, plain
    assert "\x1b[" not in plain, plain


@pytest.mark.parametrize("severities, code, word", [
    (["ok", "ok", "transitional"], 0, "OK"), (["ok", "warning", "unknown"], 1, "WARNING"),
    (["ok", "warning", "critical"], 2, "CRITICAL"), (["ok", "unknown", "ok"], 3, "UNKNOWN")])
def test_status_check_exits_as_a_monitoring_plugin(named_statusboard, severities, code, word):
    targets = [{**t, "severity": s} for t, s in zip(TARGETS, severities)]
    state_file().write_text(json.dumps(live_doc(named_statusboard.pid, targets)))
    done = sb("status", "--check")
    assert done.returncode == code, (done.stdout, done.stderr)
    assert len(done.stdout.splitlines()) == 1 and done.stdout.startswith(f"STATUSBOARD {word}: ")
    if word == "CRITICAL":
        assert "1 critical: shop down" in done.stdout


@pytest.mark.parametrize("severity", ["bogus", None, ["critical"]])
def test_status_check_never_calls_a_severity_it_does_not_know_healthy(named_statusboard, severity):
    targets = [dict(t, severity="ok") for t in TARGETS]
    targets[1] = {k: v for k, v in targets[1].items() if k != "severity"}
    if severity is not None:
        targets[1]["severity"] = severity   # a newer release's word, or a damaged file
    state_file().write_text(json.dumps(live_doc(named_statusboard.pid, targets)))
    done = sb("status", "--check")   # before: "STATUSBOARD OK: all 3 healthy", exit 0
    assert done.returncode == 3, (done.stdout, done.stderr)
    assert done.stdout.startswith("STATUSBOARD UNKNOWN: 1 unknown: checkout-service-eu-west-1 insufficient-data")


def test_status_check_is_unknown_without_a_running_board():
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    state_file().write_text(json.dumps({**live_doc(os.getpid(), TARGETS[:1]), "pid": ended.pid}))
    done = sb("status", "--check")
    assert done.returncode == 3 and done.stdout.startswith("STATUSBOARD UNKNOWN: the board is not running")
    os.unlink(state_file())
    none = sb("status", "--check")
    assert none.returncode == 3 and none.stdout.startswith("STATUSBOARD UNKNOWN: no running board found")


@pytest.mark.parametrize("pid", [2 ** 31, 2 ** 70])
def test_status_and_reload_name_a_process_number_out_of_range_without_a_traceback(pid):
    state_file().write_text(json.dumps({**live_doc(os.getpid(), TARGETS[:1]), "pid": pid}))
    check = sb("status", "--check")   # before: OverflowError from os.kill, exit 1
    assert check.returncode == 3 and check.stdout.startswith("STATUSBOARD UNKNOWN: "), (check.stdout, check.stderr)
    for command in ("status", "reload"):
        done = sb(command)
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        assert "names no process" in done.stderr, done.stderr


def mount_namespace_or_skip() -> None:
    """Skip unless this test can give a process /run and /var/lib of its own (a mount namespace)."""
    if os.geteuid() != 0:
        pytest.skip("a mount namespace of its own (for /run and /var/lib) needs root")
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed")
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"this machine lets no test make a mount namespace: {probe.stderr.decode().strip()}")


BESIDE = r'''
import json, os, signal, sqlite3, subprocess, sys, time
from pathlib import Path
service_env = {**os.environ, "RUNTIME_DIRECTORY": "/run/statusboard", "STATE_DIRECTORY": "/var/lib/statusboard"}
hand_env = {k: v for k, v in os.environ.items() if k not in ("RUNTIME_DIRECTORY", "STATE_DIRECTORY")}
run = [sys.executable, "-m", "statusboard", "run", "--display", "fake", "-c"]
service = subprocess.Popen(run + [sys.argv[1]], env=service_env, stderr=subprocess.DEVNULL)
state = Path("/run/statusboard/state.json")
end = time.monotonic() + 30
while time.monotonic() < end and not (state.exists() and json.loads(state.read_text())["targets"][0]["checked_at"]):
    time.sleep(0.1)
kept = Path("/var/lib/statusboard/observations.json")
preview = subprocess.Popen(run + [sys.argv[2]], env=hand_env, stderr=subprocess.PIPE, text=True)
time.sleep(4)   # several rounds of checks at 0.5 s
preview.send_signal(signal.SIGTERM)
said = preview.communicate(timeout=30)[1]
doc = json.loads(state.read_text())
service.send_signal(signal.SIGTERM)
service.wait(30)
db = sqlite3.connect("/var/lib/statusboard/history.sqlite3")
print(json.dumps({"pid": doc["pid"], "service": service.pid, "config": doc["config"], "said": said,
                  "kept": [o["target"] for o in json.loads(kept.read_text())["observations"]],
                  "history": sorted({r[0] for r in db.execute("SELECT target FROM changes")})}))
'''


def test_a_foreground_run_beside_the_service_leaves_the_services_files_alone(tmp_path, web):
    mount_namespace_or_skip()
    head = "defaults: {interval: 0.5s, timeout: 0.5s}\nhistory: {keep: 1d}\ntargets:\n"
    (tmp_path / "service.yaml").write_text(head + f"  api: {{pixel: [0, 0], http: 'http://127.0.0.1:{web.port}/ok'}}\n")
    (tmp_path / "preview.yaml").write_text(head + f"  preview: {{pixel: [1, 0], http: 'http://127.0.0.1:{web.port}/fail'}}\n")
    (tmp_path / "beside.py").write_text(BESIDE)
    script = ("mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/lib && "
              f"exec {sys.executable} {tmp_path / 'beside.py'} {tmp_path / 'service.yaml'} {tmp_path / 'preview.yaml'}")
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                          capture_output=True, text=True, timeout=120, cwd=ROOT, env={**os.environ, **ENV})
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["pid"] == seen["service"] and seen["config"].endswith("service.yaml"), "the service's state file"
    assert seen["kept"] == ["api"] and seen["history"] == ["api"], seen
    assert "another board (process" in seen["said"] and "keeps none of its own" in seen["said"], seen["said"]


def test_a_preview_as_a_user_says_it_keeps_no_history(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("running the board as another user needs root")
    python = _python_for_nobody()
    place = Path(tempfile.mkdtemp(prefix="statusboard-preview-"))
    try:
        os.chmod(place, 0o755)
        (place / "preview.yaml").write_text("history: {keep: 7d}\ntargets:\n  me: {pixel: [0, 0], ping: 127.0.0.1}\n")
        env = {k: v for k, v in os.environ.items() if k not in ("RUNTIME_DIRECTORY", "STATE_DIRECTORY",
                                                                 "XDG_RUNTIME_DIR")}
        proc = subprocess.Popen([python, "-m", "statusboard", "run", "--display", "fake", "-c",
                                 str(place / "preview.yaml")], stderr=subprocess.PIPE, text=True, cwd="/",
                                env={**env, **ENV}, preexec_fn=as_nobody)
        try:
            said = [proc.stderr.readline() for _ in range(2)]
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=30)
        assert any("this run keeps no history or kept observations: /var/lib/statusboard cannot be written"
                   in line for line in said), said
    finally:
        subprocess.run(["rm", "-rf", str(place)])


def test_status_prefers_the_users_live_board_over_a_root_file_left_by_one_that_ended(tmp_path, named_statusboard):
    mount_namespace_or_skip()
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    stale = {**live_doc(os.getpid(), TARGETS[:1]), "pid": ended.pid, "config": "/etc/statusboard/config.yaml"}
    mine = {**live_doc(named_statusboard.pid, TARGETS[2:]), "config": "/home/pi/preview.yaml"}
    (tmp_path / "stale.json").write_text(json.dumps(stale))
    (tmp_path / "xdg" / "statusboard").mkdir(parents=True)
    (tmp_path / "xdg" / "statusboard" / "state.json").write_text(json.dumps(mine))
    script = ("mount -t tmpfs tmpfs /run && mkdir /run/statusboard && "
              f"cp {tmp_path / 'stale.json'} /run/statusboard/state.json && "
              f"exec {sys.executable} -m statusboard status")
    env = {k: v for k, v in os.environ.items() if k != "RUNTIME_DIRECTORY"}
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                          capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={**env, **ENV, "XDG_RUNTIME_DIR": str(tmp_path / "xdg")})
    assert done.returncode == 0, done.stderr
    assert "/home/pi/preview.yaml" in done.stdout and "shop" in done.stdout, done.stdout


UBUNTU_STUB = """#! /bin/sh
# The chromium deb on Ubuntu: a stand-in that hands over to the snap
if ! [ -x /snap/bin/chromium ]; then
    echo "" >&2
    echo "Command '$0' requires the chromium snap to be installed." >&2
    echo "Please install it with:" >&2
    echo "" >&2
    echo "snap install chromium" >&2
    echo "" >&2
    exit 1
fi
exec /snap/bin/chromium "$@"
"""


def test_ubuntus_chromium_snap_stub_is_the_reason_the_browser_tests_skip(tmp_path, monkeypatch):
    from tests import browser
    pytest.importorskip("selenium", reason="the browser tests need selenium (the test extra)")
    if os.access("/snap/bin/chromium", os.X_OK):
        pytest.skip("the chromium snap runs here, so Ubuntu's stand-in would work")
    stub = tmp_path / "chromium"
    stub.write_text(UBUNTU_STUB)
    stub.chmod(0o755)
    monkeypatch.setattr(browser, "CHROMIUM", str(stub))
    reason = browser.why_not()
    assert reason is not None and "stand-in for the chromium snap" in reason and str(stub) in reason, reason
    assert "not installed" not in reason
