"""The offline demo reaches every state through the real checks, with its schedule sped up."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from statusboard.kinds import STATES
from tests import netns
from tests.cgroup import cpu_group
from tests.conftest import ROOT

pytestmark = pytest.mark.slow   # each runs a whole install or demo, 10 s or more


@pytest.mark.parametrize("cpu", ["free", "60% of a core"])
def test_demo_shows_every_state_and_stops_cleanly(tmp_path, cpu):
    """On a machine as busy as it gets, too: the fleet's schedule starts once the board has checked it, so its
    transitional states (web-2 `stopping` is a second long at --speed 4) do not pass while the board starts."""
    pytest.importorskip("moto", reason="the demo's EC2 fleet needs the demo extra (moto)")
    # 60 % of one core: a board starting on a loaded machine
    group = None if cpu == "free" else cpu_group(60, "statusboard-test-demo")
    command = [sys.executable, "-m", "statusboard", "demo", "--speed", "4", "--seconds", "16"]
    start = time.monotonic()
    try:
        done = subprocess.run(group.command(command) if group else command, capture_output=True, text=True,
                              cwd=ROOT, timeout=90,
                              env={**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path)})
    finally:
        if group is not None:
            group.close()   # empty once the demo has ended
    assert done.returncode == 0, done.stderr[-2000:]
    assert time.monotonic() - start < 40, "Ctrl-C or the end stops the board and everything it started"
    seen = set(re.findall(r"^\[\d,\d\] \S+\s+(\S+)", done.stdout, re.M))   # the board, as it began and ended
    seen |= set(re.findall(r"^\d\d:\d\d:\d\d \[\d,\d\] \S+: (?:\S+ -> )?(\S+) \(", done.stdout, re.M))   # changes
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


def test_the_demo_in_an_80x24_terminal_fits_and_ends_quietly_at_ctrl_c():
    """A newcomer's terminal: every frame fits 24 lines (the top never scrolls away), log messages show under
    the board, and Ctrl-C stops it without a last warning written below it."""
    pytest.importorskip("moto", reason="the demo's EC2 fleet needs the demo extra (moto)")
    import fcntl
    import pty
    import select
    import signal
    import struct
    import termios
    pid, fd = pty.fork()
    if pid == 0:   # the child: the demo on the terminal
        os.chdir(ROOT)
        os.environ.update({"PYTHONPATH": str(ROOT), "TERM": "xterm", "COLUMNS": "80", "LINES": "24"})
        os.execv(sys.executable, [sys.executable, "-m", "statusboard", "demo", "--speed", "4"])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    out, start, stopped = b"", time.monotonic(), False
    while time.monotonic() - start < 40:
        if not stopped and time.monotonic() - start > 10:
            os.kill(pid, signal.SIGINT)
            stopped = True
        if select.select([fd], [], [], 0.2)[0]:
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            out += data
    done, status, end = 0, 0, time.monotonic() + 10
    while not done and time.monotonic() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        time.sleep(0.05)
    if not done:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("the demo did not stop within 30 s of Ctrl-C")
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    text = out.decode("utf-8", "replace")
    # Whole frames only: the pty may lose the tail of what was written as the process ends.
    frames = [re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", f.split("\x1b[J")[0]) for f in text.split("\x1b[H")[1:]
              if "\x1b[J" in f]
    assert len(frames) > 3
    for frame in frames:
        lines = frame.split("\n")[:-1]
        assert len(lines) <= 23, f"{len(lines)} lines:\n" + "\n".join(lines)
    assert "statusboard demo" in frames[-1] and "[7,1] no-keys" in frames[-1]
    tail = text.rsplit("\x1b[J", 1)[1].split("\x1b[H")[0]   # a frame cut off as the pty ended is no writing after
    after = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", tail)
    assert after.strip() == "", f"written after the last frame: {after[:300]!r}"


def test_the_demo_says_in_one_line_which_stores_it_left_out(tmp_path, monkeypatch):
    """Where Prometheus or InfluxDB is not installed the demo runs without their pixels, and says why."""
    from statusboard.demo import stores
    monkeypatch.setattr(stores.shutil, "which", lambda name: None)
    left = stores.Stores(tmp_path, 1, 1.0)
    assert (left.prometheus, left.influxdb) == (None, None)
    assert left.missing == ("Prometheus (no prometheus binary: sudo apt install prometheus); "
                            "InfluxDB (no influxd binary: sudo apt install influxdb)")


def test_sigterm_before_the_seconds_are_up_stops_the_demo_at_once():
    """`demo --seconds 120` stopped after a few seconds ends then, not when the 120 s would have."""
    pytest.importorskip("moto", reason="the demo's EC2 fleet needs the demo extra (moto)")
    import signal
    proc = subprocess.Popen([sys.executable, "-m", "statusboard", "demo", "--display", "fake", "--speed", "4",
                             "--seconds", "120"], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        time.sleep(10)
        asked = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert time.monotonic() - asked < 15, "the demo's own end must not hold up a stop"
    finally:
        if proc.poll() is None:
            proc.kill()
