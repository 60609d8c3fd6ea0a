"""A board's start on a small CPU: the first frame before anything else (the kept observations as stale, what
only some boards need imported after it), and a round's checks run by as few workers as keep up."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from statusboard.kinds import KINDS, MODULES, make_checks
from statusboard.scheduler import Scheduler
from statusboard.table import StateTable
from tests.broker import free_port
from tests.conftest import ROOT, board_from, wait_for

# Runs the real `statusboard run` on the fake display, and at its first frame writes what the process has
# imported, its threads and the frame's pixels to a file (the fake display is the lowest layer tests fake).
AT_FIRST_FRAME = """
import atexit, gc, json, sys, threading
from statusboard.display import fake
shown = fake.FakeDisplay.show
def show(self, frame):
    if len(self.frames) < 2:   # the first frame, and the second (a kept first frame is drawn again once loaded)
        with open(sys.argv[1] + (".second" if self.frames else ""), "w") as out:
            json.dump({"modules": sorted(sys.modules), "threads": [t.name for t in threading.enumerate()],
                       "pixels": frame.pixels, "gc": gc.isenabled()}, out)
    shown(self, frame)
fake.FakeDisplay.show = show
atexit.register(lambda: open(sys.argv[1] + ".gc", "w").write(str(gc.isenabled())))
from statusboard.__main__ import main
sys.exit(main(["run", "--display", "fake", "-c", sys.argv[2]]))
"""

LATER = ("boto3", "botocore", "asyncio", "prometheus_client", "sqlite3", "urllib3", "ssl", "paho")
# Imported only for their commands or by a config that names them (statusboard.kinds.Registry).
ONLY_WHEN_NAMED = ("statusboard.cli_history", "statusboard.cli_discover", "statusboard.discover", "statusboard.demo",
                   *(f"statusboard.kinds.{name}" for name in MODULES if name not in ("http", "ping")))
# What a restart that draws its kept first frame has not imported when it draws it (statusboard/keptframe.py).
AFTER_A_KEPT_FRAME = ("yaml", "statusboard.config.board", "statusboard.kinds", "statusboard.daemon")


def first_frame(tmp_path: Path, text: str, until=None) -> dict:
    """Run the board on `text` until `until()` holds (or its first frame); what it had at its first frame."""
    config, seen = tmp_path / "board.yaml", tmp_path / "first.json"
    config.write_text(text)
    if seen.exists():
        seen.unlink()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", AT_FIRST_FRAME, str(seen), str(config)], env=env,
                            stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: seen.exists() and seen.stat().st_size, timeout=60, what="the first frame")
        if until is not None:
            wait_for(until, timeout=60, what="the board running")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    second = Path(f"{seen}.second")
    return {**json.loads(seen.read_text()), "gc_at_exit": Path(f"{seen}.gc").read_text(),
            "second": json.loads(second.read_text()) if second.exists() else None}


def shows(states) -> bool:
    """Whether the running board's state file shows these states."""
    try:
        doc = json.loads((Path(os.environ["RUNTIME_DIRECTORY"]) / "state.json").read_text())
    except (OSError, ValueError):
        return False
    return [t["state"] for t in doc["targets"]] == states


def test_an_http_and_ping_board_draws_its_first_frame_before_it_imports_or_starts_anything_else(tmp_path, web):
    text = (f"display: {{driver: fake}}\ntargets:\n  site: {{pixel: [0, 0], http: 'http://127.0.0.1:{web.port}/ok'}}\n"
            "  host: {pixel: [1, 0], ping: 127.0.0.1}\n")
    got = first_frame(tmp_path, text, until=lambda: shows(["up", "up"]))
    early = [name for name in got["modules"] if name.split(".")[0] in LATER or name.startswith(ONLY_WHEN_NAMED)]
    assert not early, f"imported before the first frame: {early}"
    assert got["threads"] == ["MainThread"], "no check, history or page thread competes with the first frame"
    assert not got["gc"] and got["gc_at_exit"] == "True", "the cyclic collector rests until the first frame only"


def test_the_page_and_the_history_come_after_the_first_frame(tmp_path):
    port = free_port()

    def served() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/state", timeout=2) as answer:
                return answer.status == 200
        except OSError:
            return False
    text = (f"display: {{driver: fake}}\nweb: {{listen: '127.0.0.1:{port}'}}\n"
            "targets:\n  host: {pixel: [0, 0], ping: 127.0.0.1}\n")
    got = first_frame(tmp_path, text, until=served)
    early = [name for name in got["modules"] if name.split(".")[0] in LATER]
    assert not early, f"imported before the first frame: {early}"
    assert (Path(os.environ["STATE_DIRECTORY"]) / "history.sqlite3").exists(), "the history is kept after it"


def test_the_first_frame_shows_the_kept_observations_as_stale(tmp_path, web):
    text = f"display: {{driver: fake}}\ntargets:\n  site: {{pixel: [0, 0], http: 'http://127.0.0.1:{web.port}/ok'}}\n"
    fresh = first_frame(tmp_path, text, until=lambda: shows(["up"]))   # a first run keeps what it saw at stop
    restarted = first_frame(tmp_path, text)
    unknown, stale_up = fresh["pixels"][0][0], restarted["pixels"][0][0]
    assert stale_up != unknown and max(stale_up) > 0, "the last run's state, dimmed, not `unknown`"
    assert stale_up[1] > stale_up[0] and stale_up[1] > stale_up[2], f"a stale `up` is a dim green: {stale_up}"


def test_a_restart_draws_the_frame_it_kept_before_it_reads_its_config_and_the_same_once_it_has(tmp_path, web):
    text = (f"display: {{driver: fake, layout: hd}}\ntargets:\n"
            f"  site: {{pixel: [0, 0], http: 'http://127.0.0.1:{web.port}/ok'}}\n"
            f"  gone: {{pixel: [1, 0], http: 'http://127.0.0.1:{web.port}/fail'}}\n"
            "  host: {pixel: [2, 3], ping: 127.0.0.1}\n")
    first_frame(tmp_path, text, until=lambda: shows(["up", "down", "up"]))
    kept = Path(os.environ["STATE_DIRECTORY"]) / "first-frame.json"
    assert kept.exists(), "the board keeps its next start's first frame as it stops"
    restarted = first_frame(tmp_path, text, until=lambda: Path(tmp_path / "first.json.second").exists())
    early = [name for name in restarted["modules"] if name.startswith(AFTER_A_KEPT_FRAME)]
    assert not early, f"imported before the kept first frame: {early}"
    assert restarted["pixels"] == restarted["second"]["pixels"], "the kept frame is the one the loaded board draws"
    stale_up, stale_down, off = restarted["pixels"][0][0], restarted["pixels"][0][1], restarted["pixels"][15][15]
    assert stale_up[1] > stale_up[0] and stale_down[0] > stale_down[1] and off == [0, 0, 0], restarted["pixels"]

    # The config changed (one target more), or the kept observations did: the board starts as always.
    for change in ("config", "kept"):
        first_frame(tmp_path, text)   # keeps its frame again
        if change == "config":
            text += "  more: {pixel: [3, 3], ping: 127.0.0.1}\n"
        else:
            observations = Path(os.environ["STATE_DIRECTORY"]) / "observations.json"
            observations.write_text(observations.read_text())
        again = first_frame(tmp_path, text)
        assert "yaml" in again["modules"], f"the kept frame was drawn after the {change} changed"
        assert again["pixels"][0][0] == stale_up


def test_a_config_imports_the_kinds_its_targets_name_and_every_kind_only_for_a_state_none_of_them_has():
    code = """
import json, sys
from statusboard.kinds import parse
def kinds():
    return sorted(m.split(".")[2] for m in sys.modules if m.count(".") == 2 and m.startswith("statusboard.kinds.")
                  and m.split(".")[2] not in ("kind", "shared"))
board = parse("palette: {up: [0, 200, 0]}\\ntargets:\\n  a: {pixel: [0, 0], http: 'http://127.0.0.1:9/'}\\n"
              "  b: {pixel: [1, 0], ping: 127.0.0.1}\\n")
seen = {"parsed": kinds(), "colours": [board.colour("up"), board.colour("slow"), board.colour("stale")]}
seen["named"] = kinds()
seen["running"] = "running" in board.states
seen["every"] = kinds()
seen["states"] = list(board.states)
print(json.dumps(seen))
"""
    got = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                    env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout)
    assert got["parsed"] == got["named"] == ["http", "ping"], got
    assert got["colours"][0] == [0, 200, 0]
    assert got["running"] and got["every"] == sorted(MODULES), "a state of another kind imports them"
    from statusboard.kinds import STATES
    assert got["states"] == list(STATES), "the same table, in the same order, as every kind's"


def test_every_section_a_kind_needs_makes_config_read_every_kinds_needs():
    from statusboard.config.states import KIND_SECTIONS
    needing = {key: kind.needs[0] for key, kind in KINDS.items() if kind.needs}
    assert needing and all(section in KIND_SECTIONS for section in needing.values()), needing


def test_a_round_of_healthy_targets_is_run_by_a_few_workers_together(web):
    lines = ["targets:"] + [f"  t{i}: {{pixel: [{i % 8}, {i // 8}], interval: 1s, timeout: 1s, "
                            f"http: 'http://127.0.0.1:{web.port}/ok'}}" for i in range(32)]
    board = board_from("\n".join(lines) + "\n")
    seen = []
    table = StateTable(board.targets)

    def record(obs):
        seen.append(time.monotonic())
        table.record(obs)
    earlier = set(threading.enumerate())
    sched = Scheduler(board.targets, make_checks(["http"]), record, concurrency=64)
    sched.start()
    try:
        wait_for(lambda: len(seen) >= 32, what="a round")
    finally:
        sched.stop()
    workers = [t for t in set(threading.enumerate()) - earlier if re.fullmatch(r"check-\d+", t.name)]
    assert len(workers) <= 8, f"{len(workers)} threads woken for a round of 32 quick checks"
    assert seen[31] - seen[0] < 0.5, "a round's checks are handed over together, not spread one by one"
    assert {s.state for s in table.snapshot(time.monotonic()).values()} == {"up"}


def test_a_ping_reply_read_late_by_a_busy_board_counts_by_when_it_came(monkeypatch):
    from statusboard.net import echo, icmp
    mode = icmp.probe_mode()
    if mode is None:
        pytest.skip("this machine lets this user open no ICMP socket")
    icmp.sweep([icmp.Host("127.0.0.1", 1, ["127.0.0.1"])], time.monotonic() + 1.0, mode)   # as a board's first
    time.sleep(0.2)   # sweep turns the kernel's stamps on (through a work queue) and keeps them on
    read = echo.EchoSocket.replies

    def late(sock):   # the board gets no CPU for 0.8 s (a Pi Zero's board when its checks all come due)
        time.sleep(0.8)
        return read(sock)
    monkeypatch.setattr(echo.EchoSocket, "replies", late)
    host = icmp.Host("127.0.0.1", 3, ["127.0.0.1"])
    # Each reply awaited 4/3 s: three reads 0.8 s late fit with room for a loaded machine (with 2 s, the third
    # echo went out after the deadline and was read at once, before a busy kernel had queued its reply).
    icmp.sweep([host], time.monotonic() + 4.0, mode)
    assert host.sent == 3 and len(host.rtts) == 3, f"{len(host.rtts)} of {host.sent} replies counted"
    # Each read came 800 ms late; a round trip counted by its stamp is far below that even when a loaded
    # machine delays the send itself (74 ms seen at a load of 4).
    assert max(host.rtts) < 400, f"loopback round trips of {host.rtts} ms: the wait to be read counted"
