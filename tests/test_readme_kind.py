"""The README's recipe for a new kind works as written: its `tcp` module, taken from README.md, holds the kinds'
contract, checks a real socket on 127.0.0.1, and with the recipe's one line reaches the board as a kind."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import List

import pytest

from statusboard import config
from statusboard.errors import ConfigError
from statusboard.kinds import KINDS, MODULES, register
from statusboard.kinds.kind import Check, Context, Kind
from tests.conftest import ROOT
from tests.test_conformance import holds_the_contract

SAVE_AS = "Save it as `statusboard/kinds/tcp.py`:"


def how_it_works() -> str:
    """README's "How it works" section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("\n## How it works\n")
    return text[start:text.index("\n## ", start + 1)]


def code_blocks(text: str, language: str) -> List[str]:
    """The fenced blocks of a language, in order."""
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.S | re.M)


def recipe() -> str:
    """The kind module the README tells a newcomer to save, as written there."""
    section = how_it_works()
    assert SAVE_AS in section, "README's How it works says where the new kind's module goes"
    return code_blocks(section[section.index(SAVE_AS):], "python")[0]


def registry_line() -> str:
    """The registry's line as the README tells a newcomer to write it."""
    section = how_it_works()
    return next(block for block in code_blocks(section, "python") if block.startswith("MODULES = ("))


@pytest.fixture
def tcp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Kind:
    """The README's kind, loaded by the registry from a package of its own."""
    package = tmp_path / "readme_recipe"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "tcp.py").write_text(recipe())
    monkeypatch.syspath_prepend(str(tmp_path))
    return register(("tcp",), package="readme_recipe")["tcp"]


def board(tcp: Kind, value: str) -> config.Board:
    """A board of one tcp target, checked by config as config.yaml would be."""
    return config.parse(f"targets:\n  db: {{pixel: [0, 0], timeout: 3s, tcp: '{value}'}}\n", "config.yaml",
                        {**KINDS, "tcp": tcp})


def test_the_readmes_kind_holds_the_contract(tcp):
    holds_the_contract(tcp, {**KINDS, "tcp": tcp})


def test_the_readmes_kind_checks_a_real_socket(tcp):
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen(1)
    port = listening.getsockname()[1]
    target = board(tcp, f"127.0.0.1:{port}").targets[0]
    assert (target.kind, tcp.spec_of(target).describe()) == ("tcp", f"127.0.0.1:{port}")
    check = tcp.make(Context(states=config.states_of({**KINDS, "tcp": tcp})))
    assert isinstance(check, Check)
    seen = check.observe(target, time.monotonic() + target.timeout)
    assert (seen.target, seen.state, seen.severity.value) == ("db", "up", "ok"), seen
    assert re.fullmatch(r"connected in \d+ ms", seen.detail), seen.detail
    listening.close()   # nothing listens there now: refused
    seen = check.observe(target)
    assert (seen.state, seen.severity.value, seen.detail) == ("down", "critical", "no connection: Connection refused")


def test_a_mistake_in_a_tcp_target_is_told_with_its_place(tcp):
    for wrong in ("db.example.com", "db.example.com:http", ":5432", "db.example.com:70000"):
        with pytest.raises(ConfigError) as told:
            board(tcp, wrong)
        assert f"config.yaml:2: targets.db.tcp: expected HOST:PORT, like db.example.com:5432, got '{wrong}'" in str(
            told.value)


def test_the_readmes_registry_line_is_the_registrys_with_the_new_word():
    shown = ast.literal_eval(registry_line().split("=", 1)[1].strip())
    assert shown == (*MODULES, "tcp"), "README shows the registry's line as it is, with tcp added at its end"
    source = (ROOT / "statusboard" / "kinds" / "__init__.py").read_text(encoding="utf-8")
    assert re.search(r"^MODULES = \(", source, flags=re.M), "the line the README names is in kinds/__init__.py"


def test_the_readmes_module_and_line_make_a_kind_the_board_runs(tmp_path):
    """Following the recipe in a copy of the package (its module, its word on the line), `run --once` checks a
    tcp target: config, the registry, the scheduler and the state the board shows all take it."""
    copy = tmp_path / "src"
    shutil.copytree(ROOT / "statusboard", copy / "statusboard", ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "statusboard/kinds/tcp.py").write_text(recipe())
    init = copy / "statusboard/kinds/__init__.py"
    text = init.read_text(encoding="utf-8")
    line = re.search(r"^MODULES = \(.*\)$", text, flags=re.M)
    assert line, "the registry's line is one line"
    init.write_text(text.replace(line.group(0), registry_line().strip()))
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen(1)
    port = listening.getsockname()[1]
    (tmp_path / "config.yaml").write_text(f"targets:\n  db: {{pixel: [0, 0], tcp: '127.0.0.1:{port}'}}\n")
    env = dict(os.environ, PYTHONPATH=str(copy), RUNTIME_DIRECTORY=str(tmp_path / "run"),
               STATE_DIRECTORY=str(tmp_path / "lib"))
    try:
        done = subprocess.run([sys.executable, "-m", "statusboard", "run", "--once", "--json", "--display", "fake",
                               "-c", str(tmp_path / "config.yaml")], capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=120)
    finally:
        listening.close()
    assert done.returncode == 0, done.stderr
    (db,) = json.loads(done.stdout)["targets"]
    assert (db["kind"], db["state"]) == ("tcp", "up"), db
