"""What the page's history costs: `/api/history` of a 256-target board (the HD layout) over 30 days of flapping.

The history is made first, through SQLite as the board writes it: 64 of the 256 targets flap for 30 days (down
for a minute, up for a minute: one change a minute each, 2.8 million changes, about 150 MB), the others keep
their state. Then a real board (`statusboard run`, its page on 127.0.0.1) starts on it, and the bench times, over
HTTP, the page's own question (`/api/history?limit=0`: every target's 24-hour bar and uptime over 24 h, 7 d and
30 d) the first time (the whole history read once, in the background from the start) and then warm, and the
plain `/api/history` (the newest 10,000 changes as well), and one target's detail (`?target=t0`).

    python bench/page_history.py            # 30 days, 64 flapping targets
    python bench/page_history.py --days 7
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from statusboard.demo.stores import free_port  # noqa: E402
from statusboard.history import NAME, SCHEMA  # noqa: E402

TARGETS = 256


def make_history(path: Path, days: float, flapping: int) -> int:
    """The history of `days` of flapping, as the board writes it; the number of changes."""
    db = sqlite3.connect(str(path))
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(SCHEMA)
    now = time.time()
    start = now - days * 86400
    key = int(start * 1e6)
    rows: List[Tuple] = []
    for i in range(TARGETS):
        key += 1
        rows.append((key, f"t{i}", "http", "up", "HTTP 200 in 3 ms", 0.003))
    count, minute = len(rows), 0
    while start + (minute + 1) * 60 < now - 120:
        minute += 1
        down = minute % 2 == 1
        for i in range(flapping):
            key = max(key + 1, int((start + minute * 60) * 1e6) + i)
            rows.append((key, f"t{i}", "http", "down" if down else "up",
                         "HTTP 503 in 12 ms" if down else "HTTP 200 in 3 ms", 0.012 if down else 0.003))
        if len(rows) >= 200000:
            db.executemany("INSERT INTO changes VALUES (?, ?, ?, ?, ?, ?)", rows)
            db.commit()
            count += len(rows)
            rows = []
    db.executemany("INSERT INTO changes VALUES (?, ?, ?, ?, ?, ?)", rows)
    db.commit()
    db.close()
    return count + len(rows) - TARGETS


def timed(url: str) -> Tuple[float, int]:
    """(seconds, bytes) of one answer."""
    started = time.monotonic()
    answer = requests.get(url, timeout=600)
    answer.raise_for_status()
    return time.monotonic() - started, len(answer.content)


def main() -> None:
    parser = argparse.ArgumentParser(description="what /api/history costs on a long, flapping history")
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--flapping", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        lib = Path(tmp) / "lib"
        lib.mkdir()
        started = time.monotonic()
        changes = make_history(lib / NAME, args.days, args.flapping)
        size = (lib / NAME).stat().st_size / 1e6
        print(f"history: {changes:,} changes over {args.days:g} days ({args.flapping} of {TARGETS} targets flapping "
              f"once a minute), {size:.0f} MB, made in {time.monotonic() - started:.0f} s", flush=True)
        port = free_port()
        lines = [f"web: {{listen: 127.0.0.1:{port}}}", "display: {layout: hd}",
                 "defaults: {interval: 10m, timeout: 1s}", "targets:"]
        lines += [f"  t{i}: {{pixel: [{i % 16}, {i // 16}], http: 'http://127.0.0.1:1/{i}'}}" for i in range(TARGETS)]
        config = Path(tmp) / "board.yaml"
        config.write_text("\n".join(lines) + "\n")
        env = {**os.environ, "PYTHONPATH": str(ROOT), "RUNTIME_DIRECTORY": str(Path(tmp) / "run"),
               "STATE_DIRECTORY": str(lib)}
        proc = subprocess.Popen([sys.executable, "-m", "statusboard", "run", "--display", "fake", "-c", str(config)],
                                env=env, stderr=subprocess.DEVNULL, cwd=ROOT)
        base = f"http://127.0.0.1:{port}"
        try:
            begun = time.monotonic()
            while True:
                try:
                    if requests.get(base + "/api/state", timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                time.sleep(0.2)
            first, size_first = timed(base + "/api/history?limit=0")
            print(f"/api/history?limit=0, the first answer: {first:.2f} s after the page came up "
                  f"({time.monotonic() - begun:.1f} s after the board started), {size_first / 1e3:.0f} KB", flush=True)
            for label, path in (("/api/history?limit=0 (the page's bars and uptime)", "/api/history?limit=0"),
                                ("/api/history (and the newest 10,000 changes)", "/api/history"),
                                ("/api/history?target=t0 (one target's detail)", "/api/history?target=t0")):
                runs = [timed(base + path) for _ in range(10)]
                times = sorted(t for t, _ in runs)
                print(f"{label}, warm, 10 answers: median {statistics.median(times) * 1000:.0f} ms, "
                      f"worst {times[-1] * 1000:.0f} ms, {runs[0][1] / 1e3:.0f} KB", flush=True)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
