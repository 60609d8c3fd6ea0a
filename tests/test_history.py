"""The history of changes: a running board keeps each change of a target's state (not each check) in SQLite,
`statusboard history` prints it, and a database that is corrupt, locked or on a full disk never stops the board."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from statusboard.daemon import Runner
from statusboard.display.fake import FakeDisplay
from statusboard.history import NAME, History, query
from statusboard.kinds import parse
from tests.broker import free_port
from tests.conftest import ROOT, wait_for
from tests.servers import Switch


def board_text(*targets: str, extra: str = "") -> str:
    return "\n".join([extra, "defaults: {interval: 0.3s, timeout: 0.3s, fail_after: 1}", "targets:"]
                     + [f"  {t}" for t in targets]) + "\n"


class Running:
    """A Runner that keeps its files (history in STATE_DIRECTORY), in a thread, for a with block."""

    def __init__(self, text: str) -> None:
        board = parse(text, "board.yaml")
        self.runner = Runner(board, FakeDisplay(board.display), keep_files=True)
        self.thread = threading.Thread(target=self.runner.run, daemon=True)

    def __enter__(self) -> Runner:
        self.thread.start()
        return self.runner

    def __exit__(self, *exc: object) -> None:
        self.runner.stop()
        self.thread.join(15)
        assert not self.thread.is_alive()


def history_path() -> Path:
    return Path(os.environ["STATE_DIRECTORY"]) / NAME


def checks_of(runner: Runner, name: str) -> float:
    obs = runner.table.latest().get(name)
    return obs.mono if obs is not None and obs.mono is not None else 0.0


def test_only_changes_are_kept_and_history_prints_them():
    site = Switch(200)
    try:
        with Running(board_text(f"site: {{pixel: [0, 0], http: '{site.url}'}}")) as runner:
            wait_for(lambda: runner.table.latest().get("site"), what="a first check")
            first = checks_of(runner, "site")
            wait_for(lambda: checks_of(runner, "site") > first + 1.0, what="several checks")   # about 4 more
            site.status = 503
            wait_for(lambda: runner.table.status("site", time.monotonic()).state == "down", what="down")
            site.status = 200
            wait_for(lambda: runner.table.status("site", time.monotonic()).state == "up", what="up again")
            wait_for(lambda: len(query(history_path(), "site")) >= 3, what="three changes written")
            time.sleep(1.0)   # more checks: still three changes
            changes = query(history_path(), "site")
        assert [c.state for c in changes] == ["up", "down", "up"], "one row per change, none per check"
        assert changes[1].detail.startswith("HTTP 503 in") and changes[1].kind == "http"
        assert all(c.took is not None and 0 <= c.took < 1 for c in changes), "each with the check's duration"
        assert changes[0].at <= changes[1].at <= changes[2].at
        done = subprocess.run([sys.executable, "-m", "statusboard", "history", "site", "--since", "1h"],
                              capture_output=True, text=True, cwd=ROOT, timeout=30,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert len(lines) == 3 and " site  down " in lines[1] and "HTTP 503 in" in lines[1], done.stdout
        as_json = subprocess.run([sys.executable, "-m", "statusboard", "history", "--json"], capture_output=True,
                                 text=True, cwd=ROOT, timeout=30, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert [c["state"] for c in json.loads(as_json.stdout)] == ["up", "down", "up"]
    finally:
        site.stop()


def test_a_history_the_board_is_making_reads_as_empty_not_as_an_error(tmp_path):
    """Between the file's creation and its table's, a reader (`statusboard history`, the page) sees no change."""
    path = tmp_path / NAME
    db = sqlite3.connect(str(path))
    db.execute("PRAGMA journal_mode=WAL")   # what the writer does first: the file is there, no table yet
    db.commit()
    try:
        assert query(path) == []
        out = subprocess.run([sys.executable, "-m", "statusboard", "history"], capture_output=True, text=True,
                             cwd=ROOT, env={**os.environ, "STATE_DIRECTORY": str(tmp_path), "PYTHONPATH": str(ROOT)},
                             timeout=60)
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith("no change since"), out.stdout
        assert "Traceback" not in out.stderr
    finally:
        db.close()


def test_a_burst_of_changes_is_written_at_most_once_a_second():
    site = Switch(200)
    try:
        targets = [f"s{i}: {{pixel: [{i % 8}, {i // 8}], http: '{site.url}'}}" for i in range(32)]
        names = [f"s{i}" for i in range(32)]

        def states() -> dict:   # each target's states as kept, oldest first
            out: dict = {name: [] for name in names}
            for change in query(history_path()) if history_path().exists() else []:
                out[change.target].append(change.state)
            return out

        with Running(board_text(*targets)) as runner:
            wait_for(lambda: all(kept[-1:] == ["up"] for kept in states().values()), what="every first state")
            # A loaded machine may see a check time out (0.3 s) now and then: one more change, kept as well.
            first = {name: len(kept) for name, kept in states().items()}
            before, started = runner.outputs.history.writes, time.monotonic()
            for status in (503, 200, 503, 200):   # every target flaps four times in about 2.5 s
                site.status = status
                wanted = "down" if status == 503 else "up"
                wait_for(lambda: all(runner.table.status(f"s{i}", time.monotonic()).state == wanted
                                     for i in range(32)), what=wanted)
            wait_for(lambda: all(len(kept) >= first[name] + 4 and kept[-1] == "up"
                                 for name, kept in states().items()), what="every change written")
            writes, took = runner.outputs.history.writes - before, time.monotonic() - started
        for name, kept in states().items():
            flaps = kept[first[name] - 1:]
            assert len(flaps) >= 5 and all(a != b for a, b in zip(flaps, flaps[1:])), (name, kept)   # every change
        assert writes <= took + 1, f"{writes} writes in {took:.1f} s: at most one a second"
    finally:
        site.stop()


def test_old_changes_are_pruned_on_their_own(tmp_path):
    path = tmp_path / NAME
    history = History(path, retention=3600.0)
    history.close()
    db = sqlite3.connect(path)
    with db:
        db.executemany("INSERT INTO changes VALUES (?, ?, ?, ?, ?, ?)",
                       [(int((time.time() - 7200) * 1e6), "old", "http", "down", "long ago", 0.1),
                        (int((time.time() - 60) * 1e6), "new", "http", "up", "a minute ago", 0.1)])
    db.close()
    history = History(path, retention=3600.0)   # prunes at its first write
    try:
        history._due.set()
        wait_for(lambda: [c.target for c in query(path)] == ["new"], what="the old change pruned")
    finally:
        history.close()


def _runs_on(text: str) -> str:
    """Run a board whose history cannot be written; return what it logged, once it checked a few times."""
    site = Switch(200)
    try:
        with Running(board_text(f"site: {{pixel: [0, 0], http: '{site.url}'}}").replace("URL", site.url)) as runner:
            wait_for(lambda: runner.table.latest().get("site"), what="a first check")
            first = checks_of(runner, "site")
            site.status = 503
            wait_for(lambda: runner.table.status("site", time.monotonic()).state == "down", what="checked on")
            wait_for(lambda: checks_of(runner, "site") > first + 1.0, what="still checking")
            assert runner.outputs.history.broken is not None
            return runner.outputs.history.broken
    finally:
        site.stop()


def test_a_corrupt_database_leaves_the_board_running_without_history(caplog):
    history_path().parent.mkdir(parents=True, exist_ok=True)
    history_path().write_bytes(b"this is not a database, it is what a failing SD card left" * 100)
    broken = _runs_on("")
    assert "file is not a database" in broken
    said = [r.getMessage() for r in caplog.records if r.name == "statusboard.history"]
    assert len(said) == 1 and said[0].endswith("the board goes on without history"), said


def test_a_locked_database_leaves_the_board_running_without_history(caplog):
    history_path().parent.mkdir(parents=True, exist_ok=True)
    holder = sqlite3.connect(history_path(), isolation_level=None)
    holder.execute("CREATE TABLE hold (x)")
    holder.execute("BEGIN EXCLUSIVE")   # another process holds the database
    try:
        broken = _runs_on("")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "locked" in broken
    assert len([r for r in caplog.records if r.name == "statusboard.history"]) == 1


def test_a_full_disk_leaves_the_board_running_without_history(tmp_path, monkeypatch, caplog):
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    small = tmp_path / "small"
    small.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(small)],
                      capture_output=True).returncode != 0:
        pytest.skip("this machine does not let a test mount a tmpfs")
    try:
        monkeypatch.setenv("STATE_DIRECTORY", str(small))
        (small / "filler").write_bytes(b"x" * (96 * 1024 - 8192))
        site = Switch(200)
        try:
            targets = [f"s{i}: {{pixel: [{i % 8}, {i // 8}], http: '{site.url}'}}" for i in range(40)]
            with Running(board_text(*targets)) as runner:
                wait_for(lambda: len(runner.table.latest()) == 40, what="every first check")
                for status in (503, 200, 503):
                    site.status = status
                    time.sleep(1.2)
                wait_for(lambda: runner.outputs.history.broken, what="history off")
                before = checks_of(runner, "s0")
                wait_for(lambda: checks_of(runner, "s0") > before, what="the board still checking")
        finally:
            site.stop()
        broken = runner.outputs.history.broken
        assert "full" in broken or "disk" in broken, broken
    finally:
        subprocess.run(["umount", "-l", str(small)], capture_output=True)


def test_a_reload_turns_history_off_and_on(tmp_path):
    site = Switch(200)
    try:
        config = tmp_path / "board.yaml"
        target = f"site: {{pixel: [0, 0], http: '{site.url}'}}"
        config.write_text(board_text(target, extra="history: {enabled: false}"))
        board = parse(config.read_text(), str(config))
        runner = Runner(board, FakeDisplay(board.display), keep_files=True)
        thread = threading.Thread(target=runner.run, daemon=True)
        thread.start()
        try:
            wait_for(lambda: runner.table.latest().get("site"), what="a first check")
            assert runner.outputs.history is None and not history_path().exists(), "no history kept"
            config.write_text(board_text(target, extra="history: {keep: 7d}"))
            runner.request_reload()
            wait_for(lambda: runner.outputs.history is not None, what="history on after the reload")
            site.status = 503
            wait_for(lambda: [c.state for c in query(history_path())] == ["up", "down"] if history_path().exists()
                     else None, what="the state when history began, and the change")
            assert runner.outputs.history.retention == 7 * 86400
        finally:
            runner.stop()
            thread.join(15)
    finally:
        site.stop()


def test_the_page_reads_the_history_a_reload_keeps_and_a_refused_reload_changes_nothing(tmp_path):
    site, port = Switch(200), free_port()
    try:
        config = tmp_path / "board.yaml"
        target = f"site: {{pixel: [0, 0], http: '{site.url}'}}"
        web = f"web: {{listen: '127.0.0.1:{port}'}}"

        def page() -> dict:
            return requests.get(f"http://127.0.0.1:{port}/api/history?target=site", timeout=5).json()

        config.write_text(board_text(target, extra=f"{web}\nhistory: {{enabled: false}}"))
        board = parse(config.read_text(), str(config))
        runner = Runner(board, FakeDisplay(board.display), keep_files=True)
        thread = threading.Thread(target=runner.run, daemon=True)
        thread.start()
        try:
            wait_for(lambda: runner.outputs.web.server is not None, what="the page served")
            assert page()["note"] == "no history is kept"
            config.write_text(board_text(target, extra=f"{web}\nhistory: {{keep: 7d}}"))
            runner.request_reload()
            wait_for(lambda: [c["state"] for c in page()["changes"]] == ["up"], what="the page reading the history")
            kept = runner.outputs.history
            config.write_text("targets: [not, a, mapping\n")
            runner.request_reload()
            wait_for(lambda: runner.refused == 1, what="the broken config refused")
            assert runner.outputs.history is kept and kept.retention == 7 * 86400, "a refused reload keeps it"
            config.write_text(board_text(target, extra=f"{web}\nhistory: {{enabled: false}}"))
            runner.request_reload()
            wait_for(lambda: runner.outputs.history is None, what="history off after the reload")
            assert page()["note"] == "no history is kept"
            site.status = 503
            wait_for(lambda: runner.table.status("site", time.monotonic()).state == "down", what="the change")
            time.sleep(1.5)   # an open history writes within a second (SPACING)
            assert [c.state for c in query(history_path())] == ["up"], "a history turned off keeps nothing more"
        finally:
            runner.stop()
            thread.join(15)
    finally:
        site.stop()
