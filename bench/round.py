"""One round of HTTP checks against N local servers, a quarter of which never answer.

Prints the round's time divided by the timeout T (1.0 is the limit: the slowest check's own timeout),
for statusboard's concurrent round and, as the baseline, for one target after another.
The servers run in a child process on 127.0.0.1 (bench/world.py); every fourth one never answers.

    python bench/round.py                          # N = 64 and 256, T = 1 s, with the baseline
    python bench/round.py --sizes 256 --concurrency 128 --no-baseline
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path
from typing import List, Sequence, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.world import World  # noqa: E402
from statusboard.kinds import make_checks  # noqa: E402
from statusboard.config.board import DEFAULT_CONCURRENCY
from statusboard.kinds import parse
from statusboard.model import Target  # noqa: E402
from statusboard.scheduler import Scheduler  # noqa: E402
from statusboard.table import StateTable  # noqa: E402


def targets_for(endpoints: Sequence[Tuple[int, str]], timeout: float) -> List[Target]:
    """One HTTP target per endpoint; a HAT has 64 pixels, so each 64 is read as a board of its own."""
    out: List[Target] = []
    for first in range(0, len(endpoints), 64):
        lines = [f"defaults: {{interval: 60s, timeout: {timeout}s}}", "targets:"]
        for i, (port, path) in enumerate(endpoints[first:first + 64]):
            lines.append(f"  t{first + i}: {{pixel: [{i % 8}, {i // 8}], http: 'http://127.0.0.1:{port}/{path}'}}")
        out.extend(parse("\n".join(lines) + "\n", "bench.yaml").targets)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="one round of HTTP checks, time / timeout")
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--timeout", type=float, default=1.0)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY,
                        help="the bound on checks at once (config key `concurrency`; default %(default)s)")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    checks = make_checks(["http"])
    for n in args.sizes:
        with World(n) as world:
            targets = targets_for(world.endpoints, args.timeout)
            table = StateTable(targets)
            sched = Scheduler(targets, checks, table.record, args.concurrency)
            start = time.monotonic()
            sched.run_once()
            took = time.monotonic() - start
            states = dict(Counter(s.state for s in table.snapshot(time.monotonic()).values()))
            print(f"N={n:<4} T={args.timeout:g} s  concurrent round:   {took:7.2f} s = {took / args.timeout:6.2f} x T"
                  f"   (concurrency {args.concurrency}; {states})", flush=True)
            if not args.no_baseline:
                start = time.monotonic()
                for target in targets:
                    checks["http"].observe(target)
                took = time.monotonic() - start
                print(f"N={n:<4} T={args.timeout:g} s  one after another: {took:7.2f} s = "
                      f"{took / args.timeout:6.2f} x T", flush=True)


if __name__ == "__main__":
    main()
