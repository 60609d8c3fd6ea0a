"""CloudWatch refreshes against moto's server: DescribeAlarms requests per refresh for 64 alarm pixels over
3 regions, counted at the server, against the pages the alarms fill; and the time of one refresh.

Each region is served by its own moto process on 127.0.0.1 (reached through a profile's endpoint_url).

    python bench/cloudwatch.py                    # 10, 250 and 1,000 alarms per region
    python bench/cloudwatch.py --latency 50       # each API answer 50 ms away, like a real region
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ec2 import REGIONS, Moto, use_local_aws  # noqa: E402

PAGE = 100   # the most alarms DescribeAlarms returns in one page


def board_text(regions: List[str], per_region: int, mixed: bool) -> str:
    """64 alarm pixels spread over the regions: single alarms by name; with `mixed`, a prefix pixel per region
    too, so that region's stream asks for every alarm."""
    lines = ["display: {driver: fake}", "defaults: {interval: 30s, timeout: 10s}", "targets:"]
    n = 0
    for r, region in enumerate(regions):
        share = 64 // len(regions) + (1 if r < 64 % len(regions) else 0)
        for k in range(share):
            if mixed and k == 0:
                spec = f"{{prefix: alarm-, region: {region}, profile: {region}}}"
            else:
                spec = f"{{name: alarm-{k % per_region:04d}, region: {region}, profile: {region}}}"
            lines.append(f"  p{n}: {{pixel: [{n % 8}, {n // 8}], cloudwatch: {spec}}}")
            n += 1
    return "\n".join(lines) + "\n"


def put_alarms(region: str, count: int) -> None:
    import boto3
    client = boto3.Session(profile_name=region).client("cloudwatch")
    for i in range(count):
        client.put_metric_alarm(AlarmName=f"alarm-{i:04d}", MetricName="Errors", Namespace="AWS/Lambda",
                                Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
                                ComparisonOperator="GreaterThanThreshold")


def main() -> None:
    parser = argparse.ArgumentParser(description="CloudWatch refreshes against moto")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 250, 1000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.0, help="ms each moto server waits before answering")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    servers = {region: Moto(args.latency / 1000) for region in REGIONS}
    print(f"moto answers after {args.latency:g} ms; 64 alarm pixels over {len(REGIONS)} regions", flush=True)
    use_local_aws(tmp, servers)
    from statusboard.kinds import make_checks
    from statusboard.kinds import parse
    from statusboard.scheduler import Scheduler
    from statusboard.table import StateTable
    try:
        for size in args.sizes:
            for region, moto in servers.items():
                moto.reset()
                put_alarms(region, size)
            for mixed in (False, True):
                board = parse(board_text(REGIONS, size, mixed), "bench.yaml")
                table = StateTable(board.targets)
                sched = Scheduler(board.targets, make_checks(["cloudwatch"], aws=board.aws), table.record)
                sched.run_once()   # clients made: the steady state of a running board
                before = {r: servers[r].counts().get("DescribeAlarms", 0) for r in REGIONS}
                took = []
                for _ in range(args.repeat):
                    start = time.monotonic()
                    sched.run_once()
                    took.append(time.monotonic() - start)
                asked = {r: (servers[r].counts().get("DescribeAlarms", 0) - before[r]) / args.repeat for r in REGIONS}
                named = min(size, 64 // len(REGIONS) + 1)
                pages = -(-size // PAGE) if mixed else -(-named // PAGE)
                states = sorted({s.state for s in table.snapshot(time.monotonic()).values()})
                what = "names and a prefix (every alarm)" if mixed else "names only"
                print(f"{size:>5} alarms per region, {what}: DescribeAlarms per refresh per region "
                      f"{sorted(set(asked.values()))}, pages the answer fills {pages}; refresh "
                      f"{statistics.median(took):.3f} s (median of {args.repeat}); states {states}", flush=True)
    finally:
        for moto in servers.values():
            moto.close()


if __name__ == "__main__":
    main()
