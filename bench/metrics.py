"""CloudWatch metric pixels against moto's server: GetMetricData requests per round, counted at the server, and
the board's own CPU per metric pixel per round.

Each region is served by its own moto process on 127.0.0.1 (reached through a profile's endpoint_url); the
server holds AWS's limit of 500 queries a request. The CPU is this process's (the board's checks, botocore's
signing and parsing), not moto's.

    python bench/metrics.py                  # 64 pixels over 3 regions, then 600 pixels of one region
    python bench/metrics.py --latency 50     # each API answer 50 ms away, like a real region
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ec2 import REGIONS, Moto, use_local_aws  # noqa: E402

FUNCTIONS = 32   # Lambda functions with a point each, per region


def board_text(regions: List[str]) -> str:
    """64 metric pixels spread over the regions, each a function's concurrency against thresholds."""
    lines = ["display: {driver: fake}", "defaults: {interval: 30s, timeout: 10s}", "targets:"]
    for n in range(64):
        region = regions[n % len(regions)]
        lines.append(f"  p{n}: {{pixel: [{n % 8}, {n // 8}], metric: {{namespace: AWS/Lambda, name: "
                     f"ConcurrentExecutions, dimensions: {{FunctionName: fn-{n % FUNCTIONS}}}, stat: Maximum, "
                     f"region: {region}, profile: {region}, above: {{warn: 200, critical: 300}}}}}}")
    return "\n".join(lines) + "\n"


def put_points(region: str) -> None:
    """A point 90 s ago for each function: inside every pixel's window, in a finished minute."""
    import boto3
    client = boto3.Session(profile_name=region).client("cloudwatch")
    at = datetime.fromtimestamp((time.time() // 60) * 60 - 90, timezone.utc)
    for i in range(FUNCTIONS):
        client.put_metric_data(Namespace="AWS/Lambda", MetricData=[{
            "MetricName": "ConcurrentExecutions", "Value": 10.0 * i, "Timestamp": at,
            "Dimensions": [{"Name": "FunctionName", "Value": f"fn-{i}"}]}])


def requests_of(servers: Dict[str, Moto]) -> Dict[str, int]:
    return {r: servers[r].counts().get("GetMetricData", 0) for r in servers}


def main() -> None:
    parser = argparse.ArgumentParser(description="CloudWatch metric pixels against moto")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.0, help="ms each moto server waits before answering")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    servers = {region: Moto(args.latency / 1000) for region in REGIONS}
    print(f"moto answers after {args.latency:g} ms; {args.rounds} rounds", flush=True)
    use_local_aws(tmp, servers)
    from statusboard.kinds import make_checks, parse
    from statusboard.scheduler import Scheduler
    from statusboard.table import StateTable
    try:
        for region in REGIONS:
            put_points(region)
        board = parse(board_text(REGIONS), "bench.yaml")
        table = StateTable(board.targets)
        sched = Scheduler(board.targets, make_checks(["metric"], aws=board.aws), table.record)
        sched.run_once()   # clients made: the steady state of a running board
        before = requests_of(servers)
        cpu0, took = time.process_time(), []
        for _ in range(args.rounds):
            start = time.monotonic()
            sched.run_once()
            took.append(time.monotonic() - start)
        cpu = time.process_time() - cpu0
        after = requests_of(servers)
        per_region = sorted({(after[r] - before[r]) / args.rounds for r in REGIONS})
        states = sorted({s.state for s in table.snapshot(time.monotonic()).values()})
        print(f"64 metric pixels over {len(REGIONS)} regions: GetMetricData per round per region {per_region}; "
              f"round {statistics.median(took):.3f} s (median); CPU {cpu / args.rounds / 64 * 1000:.2f} ms per "
              f"pixel per round; states {states}", flush=True)

        west = [t for t in board.targets if t.spec.region == REGIONS[0]]
        many = [dataclasses.replace(west[n % len(west)], name=f"m{n}") for n in range(600)]
        check = make_checks(["metric"], aws=board.aws)["metric"]
        check.observe_batch(many[:1], time.monotonic() + 30)   # its client made
        before = requests_of(servers)
        cpu0 = time.process_time()
        for _ in range(args.rounds):
            seen = check.observe_batch(many, time.monotonic() + 30)
        cpu = time.process_time() - cpu0
        asked = (requests_of(servers)[REGIONS[0]] - before[REGIONS[0]]) / args.rounds
        print(f"600 metric pixels of one region (one check's batch): GetMetricData per round {asked:g}; CPU "
              f"{cpu / args.rounds / 600 * 1000:.2f} ms per pixel per round; states {sorted({o.state for o in seen})}",
              flush=True)
    finally:
        for moto in servers.values():
            moto.close()


if __name__ == "__main__":
    main()
