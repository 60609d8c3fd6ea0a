"""EC2 refreshes against moto's server: API requests per refresh, refresh time for one region and three,
and the resident memory of a running board with EC2 targets.

Each region is served by its own moto process on 127.0.0.1 (reached through a profile's endpoint_url), so
regions are answered in parallel as AWS does, and requests are counted at the server.

    python bench/ec2.py                  # 1, 100 and 1,000 instances per region; 1 and 3 regions
    python bench/ec2.py --latency 50 --no-memory   # each API answer 50 ms away, like a real region
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REGIONS = ["eu-west-1", "us-east-1", "ap-southeast-2"]
SERVER = """
import sys, time
sys.path.insert(0, %r)
from tests.aws import MotoServer
server = MotoServer(latency=float(sys.argv[1]))
print(server.url, flush=True)
sys.stdin.read()
"""


class Moto:
    """moto's server in a process of its own."""

    def __init__(self, latency: float) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER % str(ROOT), str(latency)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()

    def counts(self) -> Dict[str, int]:
        import requests
        return requests.get(self.url + "/__counts__", timeout=10).json()

    def reset(self) -> None:
        import requests
        requests.post(self.url + "/moto-api/reset", timeout=10)
        requests.get(self.url + "/__reset_counts__", timeout=10)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def write_aws_config(directory: Path, servers: Dict[str, Moto]) -> Path:
    """One profile per region, each with its own endpoint (and moto's dummy keys: a profile ignores the
    environment's)."""
    path = directory / "aws-config"
    path.write_text("".join(f"[profile {region}]\nregion = {region}\nendpoint_url = {moto.url}\n"
                            "aws_access_key_id = testing\naws_secret_access_key = testing\n\n"
                            for region, moto in servers.items()))
    return path


def use_local_aws(directory: Path, servers: Dict[str, Moto]) -> None:
    """Point boto3 at the moto servers only, one profile per region, with moto's dummy keys."""
    os.environ.update({"AWS_CONFIG_FILE": str(write_aws_config(directory, servers)), "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing", "AWS_EC2_METADATA_DISABLED": "true",
                       "AWS_SHARED_CREDENTIALS_FILE": str(directory / "none")})
    os.environ.pop("AWS_ENDPOINT_URL", None)


def board_text(ids: Dict[str, List[str]]) -> str:
    """64 EC2 pixels spread over the regions: instances by id, plus a tag selector per region."""
    lines = ["display: {driver: fake}", "defaults: {interval: 30s, timeout: 10s}", "targets:"]
    regions = list(ids)
    per = 64 // len(regions)
    n = 0
    for region in regions:
        for k in range(per):
            x, y = n % 8, n // 8
            if k == 0:
                spec = f"{{tags: {{Role: fleet}}, region: {region}, profile: {region}}}"
            else:
                spec = f"{{id: {ids[region][(k - 1) % len(ids[region])]}, region: {region}, profile: {region}}}"
            lines.append(f"  p{n}: {{pixel: [{x}, {y}], ec2: {spec}}}")
            n += 1
    return "\n".join(lines) + "\n"


def launch(region: str, count: int) -> List[str]:
    import boto3
    from tests.aws import launch as run_instances
    return run_instances(boto3.Session(profile_name=region).client("ec2"), count, {"Role": "fleet"})


def main() -> None:
    parser = argparse.ArgumentParser(description="EC2 refreshes against moto")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 100, 1000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.0,
                        help="ms each moto server waits before answering, as a distant AWS region would")
    parser.add_argument("--no-memory", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    servers = {region: Moto(args.latency / 1000) for region in REGIONS}
    print(f"moto answers after {args.latency:g} ms", flush=True)
    use_local_aws(tmp, servers)
    from statusboard.kinds import make_checks
    from statusboard.kinds import parse
    from statusboard.scheduler import Scheduler
    from statusboard.table import StateTable
    try:
        times: Dict[int, Dict[int, float]] = {}
        for size in args.sizes:
            for moto in servers.values():
                moto.reset()
            ids = {region: launch(region, size) for region in REGIONS}
            for nregions in (1, 3):
                chosen = {r: ids[r] for r in REGIONS[:nregions]}
                board = parse(board_text(chosen), "bench.yaml")
                table = StateTable(board.targets)
                sched = Scheduler(board.targets, make_checks(["ec2"], aws=board.aws), table.record)
                sched.run_once()   # clients made, connections open: the steady state of a running board
                before = {r: servers[r].counts().get("DescribeInstances", 0) for r in chosen}
                took = []
                for _ in range(args.repeat):
                    start = time.monotonic()
                    sched.run_once()
                    took.append(time.monotonic() - start)
                per_region = {r: (servers[r].counts().get("DescribeInstances", 0) - before[r]) / args.repeat
                              for r in chosen}
                states = {s.state for s in table.snapshot(time.monotonic()).values()}
                times.setdefault(size, {})[nregions] = statistics.median(took)
                print(f"{size:>5} instances per region, {nregions} region(s), {len(board.targets)} EC2 pixels: "
                      f"DescribeInstances per refresh per region {per_region}, pages needed "
                      f"{-(-size // 1000)}; refresh {statistics.median(took):.3f} s (median of {args.repeat}); "
                      f"states {sorted(states)}", flush=True)
            print(f"{size:>5} instances per region: three regions take "
                  f"{times[size][3] / times[size][1]:.2f} x the time of one", flush=True)
        if not args.no_memory:
            memory(servers, tmp)
    finally:
        for moto in servers.values():
            moto.close()


def memory(servers: Dict[str, Moto], tmp: Path) -> None:
    """Peak resident memory of `statusboard run` with 64 EC2 pixels over three regions, for 20 s."""
    from bench.footprint import rss_mb
    ids = {region: launch(region, 10) for region in REGIONS}
    path = tmp / "board.yaml"
    path.write_text(board_text(ids).replace("interval: 30s", "interval: 5s").replace("timeout: 10s", "timeout: 4s"))
    proc = subprocess.Popen([sys.executable, "-m", "statusboard", "run", "-c", str(path)],
                            env={**os.environ, "PYTHONPATH": str(ROOT), "RUNTIME_DIRECTORY": str(tmp / "run"),
                                 "STATE_DIRECTORY": str(tmp / "lib")}, stderr=subprocess.DEVNULL, cwd=ROOT)
    peak = 0.0
    try:
        end = time.monotonic() + 20
        while time.monotonic() < end:
            peak = max(peak, rss_mb(proc.pid))
            time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    print(f"statusboard run with 64 EC2 pixels over 3 regions, every 5 s for 20 s: "
          f"peak resident memory {peak:.1f} MB")


if __name__ == "__main__":
    main()
