"""HTTP and HTTPS checks against blackbox_exporter: CPU per check over the same 64 local endpoints,
statusboard's round (its scheduler, workers and HTTP check) and blackbox_exporter's http probe driven at the
same rounds, in the same script, and the ratio; then the same over HTTPS, with a certificate of the bench's
own that both trust (TLS handshakes dominate real checks).

blackbox_exporter is Debian's `prometheus-blackbox-exporter` package (sudo apt install
prometheus-blackbox-exporter); without it only statusboard's figure is printed. The endpoints run in a process
of their own (bench/world.py) so neither side pays for them. 127.0.0.1 only.

    python bench/httpcheck.py                        # 30 rounds of 64 checks each, back to back
    python bench/httpcheck.py --every 1              # a round a second, as a board at interval 1 s
    python bench/httpcheck.py --every 10 --rounds 6  # a round every 10 s, as a board at interval 10 s
    python bench/httpcheck.py --loop 2000            # one check after another in this thread, end to end:
                                                     # CPU and Python function calls per check (no comparison)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.footprint import cpu_seconds  # noqa: E402
from bench.world import World  # noqa: E402
from statusboard.kinds import make_checks  # noqa: E402
from statusboard.kinds import parse  # noqa: E402
from statusboard.scheduler import Scheduler  # noqa: E402
from statusboard.table import StateTable  # noqa: E402
from tests.broker import free_port  # noqa: E402
from tests.servers import self_signed  # noqa: E402


def paced(rounds: int, every: float) -> Iterator[int]:
    """Round numbers, each started `every` seconds after the one before (at once when every is 0)."""
    start = time.monotonic()
    for n in range(rounds):
        time.sleep(max(0.0, start + n * every - time.monotonic()))
        yield n


def ours(urls: List[str], rounds: int, every: float = 0.0) -> float:
    """ms of this process's CPU per check, over `rounds` rounds of every URL."""
    text = "defaults: {timeout: 2s}\ntargets:\n" + "".join(
        f"  t{i}: {{pixel: [{i % 8}, {i // 8}], http: '{url}'}}\n" for i, url in enumerate(urls))
    board = parse(text, "bench.yaml")
    table = StateTable(board.targets)
    sched = Scheduler(board.targets, make_checks(["http"]), table.record)
    sched.run_once()   # warm: sessions made, code loaded
    cpu = time.process_time()
    for _ in paced(rounds, every):
        sched.run_once()
    spent = time.process_time() - cpu
    failed = {s.detail for s in table.snapshot(time.monotonic()).values() if s.state != "up"}
    assert not failed, failed
    return spent * 1000 / (rounds * len(urls))


def loop(urls: List[str], checks: int) -> None:
    """Print CPU and Python function calls per check for `checks` checks one after another in this thread, each
    as a worker runs it (observed, recorded), over these URLs: five runs, then one under cProfile."""
    import cProfile
    import pstats
    text = "defaults: {timeout: 2s}\ntargets:\n" + "".join(
        f"  t{i}: {{pixel: [{i % 8}, {i // 8}], http: '{url}'}}\n" for i, url in enumerate(urls))
    board = parse(text, "bench.yaml")
    sched = Scheduler(board.targets, make_checks(["http"]), StateTable(board.targets).record)

    def run(count: int) -> None:
        for n in range(count):
            job = sched.jobs[n % len(sched.jobs)]
            sched.pool.claim(job.name)
            sched._run(job, time.monotonic())

    run(len(urls))   # warm: the client loaded
    spent = []
    for _ in range(5):
        cpu = time.process_time()
        run(checks)
        spent.append((time.process_time() - cpu) * 1000 / checks)
    profile = cProfile.Profile()
    profile.runcall(run, checks)
    calls = sum(row[1] for row in pstats.Stats(profile).stats.values()) / checks   # type: ignore[attr-defined]
    print(f"statusboard: {min(spent):.3f} to {max(spent):.3f} ms of CPU per HTTP check one after another "
          f"(5 runs of {checks}), {calls:.0f} Python function calls per check")


def blackbox(urls: List[str], rounds: int, every: float = 0.0, ca: Optional[str] = None) -> float:
    """ms of blackbox_exporter's CPU per http probe, driven in the same rounds (trusting the CA file ca)."""
    import requests
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "blackbox.yml"
        config.write_text("modules:\n  http_2xx:\n    prober: http\n    timeout: 2s\n"
                          "    http:\n      preferred_ip_protocol: ip4\n"
                          + (f"      tls_config: {{ca_file: '{ca}'}}\n" if ca else ""))
        proc = subprocess.Popen(["prometheus-blackbox-exporter", f"--config.file={config}",
                                 f"--web.listen-address=127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        session = requests.Session()
        probe = f"http://127.0.0.1:{port}/probe"

        def one(url: str) -> Tuple[int, str]:
            answer = session.get(probe, params={"module": "http_2xx", "target": url}, timeout=10)
            return answer.status_code, answer.text

        try:
            end = time.monotonic() + 10
            while True:
                try:
                    session.get(f"http://127.0.0.1:{port}/", timeout=1)
                    break
                except requests.RequestException:
                    if time.monotonic() > end:
                        raise
                    time.sleep(0.1)
            with ThreadPoolExecutor(len(urls)) as pool:
                list(pool.map(one, urls))   # warm
                cpu = cpu_seconds(proc.pid)
                for _ in paced(rounds, every):
                    answers = list(pool.map(one, urls))
                spent = cpu_seconds(proc.pid) - cpu
            assert all("probe_success 1" in text for _, text in answers), "every probe succeeds"
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    return spent * 1000 / (rounds * len(urls))


def compare(label: str, urls: List[str], args: argparse.Namespace, goal: float, ca: Optional[str] = None) -> None:
    """Print statusboard's CPU per check over these URLs, blackbox_exporter's, and the ratio."""
    mine = ours(urls, args.rounds, args.every)
    pace = f"every {args.every:g} s" if args.every else "back to back"
    print(f"statusboard: {mine:.3f} ms of CPU per {label} check, {args.rounds} rounds of {len(urls)} {pace}",
          flush=True)
    if shutil.which("prometheus-blackbox-exporter") is None:
        print("prometheus-blackbox-exporter is not installed: no comparison")
        return
    theirs = blackbox(urls, args.rounds, args.every, ca)
    print(f"blackbox_exporter: {theirs:.3f} ms of CPU per {label} probe; statusboard / blackbox = "
          f"{mine / theirs:.2f} (goal: at most {goal:g})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="HTTP and HTTPS checks against blackbox_exporter")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--every", type=float, default=0.0, help="seconds from one round's start to the next's")
    parser.add_argument("--loop", type=int, default=0, help="CPU and function calls per HTTP check, this many "
                                                            "checks one after another (no comparison)")
    args = parser.parse_args()
    with World(86) as world:   # every fourth never answers: 64 that do
        urls = [f"http://127.0.0.1:{port}/{path}" for port, path in world.endpoints if path == "ok"][:64]
        if args.loop:
            loop(urls, args.loop)
            return
        compare("HTTP", urls, args, 0.5)
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = self_signed(Path(tmp))
        os.environ["REQUESTS_CA_BUNDLE"] = str(cert)   # read by the HTTP check at its first check
        with World(86, ["--tls", str(cert), str(key)]) as world:
            urls = [f"https://localhost:{port}/{path}" for port, path in world.endpoints if path == "ok"][:64]
            compare("HTTPS", urls, args, 0.8, str(cert))


if __name__ == "__main__":
    main()
