"""The files a board keeps: the kept observations carry a version and a stable key, and a file written by an
earlier release is read where it can be."""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

from statusboard.daemon import Runner
from statusboard.display.fake import FakeDisplay
from statusboard.files import Files, load_observations
from statusboard.kinds import KINDS, load
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data"


def _board(tmp_path: Path, renamed_url: str = "http://127.0.0.1:9/new"):
    """The board release 038c56b kept its observations for, with one target's URL changed since."""
    text = (DATA / "kept-038c56b.yaml").read_text().replace("http://127.0.0.1:9/old", renamed_url)
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return load(str(path))


def test_a_kept_file_written_by_release_038c56b_is_read_and_upgraded(tmp_path, caplog):
    kept = Path(os.environ["STATE_DIRECTORY"]) / "observations.json"
    kept.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(DATA / "kept-038c56b.json", kept)
    board = _board(tmp_path)
    runner = Runner(board, FakeDisplay(board.display), keep_files=True)
    with caplog.at_level(logging.INFO):
        runner.restore()
    shown = runner.draw()
    assert {name: s.state for name, s in shown.items()} == {
        "web": "stale", "gateway": "stale", "api-3": "stale", "errors": "stale", "renamed": "unknown"}
    assert shown["api-3"].last == "stopped" and "i-0abc stopped" in shown["api-3"].detail
    assert shown["renamed"].detail == "waiting for the first check", "its check changed: what was kept is not its"
    assert any("written by an earlier release" in r.getMessage() for r in caplog.records)
    doc = json.loads(kept.read_text())
    assert doc["version"] == 2, "rewritten at once in this release's format"
    assert {o["target"]: o["check"] for o in doc["observations"]} == {
        t.name: t.fingerprint for t in board.targets if t.name != "renamed"}
    again, sound = load_observations(kept, board)
    assert sound and sorted(o.target for o in again) == ["api-3", "errors", "gateway", "web"]


def test_the_stable_key_names_what_is_watched_not_how_it_is_judged(tmp_path):
    board = _board(tmp_path)
    web = next(t for t in board.targets if t.name == "web")
    assert web.stable_key == '["http",{"url":"http://127.0.0.1:9/health"}]'
    api = next(t for t in board.targets if t.name == "api-3")
    assert api.stable_key == '["ec2",{"name":"api-3","region":"eu-west-1"}]'
    stricter = (DATA / "kept-038c56b.yaml").read_text().replace("slow: 800ms", "slow: 2s")
    (tmp_path / "stricter.yaml").write_text(stricter)
    changed = next(t for t in load(str(tmp_path / "stricter.yaml")).targets if t.name == "web")
    assert changed.fingerprint == web.fingerprint, "a new threshold keeps what was kept"
    assert changed.check_key != web.check_key, "... while a reload still checks it afresh"


def test_a_kept_file_from_a_newer_release_is_not_read_and_never_crashes(tmp_path, caplog):
    kept = Path(os.environ["STATE_DIRECTORY"]) / "observations.json"
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_text(json.dumps({"version": 99, "observations": [{"target": "web", "check": "x"}]}))
    board = _board(tmp_path)
    with caplog.at_level(logging.WARNING):
        assert Files(keep_files=True).restore(board) == []
    assert any("version 99" in r.getMessage() for r in caplog.records)


def test_a_kept_file_written_by_release_5411502_is_read_whole(tmp_path):
    """Release 5411502 named each check by the fingerprint of one global list of fields; every kind now names
    its own, and every target of every kind that release knew is still known by the same fingerprint."""
    kept = Path(os.environ["STATE_DIRECTORY"]) / "observations.json"
    kept.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(DATA / "kept-5411502.json", kept)
    board = load(str(DATA / "kept-5411502.yaml"))
    written = {o["target"]: o["check"] for o in json.loads(kept.read_text())["observations"]}
    assert {t.kind for t in board.targets} == set(KINDS), "one target of every kind"
    assert {t.name: t.fingerprint for t in board.targets} == written
    runner = Runner(board, FakeDisplay(board.display), keep_files=True)
    runner.restore()
    shown = runner.draw()
    assert {name: (s.state, s.last) for name, s in shown.items()} == {
        o["target"]: ("stale", o["state"]) for o in json.loads((DATA / "kept-5411502.json").read_text())["observations"]}
