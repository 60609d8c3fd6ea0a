"""Soak: a board of 64 targets, 16 of them flapping, for up to 15 minutes; does anything grow, is any change late?

The world (bench/world.py, a process of its own) serves 48 HTTP endpoints on 127.0.0.1: 16 switch between 200
and 500 at random (every 5 s on average, each on its own), a quarter of the rest accept and never answer;
16 more targets ping 127.0.0.x. The board (`statusboard run --display terminal --record FILE`, its own process,
its plain-text output thrown away; the fake display would keep every frame in memory)
checks every target every 1 s with a 1 s timeout and fail_after 1. Printed: resident memory, threads and open
files of the board after warm-up and at the end, and the change-to-frame latency (from a server's switch to
the first frame showing it) p50, p99 and max, with the number of switches seen and missed.

    python bench/soak.py                  # 10 minutes
    python bench/soak.py --minutes 2
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.footprint import rss_mb  # noqa: E402
from bench.world import World  # noqa: E402

UP, DOWN = [0, 255, 0], [255, 0, 0]


def threads_and_files(pid: int) -> Tuple[int, int]:
    """The number of threads and of open file descriptors of a process."""
    threads = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                   if line.startswith("Threads:"))
    return threads, len(os.listdir(f"/proc/{pid}/fd"))


def config(endpoints: List[Tuple[int, str]]) -> str:
    lines = ["display: {driver: terminal}", "defaults: {interval: 1s, timeout: 1s, fail_after: 1}", "targets:"]
    for i, (port, path) in enumerate(endpoints):
        lines.append(f"  t{i}: {{pixel: [{i % 8}, {i // 8}], http: 'http://127.0.0.1:{port}/{path}'}}")
    for i in range(len(endpoints), 64):
        lines.append(f"  t{i}: {{pixel: [{i % 8}, {i // 8}], ping: 127.0.0.{i + 1}}}")
    return "\n".join(lines) + "\n"


def latencies(switches: List[Dict], frames: List[Dict]) -> Tuple[List[float], int]:
    """For each switch, seconds until the first frame whose pixel shows it; and how many never showed
    (switched back before the board looked)."""
    out, missed = [], 0
    for n, switch in enumerate(switches):
        i, at = switch["i"], switch["t"]
        x, y = i % 8, i // 8
        want = UP if switch["up"] else DOWN
        following = next((s["t"] for s in switches[n + 1:] if s["i"] == i), float("inf"))
        shown = next((f["t"] for f in frames if at <= f["t"] < following and f["pixels"][y][x] == want), None)
        if shown is None:
            missed += 1
        else:
            out.append(shown - at)
    return out, missed


def percentile(values: List[float], share: float) -> float:
    """The value at a share (0-1) of the sorted values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description="soak a running board with flapping targets")
    parser.add_argument("--minutes", type=float, default=10.0)
    args = parser.parse_args()
    minutes = min(args.minutes, 15.0)
    with tempfile.TemporaryDirectory() as tmp:
        log, record = Path(tmp) / "switches.jsonl", Path(tmp) / "frames.jsonl"
        with World(48, ["--flap", "16", "--period", "5", "--log", str(log)]) as world:
            path = Path(tmp) / "board.yaml"
            path.write_text(config(world.endpoints))
            env = {**os.environ, "PYTHONPATH": str(ROOT), "RUNTIME_DIRECTORY": str(Path(tmp) / "run"),
                   "STATE_DIRECTORY": str(Path(tmp) / "lib")}
            proc = subprocess.Popen([sys.executable, "-m", "statusboard", "run", "-c", str(path), "--record",
                                     str(record)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    cwd=ROOT)
            try:
                time.sleep(15)   # warm-up: every kind of check has run, threads have started
                start = (rss_mb(proc.pid), *threads_and_files(proc.pid))
                began = time.time()
                time.sleep(max(0.0, minutes * 60 - 15))
                end = (rss_mb(proc.pid), *threads_and_files(proc.pid))
                ended = time.time()
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=10)
        switches = [s for s in map(json.loads, log.read_text().splitlines()) if began <= s["t"] <= ended - 3]
        frames = [json.loads(line) for line in record.read_text().splitlines()]
    got, missed = latencies(switches, frames)
    print(f"64 targets (16 flapping every ~5 s, 8 hung, 16 ping), interval 1 s, timeout 1 s, {minutes:g} min")
    print(f"  resident memory {start[0]:.1f} MB -> {end[0]:.1f} MB; threads {start[1]} -> {end[1]}; "
          f"open files {start[2]} -> {end[2]}")
    print(f"  change to frame: p50 {percentile(got, 0.5):.2f} s, p99 {percentile(got, 0.99):.2f} s, "
          f"max {max(got, default=float('nan')):.2f} s over {len(got)} switches "
          f"({missed} switched back before a check could see them)")


if __name__ == "__main__":
    main()
