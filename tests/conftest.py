"""Shared fixtures: real local servers, boards built from YAML text, and a steppable clock."""

from __future__ import annotations

import shutil
import sys
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, List

import pytest

from statusboard.config import Board
from statusboard.kinds import parse
from tests import servers

if TYPE_CHECKING:
    from tests import aws

ROOT = Path(__file__).resolve().parent.parent


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def step(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def web() -> Iterator[servers.Server]:
    server = servers.Server()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tls_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Server]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed, so no self-signed certificate can be made")
    yield from servers.tls_server(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def moto() -> Iterator["aws.MotoServer"]:
    """moto's server on 127.0.0.1 for the whole session."""
    from tests import aws
    server = aws.MotoServer()
    yield server
    server.stop()


@pytest.fixture
def cloud(moto, monkeypatch):
    """A clean moto, and the environment boto3 uses to reach it (nothing of the machine's own AWS setup)."""
    import os

    import requests

    from tests import aws
    requests.post(f"{moto.url}/moto-api/reset", timeout=10)
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    for key, value in aws.env(moto.url).items():
        monkeypatch.setenv(key, value)
    moto.reset_counts()
    return moto


@pytest.fixture
def silent_port() -> Iterator[int]:
    sock = servers.silent_socket()
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture
def refused_port() -> Iterator[int]:
    sock = servers.refused_socket()
    yield sock.getsockname()[1]
    sock.close()


def board_from(text: str, path: str = "test.yaml") -> Board:
    """A Board from YAML text (dedented)."""
    return parse(textwrap.dedent(text), path)


@pytest.fixture(autouse=True)
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test's board keeps its state file and observations in the test's own directories."""
    monkeypatch.setenv("RUNTIME_DIRECTORY", str(tmp_path / "run"))
    monkeypatch.setenv("STATE_DIRECTORY", str(tmp_path / "lib"))
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)


@pytest.fixture
def python() -> List[str]:
    """The command that runs statusboard's CLI with this interpreter."""
    return [sys.executable, "-m", "statusboard"]


def wait_for(predicate, timeout=15.0, what="a condition"):
    """Poll predicate until it returns something true, and return that; fail the test at the timeout, saying the
    last value it returned."""
    end = time.monotonic() + timeout
    got = None
    while time.monotonic() < end:
        got = predicate()
        if got:
            return got
        time.sleep(0.05)
    shown = repr(got)
    pytest.fail(f"timed out after {timeout:g} s waiting for {what}; the last value seen was "
                f"{shown if len(shown) <= 2000 else shown[:2000] + ' ...'}")
