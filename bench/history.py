"""What the history writes to an SD card: a 64-target board where 16 targets flap every minute (each goes down
and comes back up: 32 changes a minute, in two bursts), through the real History writer and SQLite (WAL).

Prints the bytes written per day (extrapolated from the minutes simulated; SQLite's own writes, counted by the
kernel as this process's write() bytes), the writes (transactions) per day, and the database's size per day.
The minutes are simulated faster than real time, but each burst still waits for the writer's one-second spacing.

    python bench/history.py              # 30 simulated minutes
    python bench/history.py --minutes 60
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from statusboard.history import NAME, History  # noqa: E402
from statusboard.kinds import parse  # noqa: E402
from statusboard.model import Observation  # noqa: E402
from statusboard.table import Status  # noqa: E402
from statusboard.vocabulary import Severity  # noqa: E402


def written() -> int:
    """Bytes this process has passed to write() so far."""
    with open("/proc/self/io") as io:
        return int(next(line for line in io if line.startswith("wchar:")).split()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description="what the history writes")
    parser.add_argument("--minutes", type=int, default=30)
    args = parser.parse_args()
    lines = ["targets:"] + [f"  t{i}: {{pixel: [{i % 8}, {i // 8}], http: 'http://127.0.0.1:1/{i}'}}"
                            for i in range(64)]
    board = parse("\n".join(lines) + "\n", "bench.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / NAME
        clock = [time.time()]
        history = History(path, retention=30 * 86400.0, clock=lambda: clock[0])

        def snapshot(down: bool) -> SimpleNamespace:
            statuses, latest = {}, {}
            for i, target in enumerate(board.targets):
                state = "down" if down and i < 16 else "up"
                detail = "HTTP 503 in 12 ms" if state == "down" else "HTTP 200 in 3 ms"
                severity = Severity.CRITICAL if state == "down" else Severity.OK
                statuses[target.name] = Status(state, severity, detail, clock[0])
                latest[target.name] = Observation(target.name, state, severity, detail, clock[0], time.monotonic(),
                                                  took=0.012)
            return SimpleNamespace(board=board, statuses=statuses, latest=latest)

        history.update(snapshot(False))   # every target's first state
        time.sleep(1.2)
        before, writes = written(), history.writes
        for _minute in range(args.minutes):
            for down in (True, False):    # 16 targets go down, then come back up, within the minute
                clock[0] += 30
                history.update(snapshot(down))
                time.sleep(1.05)          # the writer's spacing
        time.sleep(1.2)
        spent, done = written() - before, history.writes - writes
        history.close()
        size = path.stat().st_size + sum(p.stat().st_size for p in path.parent.glob(NAME + "-*"))
        scale = 1440 / args.minutes
        print(f"64 targets, 16 flapping every minute ({args.minutes} minutes simulated): "
              f"{spent * scale / 1e6:.1f} MB written a day in {done * scale:.0f} writes "
              f"({spent / max(done, 1) / 1024:.1f} KB a write); the database grows {size * scale / 1e6:.1f} MB a day "
              f"(pruned after 30 days)", flush=True)


if __name__ == "__main__":
    main()
