"""Ping sweeps against fping: CPU per host-check (3 echo requests) over the same 64 loopback addresses,
statusboard's sweep (one ICMP socket for all hosts) and `fping -C 3` run in the same script, and the ratio.

fping is Debian's `fping` package (sudo apt install fping); without it only statusboard's figure is printed.
127.0.0.1-127.0.0.64 only.

    python bench/ping.py                 # 20 sweeps each
    python bench/ping.py --sweeps 50
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from statusboard.kinds.ping import PingCheck  # noqa: E402
from statusboard.kinds import parse  # noqa: E402

HOSTS = [f"127.0.0.{i + 1}" for i in range(64)]


def ours(sweeps: int) -> float:
    """ms of this process's CPU per host-check, over `sweeps` sweeps of the 64 hosts."""
    text = "defaults: {timeout: 2s}\ntargets:\n" + "".join(
        f"  t{i}: {{pixel: [{i % 8}, {i // 8}], ping: {host}}}\n" for i, host in enumerate(HOSTS))
    targets = parse(text, "bench.yaml").targets
    check = PingCheck()
    if check.mode() is None:
        sys.exit("ICMP is not allowed here: run as root")
    check.observe_batch(targets)   # sockets and code warm, as on a running board
    cpu = time.process_time()
    for _ in range(sweeps):
        results = check.observe_batch(targets)
        assert all(r.state == "up" for r in results), [r.detail for r in results if r.state != "up"][:3]
    return (time.process_time() - cpu) * 1000 / (sweeps * len(targets))


def fping(sweeps: int) -> float:
    """ms of fping's CPU per host-check: `fping -C 3` over the 64 hosts, `sweeps` times."""
    def children() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime
    before = children()
    for _ in range(sweeps):
        subprocess.run(["fping", "-C", "3", "-q", "-p", "200", "-t", "1000", *HOSTS], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (children() - before) * 1000 / (sweeps * len(HOSTS))


def main() -> None:
    parser = argparse.ArgumentParser(description="ping sweeps against fping")
    parser.add_argument("--sweeps", type=int, default=20)
    args = parser.parse_args()
    mine = ours(args.sweeps)
    print(f"statusboard: {mine:.3f} ms of CPU per host-check (3 echoes), {args.sweeps} sweeps of 64 hosts")
    if shutil.which("fping") is None:
        print("fping is not installed (sudo apt install fping): no comparison")
        return
    theirs = fping(args.sweeps)
    print(f"fping -C 3:  {theirs:.3f} ms of CPU per host-check; statusboard / fping = {mine / theirs:.2f} "
          "(goal: at most 2)")


if __name__ == "__main__":
    main()
