"""Nothing the clock, a kept file, a thread, a reload or a monitored server does can freeze, crash or mislead
the board. Real parts: local servers, real checks, the real Runner on the fake display."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from statusboard.cli_status import status_text
from statusboard.kinds import load
from statusboard.daemon import Runner
from statusboard.display.fake import FakeDisplay
from statusboard.kinds import STATES
from statusboard.model import Observation
from statusboard.files import process_start
from statusboard.outputs import status_line
from statusboard.table import StateTable
from tests.conftest import ROOT, Clock, board_from, wait_for


def board_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def runner_for(path: Path, **options) -> Runner:
    board = load(str(path))
    return Runner(board, FakeDisplay(board.display), **options)


def in_thread(runner: Runner) -> threading.Thread:
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    return thread


# --- the clock -------------------------------------------------------------------------------------------------

def test_wall_clock_jumps_either_way_change_nothing(tmp_path, web):
    wall = Clock(time.time())
    path = board_file(tmp_path, f"targets: {{api: {{pixel: [0, 0], interval: 10s, "
                                f"http: 'http://127.0.0.1:{web.port}/ok'}}}}\n")
    runner = runner_for(path, clock=wall)
    assert runner.once()["api"].state == "up"
    for jump in (+86400, -2 * 86400, +3 * 3600):   # NTP syncs a Pi that booted with an old or a future time
        wall.step(jump)
        status = runner.draw()["api"]
        assert status.state == "up", (jump, status)
        assert runner.last_frame.pixels[0][0] == (0, 255, 0)


def test_kept_observations_show_stale_until_checked_whatever_the_wall_clock_says(tmp_path, web):
    path = board_file(tmp_path, f"targets: {{api: {{pixel: [0, 0], http: 'http://127.0.0.1:{web.port}/ok'}}}}\n")
    board = load(str(path))
    for observed_at in (time.time(), time.time() + 86400, time.time() - 30):   # now, "the future", a moment ago
        kept = Path(os.environ["STATE_DIRECTORY"]) / "observations.json"
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_text(json.dumps({"version": 2, "observations": [
            {"target": "api", "check": board.targets[0].fingerprint, "state": "up", "severity": "ok",
             "detail": "HTTP 200 in 3 ms", "observed_at": observed_at}]}))
        runner = runner_for(path, keep_files=True)
        runner.restore()
        status = runner.draw()["api"]
        assert status.state == "stale" and "before the restart" in status.detail, status
        assert runner.last_frame.pixels[0][0] == (0, 51, 0), "the last colour, dimmed"


def test_a_held_failure_never_shows_an_old_good_state():
    board = board_from("targets: {a: {pixel: [0, 0], interval: 10s, fail_after: 3, http: 'http://127.0.0.1:1/'}}\n")
    table = StateTable(board.targets)
    table.record(Observation.of("a", "up", "HTTP 200", 0.0, STATES, mono=100.0))
    table.record(Observation.of("a", "down", "refused", 0.0, STATES, mono=100.0 + 31))   # older than stale_after (30 s)
    assert table.status("a", 131.0).state == "down"
    kept = StateTable(board.targets)
    kept.record(Observation("a", "up", Observation.of("a", "up", "", 0, STATES).severity, "kept", 0.0, None))
    kept.record(Observation.of("a", "down", "refused", 0.0, STATES, mono=5.0))
    assert kept.status("a", 5.0).state == "down", "never held behind an observation from before the restart"


# --- kept files of any content -------------------------------------------------------------------------------

@pytest.mark.parametrize("content", ["[]", "null", '"text"', "5", '{"observations": 5}', "{not json",
                                     '{"observations": [{"target": "api", "observed_at": NaN}]}',
                                     '{"observations": [7, {"target": "api", "check": "x", "observed_at": 1e308}]}'])
def test_a_kept_file_of_any_content_is_read_safely_once_warned_and_rewritten(tmp_path, web, caplog, content):
    path = board_file(tmp_path, f"targets: {{api: {{pixel: [0, 0], http: 'http://127.0.0.1:{web.port}/ok'}}}}\n")
    kept = Path(os.environ["STATE_DIRECTORY"]) / "observations.json"
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_text(content)
    runner = runner_for(path, keep_files=True)
    with caplog.at_level(logging.WARNING):
        runner.restore()
    assert runner.draw()["api"].state == "unknown"
    warned = [r for r in caplog.records if "kept observations" in r.getMessage() and r.levelno >= logging.WARNING]
    # An item that names no check of this board is simply not used; anything else unusable is warned of once.
    names_no_check = content.startswith('{"observations": [{"target": "api", "observed_at": NaN')
    assert len(warned) == (0 if names_no_check else 1), [r.getMessage() for r in caplog.records]
    assert json.loads(kept.read_text()) == {"version": 2, "observations": []}, "rewritten: the next start is clean"


@pytest.mark.parametrize("kind", ["fifo", "huge"])
def test_a_kept_file_that_is_a_fifo_or_huge_is_refused_at_once(tmp_path, web, caplog, kind):
    """Nothing ever writes to the FIFO: reading it would wait for ever, before the first frame."""
    path = board_file(tmp_path, f"targets: {{api: {{pixel: [0, 0], http: 'http://127.0.0.1:{web.port}/ok'}}}}\n")
    kept = Path(os.environ["STATE_DIRECTORY"]) / "observations.json"
    kept.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(kept)
    else:
        kept.write_text('{"observations": [' + "0," * 3_000_000 + "0]}")
    runner = runner_for(path, keep_files=True)
    start = time.monotonic()
    with caplog.at_level(logging.WARNING):
        runner.restore()
    assert time.monotonic() - start < 2
    assert runner.draw()["api"].state == "unknown"
    said = [r.getMessage() for r in caplog.records if "kept observations" in r.getMessage()]
    assert said and ("is not a regular file" in said[0] if kind == "fifo" else "is larger than 4096 KB" in said[0])


def test_an_mqtt_credentials_file_that_is_a_fifo_is_refused_at_once(tmp_path):
    from statusboard.kinds import parse
    from statusboard.config.mqtt import credentials
    fifo = tmp_path / "mqtt.secret"
    os.mkfifo(fifo)
    board = parse(f"mqtt: {{url: 'mqtt://127.0.0.1:1', credentials: '{fifo}'}}\n"
                  "targets: {a: {pixel: [0, 0], ping: 127.0.0.1}}\n")
    start = time.monotonic()
    with pytest.raises(OSError, match="is not a regular file"):
        credentials(board.mqtt)
    assert time.monotonic() - start < 2


# --- the state file and `status` -------------------------------------------------------------------------------

def test_the_state_file_is_retried_after_a_failure_with_one_warning(tmp_path, web, caplog, monkeypatch):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the runtime directory's parent should be")
    monkeypatch.setenv("RUNTIME_DIRECTORY", str(blocker / "run"))
    path = board_file(tmp_path, f"targets: {{api: {{pixel: [0, 0], interval: 0.2s, timeout: 0.2s, "
                                f"http: 'http://127.0.0.1:{web.port}/ok'}}}}\n")
    runner = runner_for(path, keep_files=True)
    cannot = lambda: [r for r in caplog.records if "cannot write" in r.getMessage()]  # noqa: E731
    with caplog.at_level(logging.WARNING):
        thread = in_thread(runner)
        try:
            wait_for(lambda: runner.table.latest().get("api") is not None, what="the first result")
            first = web.accepted
            wait_for(lambda: web.accepted >= first + 10, what="more rounds, each a state file that cannot be written")
            assert len(cannot()) == 1, [r.getMessage() for r in caplog.records]
            blocker.unlink()
            state = blocker / "run" / "state.json"
            wait_for(state.exists, what="the state file written once its directory can be made")
            assert json.loads(state.read_text())["targets"][0]["state"] == "up"
            assert len(cannot()) == 1
        finally:
            runner.stop()
            thread.join(timeout=10)


def _status(python, doc) -> subprocess.CompletedProcess:
    place = Path(os.environ["RUNTIME_DIRECTORY"])
    place.mkdir(parents=True, exist_ok=True)
    (place / "state.json").write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return subprocess.run([*python, "status"], capture_output=True, text=True, cwd=ROOT, timeout=30,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_status_tells_a_board_that_has_died(python, monkeypatch):
    monkeypatch.setenv("TZ", "UTC0")   # status speaks local time with its zone
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    doc = {"targets": [], "config": "c.yaml", "started_at": "2026-11-23T10:00:00Z", "pid": ended.pid,
           "written_at": "2026-11-23T10:05:00Z"}
    done = _status(python, doc)
    assert done.returncode == 1
    assert "not running (last seen 2026-11-23 10:05:00 UTC): its process" in done.stderr
    # This test's own process runs, but it is no board: its number belongs to another program.
    other = _status(python, {**doc, "pid": os.getpid(), "pid_start": process_start(os.getpid())})
    assert other.returncode == 1 and "belongs to another program" in other.stderr, other.stderr


@pytest.mark.parametrize("doc", ["[]", "null", '{"targets": 5}', "{broken", '{"targets": [5, {"name": 3}]}',
                                 '{"targets": [{"name": "x\\u001b[2J", "colour": "red", "pixel": 1}], "pid": 1}'])
def test_status_of_any_state_file_is_a_message_never_a_traceback(python, doc):
    done = _status(python, doc)
    assert "Traceback" not in done.stderr and done.returncode == 1, done.stderr   # none names a running board
    assert "\x1b[2J" not in done.stdout + done.stderr


def test_status_text_shows_control_characters_escaped():
    doc = {"config": "c\x1b]0;t\x07", "targets": [
        {"name": "a", "pixel": [0, 0], "state": "down", "colour": [255, 0, 0], "detail": "x\x1b[2Jy\x9b1m"}]}
    text = status_text(doc, colour=False)
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    assert "x\\x1b[2Jy\\x9b1m" in text


# --- what a monitored server says ---------------------------------------------------------------------------------

def test_bytes_from_a_server_reach_no_terminal_raw(tmp_path):
    """A server whose status line is an escape sequence: the detail shows it escaped."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)

    def answer() -> None:
        conn, _ = server.accept()
        conn.recv(65536)
        conn.sendall(b"\x1b]0;owned\x07\x1b[2J\x1b[31mHTTP/9 200\r\n\r\n")
        conn.close()
    threading.Thread(target=answer, daemon=True).start()
    board = board_from(f"targets: {{a: {{pixel: [0, 0], http: 'http://127.0.0.1:{server.getsockname()[1]}/'}}}}\n")
    runner = Runner(board, FakeDisplay(board.display))
    status = runner.once()["a"]
    server.close()
    assert status.state == "down"
    assert "\x1b" not in status.detail and "\x07" not in status.detail and "\\x1b" in status.detail, status.detail


# --- threads ------------------------------------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")   # the thread is meant to die
def test_a_dead_scheduler_stops_the_board_so_systemd_restarts_it(tmp_path, web):
    path = board_file(tmp_path, f"targets: {{api: {{pixel: [0, 0], http: 'http://127.0.0.1:{web.port}/ok'}}}}\n")
    runner = runner_for(path)

    def die(_call):
        raise SystemExit("the scheduling thread ends here")   # no `except Exception` catches this
    runner.pool.submit = die   # the workers refusing a job in a way nothing expects
    thread = in_thread(runner)
    thread.join(timeout=10)
    assert not thread.is_alive() and runner.failed


def test_a_job_that_cannot_be_started_is_logged_and_the_board_goes_on(tmp_path, web, caplog):
    path = board_file(tmp_path, f"targets: {{api: {{pixel: [0, 0], interval: 0.2s, timeout: 0.2s, "
                                f"http: 'http://127.0.0.1:{web.port}/ok'}}}}\n")
    runner = runner_for(path)
    real, calls = runner.pool.submit, []

    def flaky(call):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("can't start new thread")
        return real(call)
    runner.pool.submit = flaky
    with caplog.at_level(logging.ERROR):
        thread = in_thread(runner)
        try:
            wait_for(lambda: len(calls) > 3, what="the scheduler going on")
            after = runner.table.latest()["api"].mono
            wait_for(lambda: runner.table.latest()["api"].mono > after, what="a check after the failure")
        finally:
            runner.stop()
            thread.join(timeout=10)
    assert not runner.failed and any("could not be started" in r.getMessage() for r in caplog.records)
    assert runner.draw()["api"].state == "up"


def test_reloads_with_hung_checks_keep_one_bound_on_threads(tmp_path, silent_port):
    lines = ["concurrency: 4", "defaults: {interval: 5s, timeout: 5s}", "targets:"]
    lines += [f"  h{i}: {{pixel: [{i}, 0], http: 'http://127.0.0.1:{silent_port}/'}}" for i in range(8)]
    path = board_file(tmp_path, "\n".join(lines) + "\n")
    runner = runner_for(path)
    before = threading.active_count()
    earlier = set(threading.enumerate())
    thread = in_thread(runner)
    try:
        workers = lambda: [t for t in set(threading.enumerate()) - earlier  # noqa: E731
                           if re.fullmatch(r"check-\d+", t.name)]
        wait_for(lambda: len(workers()) == 4, what="four workers, each held by a hung check")
        for n in range(1, 9):
            runner.request_reload()
            wait_for(lambda: runner.last_reload is not None and runner.last_reload["n"] == n, what=f"reload {n}")
        assert len(workers()) == 4, "every scheduler since the start shares the four workers"
        # The board's own threads: its loop, its scheduler, the four workers, and perhaps the deadline reaper.
        assert threading.active_count() - before <= 7, threading.enumerate()
        assert runner.reloads == 8 and runner.last_reload["ok"]
    finally:
        runner.stop()
        thread.join(timeout=10)


def systemd_line(runner: Runner) -> str:
    """What `systemctl status` would show for the board now."""
    return status_line(runner.snapshot(runner.draw()))


def test_checks_starved_of_workers_are_reported_once(tmp_path, web, silent_port, caplog):
    path = board_file(tmp_path, f"""concurrency: 1
targets:
  hung: {{pixel: [0, 0], interval: 1.5s, timeout: 1.5s, http: 'http://127.0.0.1:{silent_port}/'}}
  fast: {{pixel: [1, 0], interval: 0.3s, timeout: 0.3s, http: 'http://127.0.0.1:{web.port}/ok'}}
""")
    runner = runner_for(path)
    with caplog.at_level(logging.WARNING):
        thread = in_thread(runner)
        try:
            line = wait_for(lambda: "waited" in systemd_line(runner) and systemd_line(runner), timeout=15,
                            what="the starvation notice")
        finally:
            runner.stop()
            thread.join(timeout=10)
    assert "for a free worker (concurrency 1)" in line
    assert len([r for r in caplog.records if "wait" in r.getMessage() and "free worker" in r.getMessage()]) == 1


def test_a_reload_of_a_file_being_written_waits_for_the_whole_file(tmp_path, web):
    url = f"http://127.0.0.1:{web.port}/ok"
    first = f"targets:\n  a: {{pixel: [0, 0], http: '{url}'}}\n"
    path = board_file(tmp_path, first)
    runner = runner_for(path)
    thread = in_thread(runner)
    try:
        wait_for(lambda: runner.draw()["a"].state == "up", what="a up")
        with open(path, "w") as handle:   # an editor writing the new file in pieces
            handle.write(first)
            handle.flush()
            runner.request_reload()
            for i in range(1, 6):
                time.sleep(0.12)
                handle.write(f"  t{i}: {{pixel: [{i}, 0], http: '{url}'}}\n")
                handle.flush()
        wait_for(lambda: runner.last_reload is not None, what="the reload")
        assert runner.last_reload["ok"] and len(runner.board.targets) == 6, runner.last_reload
    finally:
        runner.stop()
        thread.join(timeout=10)


# --- the idle loop -----------------------------------------------------------------------------------------------

def test_an_idle_board_sleeps_yet_turns_stale_on_time(tmp_path, web):
    """Nothing due: the main loop does not turn once a second, and a result still turns stale when it should."""
    path = board_file(tmp_path, f"targets: {{api: {{pixel: [0, 0], interval: 60s, timeout: 1s, stale_after: 4s, "
                                f"http: 'http://127.0.0.1:{web.port}/ok'}}}}\n")
    runner = runner_for(path)
    turns = []
    real_draw = runner.draw

    def counted():
        turns.append(time.monotonic())
        return real_draw()
    runner.draw = counted
    thread = in_thread(runner)
    try:
        wait_for(lambda: runner.table.latest().get("api") is not None, what="the first result")
        seen = runner.table.latest()["api"].mono
        wait_for(lambda: runner.display.frames and runner.display.frames[-1].legend[0].state == "stale",
                 timeout=8, what="stale on the display")
        late = time.monotonic() - (seen + 4.0)
        assert late < 0.5, f"drawn stale {late:.2f} s after its stale time"
        quiet = [t for t in turns if seen + 0.2 < t < seen + 3.9]
        assert len(quiet) <= 1, f"{len(quiet)} turns of the loop while nothing could change"
    finally:
        runner.stop()
        thread.join(10)


@pytest.fixture
def named_statusboard():
    """A live process whose command line says statusboard (it dies of a SIGHUP, as most programs do)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "statusboard"])
    yield proc
    proc.kill()
    proc.wait()


def test_status_names_the_board_by_pid_and_start_time_not_by_boot_id(python, named_statusboard):
    """In a container the service may see another boot id than a shell does; its pid and start time agree."""
    from statusboard.files import process_start
    board = named_statusboard
    doc = {"targets": [], "config": "c.yaml", "pid": board.pid, "pid_start": process_start(board.pid),
           "boot_id": "another-boot-id-as-a-sandbox-sees-it", "written_mono": time.monotonic()}
    assert _status(python, doc).returncode == 0
    reused = _status(python, {**doc, "pid_start": process_start(board.pid) - 100})
    assert reused.returncode == 1 and "the number now belongs to another program" in reused.stderr


def test_reload_never_signals_a_program_that_reused_the_boards_pid(python, named_statusboard):
    from statusboard.files import process_start
    other = named_statusboard
    doc = {"targets": [], "config": "c.yaml", "pid": other.pid, "pid_start": process_start(other.pid) - 100,
           "written_mono": time.monotonic()}
    _status(python, doc)
    done = subprocess.run([*python, "reload"], capture_output=True, text=True, cwd=ROOT, timeout=30,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode != 0 and "the number now belongs to another program" in done.stderr, done.stderr
    time.sleep(0.3)
    assert other.poll() is None, "the other program got no SIGHUP"


def test_status_says_stale_when_the_board_has_not_written_its_state_for_minutes(python, named_statusboard):
    from statusboard.files import process_start
    board = named_statusboard
    doc = {"targets": [{"name": "web", "pixel": [0, 0], "state": "up", "colour": [0, 255, 0], "detail": "200"}],
           "config": "c.yaml", "pid": board.pid, "pid_start": process_start(board.pid),
           "written_mono": time.monotonic() - 300}
    done = _status(python, doc)
    assert done.returncode == 1 and "STALE: the board runs but has not written" in done.stderr, done.stderr
    assert _status(python, {**doc, "written_mono": time.monotonic() - 5}).returncode == 0


def test_the_state_file_is_rewritten_on_a_heartbeat_when_nothing_changes(tmp_path, monkeypatch):
    from statusboard import files, writer
    monkeypatch.setattr(writer, "HEARTBEAT", 0.3)
    monkeypatch.setenv("RUNTIME_DIRECTORY", str(tmp_path))
    out = writer.StateWriter(files.Files(keep_files=True))
    out.write_state(("same",), lambda: {"targets": []}, force=True)
    first = json.loads((tmp_path / "state.json").read_text())["written_mono"]
    time.sleep(out.next_write() + 0.05)
    out.write_state(("same",), lambda: {"targets": []})
    assert json.loads((tmp_path / "state.json").read_text())["written_mono"] > first
