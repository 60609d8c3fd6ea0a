"""A world of local endpoints in a process of its own, so a benchmark measures statusboard, not its servers.

    python bench/world.py N       # prints one JSON line: [[port, path], ...], then serves until stdin closes
    python bench/world.py N --flap K --period S --log FILE
    python bench/world.py N --tls CERT KEY   # the endpoints speak HTTPS with this certificate

Every fourth endpoint accepts connections and never answers; the rest answer 200 at /ok. With --flap, the
first K endpoints answer 200 or 500 at /flap instead, switching every S seconds on average (at random, each
on its own), and every switch is appended to FILE as a JSON line {"i": index, "t": unix time, "up": bool}.
127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import Handler, Server, server_context, silent_socket  # noqa: E402


class FlapHandler(Handler):
    """Answers 200 while its server is up, 500 while it is down."""

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        self._send(200 if self.server.up else 500, b"flap")  # type: ignore[attr-defined]


class World:
    """Starts world.py as a child process and reads its endpoints."""

    def __init__(self, n: int, flap: Sequence[str] = ()) -> None:
        self.proc = subprocess.Popen([sys.executable, __file__, str(n), *flap], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.endpoints: List[Tuple[int, str]] = [tuple(e) for e in json.loads(self.proc.stdout.readline())]

    def close(self) -> None:
        """Stop the servers."""
        self.proc.stdin.close()
        self.proc.wait(timeout=10)

    def __enter__(self) -> "World":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def flapping(servers: List[Server], period: float, log: str) -> None:
    """Switch each server between up and down at random times, logging every switch."""
    rng = random.Random(7)
    due = [time.monotonic() + rng.uniform(0.5, 1.5) * period for _ in servers]
    with open(log, "a", encoding="utf-8") as out:
        while True:
            i = min(range(len(servers)), key=due.__getitem__)
            time.sleep(max(0.0, due[i] - time.monotonic()))
            servers[i].up = not servers[i].up  # type: ignore[attr-defined]
            out.write(json.dumps({"i": i, "t": time.time(), "up": servers[i].up}) + "\n")  # type: ignore[attr-defined]
            out.flush()
            due[i] = time.monotonic() + rng.uniform(0.5, 1.5) * period


def main(n: int, flap: int = 0, period: float = 5.0, log: Optional[str] = None,
         tls: Optional[Sequence[str]] = None) -> None:
    servers, held, endpoints, flappers = [], [], [], []
    context = server_context(Path(tls[0]), Path(tls[1])) if tls else None
    for i in range(n):
        if i < flap:
            server = Server(handler=FlapHandler)
            server.up = True  # type: ignore[attr-defined]
            flappers.append(server)
            endpoints.append((server.port, "flap"))
        elif i % 4 == 3:
            sock = silent_socket()
            held.append(sock)
            endpoints.append((sock.getsockname()[1], ""))
        else:
            server = Server(context)
            servers.append(server)
            endpoints.append((server.port, "ok"))
    print(json.dumps(endpoints), flush=True)
    if flappers and log:
        threading.Thread(target=flapping, args=(flappers, period, log), daemon=True).start()
    sys.stdin.read()   # serve until the parent closes our stdin
    os._exit(0)        # the servers' threads die with the process; no need to stop each one


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="local endpoints for the benchmarks")
    parser.add_argument("n", type=int)
    parser.add_argument("--flap", type=int, default=0)
    parser.add_argument("--period", type=float, default=5.0)
    parser.add_argument("--log")
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    args = parser.parse_args()
    main(args.n, args.flap, args.period, args.log, args.tls)
