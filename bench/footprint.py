"""Footprint of a running board: resident memory and CPU while nothing changes.

Starts `statusboard run --display fake` as its own process with 64 targets (32 HTTP on a local server,
32 ping to 127.0.0.x) at a 10 s interval, lets it run, and reads /proc: peak resident memory, and CPU
as a share of one core over the steady part of the run (after the first round). 127.0.0.1 only.

    python bench/footprint.py               # 60 s
    python bench/footprint.py --seconds 30
    python bench/footprint.py --layout hd   # 256 targets (128 HTTP, 128 ping) on a Unicorn HAT HD's 16x16
    python bench/footprint.py --threads     # and where the CPU goes: per thread, with its wake-ups

With --threads the board's threads carry their Python names into the kernel (Linux's prctl, set by a wrapper
that then runs the board as `python -m statusboard` does), so /proc tells the main loop, the scheduler and the
check workers apart: CPU and voluntary context switches (its wake-ups) per round of 10 s.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import Server  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
NAMED = """
import ctypes, sys, threading
libc = ctypes.CDLL(None)
started = threading.Thread.run
def run(self):
    libc.prctl(15, self.name.encode()[:15], 0, 0, 0)   # PR_SET_NAME
    started(self)
threading.Thread.run = run
from statusboard.__main__ import main
sys.exit(main(sys.argv[1:]))
"""


def threads(pid: int) -> Dict[str, List[float]]:
    """Per thread name (check workers as one): [CPU seconds, voluntary context switches, threads]."""
    out: Dict[str, List[float]] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            switches = next(int(line.split()[1]) for line in (task / "status").read_text().splitlines()
                            if line.startswith("voluntary_ctxt_switches"))
        except (OSError, StopIteration):
            continue
        key = "check workers" if name[6:].isdigit() and name.startswith("check-") else name
        key = "main loop" if task.name == str(pid) else key
        row = out.setdefault(key, [0.0, 0.0, 0.0])
        row[0] += (int(fields[11]) + int(fields[12])) / TICK
        row[1] += switches
        row[2] += 1
    return out


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def board_cpu(text: str, seconds: float, settle: float = 2.0, env: Optional[Dict[str, str]] = None) -> float:
    """Share of one core that `statusboard run` takes on this config over `seconds`, once `settle` seconds
    (its start and first round) have passed."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "board.yaml"
        path.write_text(text)
        full = {**os.environ, "PYTHONPATH": str(ROOT), "RUNTIME_DIRECTORY": str(Path(tmp) / "run"),
                "STATE_DIRECTORY": str(Path(tmp) / "lib"), **(env or {})}
        proc = subprocess.Popen([sys.executable, "-m", "statusboard", "run", "-c", str(path)], env=full,
                                stderr=subprocess.DEVNULL, cwd=ROOT)   # -m looks in the working directory first
        try:
            time.sleep(settle)
            cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
            time.sleep(seconds)
            return (cpu_seconds(proc.pid) - cpu0) / (time.monotonic() - t0)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=10)


SIZES = {"hat": (8, 8), "hd": (16, 16)}


def config(port: int, layout: str = "hat") -> str:
    width, height = SIZES[layout]
    lines = [f"display: {{driver: fake, layout: {layout}}}", "defaults: {interval: 10s, timeout: 2s}", "targets:"]
    for i in range(width * height):
        x, y = i % width, i // width
        if i % 2:
            lines.append(f"  t{i}: {{pixel: [{x}, {y}], ping: 127.0.{i // 250}.{i % 250 + 1}}}")
        else:
            lines.append(f"  t{i}: {{pixel: [{x}, {y}], http: 'http://127.0.0.1:{port}/ok'}}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description="memory and CPU of a running board")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--layout", choices=sorted(SIZES), default="hat", help="hat: 64 targets; hd: 256")
    parser.add_argument("--threads", action="store_true", help="CPU and wake-ups per thread, per round")
    args = parser.parse_args()
    server = Server()   # in this process; the board runs in its own
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "board.yaml"
        path.write_text(config(server.port, args.layout))
        env = {**os.environ, "PYTHONPATH": str(ROOT), "RUNTIME_DIRECTORY": str(Path(tmp) / "run"),
               "STATE_DIRECTORY": str(Path(tmp) / "lib")}
        command = ["-c", NAMED] if args.threads else ["-m", "statusboard"]
        proc = subprocess.Popen([sys.executable, *command, "run", "-c", str(path)], env=env,
                                stderr=subprocess.DEVNULL, cwd=ROOT)   # -m and -c look in the working directory first
        try:
            start = time.monotonic()
            peak = 0.0
            time.sleep(2.0)   # start-up and the first round (spread over the first second)
            cpu0, t0, before = cpu_seconds(proc.pid), time.monotonic(), threads(proc.pid)
            while time.monotonic() - start < args.seconds:
                peak = max(peak, rss_mb(proc.pid))
                time.sleep(0.5)
            after, took = threads(proc.pid), time.monotonic() - t0
            cpu = (cpu_seconds(proc.pid) - cpu0) / took
            peak = max(peak, rss_mb(proc.pid))
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=10)
            server.stop()
    count = SIZES[args.layout][0] * SIZES[args.layout][1]
    print(f"{count} targets ({count // 2} http, {count // 2} ping) every 10 s for {args.seconds:g} s: "
          f"peak resident memory {peak:.1f} MB, CPU {cpu * 100:.2f}% of one core (steady state)")
    if args.threads:
        rounds = took / 10
        for name, (spent, woken, count) in sorted(after.items(), key=lambda item: -item[1][0]):
            spent -= before.get(name, [0.0, 0.0])[0]
            woken -= before.get(name, [0.0, 0.0])[1]
            plural = "s" if count > 1 else ""
            print(f"  {name} ({count:.0f} thread{plural}): {spent * 1000 / rounds:.1f} ms of CPU and "
                  f"{woken / rounds:.1f} wake-ups per round ({spent / took * 100:.3f} % of one core)")


if __name__ == "__main__":
    main()
