"""The offline demo reaches every state through the real checks, with its schedule sped up."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from statusboard.states import STATES
from tests import netns
from tests.conftest import ROOT


def test_demo_shows_every_state_and_stops_cleanly(tmp_path):
    pytest.importorskip("moto", reason="the demo's EC2 fleet needs the demo extra (moto)")
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "statusboard", "demo", "--speed", "4", "--seconds", "16"],
                          capture_output=True, text=True, cwd=ROOT, timeout=90,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert time.monotonic() - start < 40, "Ctrl-C or the end stops the board and everything it started"
    seen = set(re.findall(r"^\[\d,\d\] \S+\s+(\S+)", done.stdout, re.M))
    assert seen == set(STATES), f"missing: {sorted(set(STATES) - seen)}"
    assert "Traceback" not in done.stderr
    assert not list(tmp_path.iterdir()), "the demo leaves no files behind"


@pytest.mark.parametrize("layout, size", [("hd", 256), ("mini", 119)])
def test_demo_fills_a_larger_board(layout, size):
    pytest.importorskip("moto", reason="the demo's EC2 fleet needs the demo extra (moto)")
    done = subprocess.run([sys.executable, "-m", "statusboard", "demo", "--layout", layout, "--speed", "4",
                           "--seconds", "10"], capture_output=True, text=True, cwd=ROOT, timeout=90,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    last = done.stdout.rsplit("--- statusboard demo", 1)[1]
    legend = re.findall(r"^\[\d+,\d+\] (\S+)\s+(\S+)", last, re.M)
    assert len(legend) == size, "every pixel is a target"
    states = {state for _, state in legend}
    assert {"up", "down", "running", "ok"} <= states, states
    waiting = [name for name, state in legend if name.startswith("fill-") and state == "unknown"]
    assert not waiting, f"every filled pixel has been checked: {waiting[:5]}"


def test_a_user_who_may_not_ping_gets_a_filled_board_without_pinged_pixels():
    """Not root, and not in net.ipv4.ping_group_range: the demo's filled board leaves ping out and says why."""
    pytest.importorskip("moto", reason="the demo's EC2 fleet needs the demo extra (moto)")
    if netns.why_not():
        pytest.skip(netns.why_not())
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is not installed")
    ns = netns.Namespace()
    try:
        ns.exec("sysctl", "-qw", "net.ipv4.ping_group_range=1 0")   # nobody may open a ping socket here
        done = ns.exec("env", f"PYTHONPATH={ROOT}", "HOME=/nonexistent", "setpriv",
                       "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-m", "statusboard",
                       "demo", "--layout", "mini", "--speed", "4", "--seconds", "10", check=False, timeout=90)
    finally:
        ns.close()
    assert done.returncode == 0, done.stderr[-2000:]
    assert "this user may not ping" in done.stderr
    last = done.stdout.rsplit("--- statusboard demo", 1)[1]
    legend = re.findall(r"^\[\d+,\d+\] (\S+)\s+(\S+)", last, re.M)
    assert len(legend) == 119
    waiting = [name for name, state in legend if name.startswith("fill-") and state == "unknown"]
    assert not waiting, f"every filled pixel has been checked: {waiting[:5]}"
