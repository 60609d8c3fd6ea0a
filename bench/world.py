"""A world of local endpoints in a process of its own, so a benchmark measures statusboard, not its servers.

    python bench/world.py N       # prints one JSON line: [[port, path], ...], then serves until stdin closes

Every fourth endpoint accepts connections and never answers; the rest answer 200 at /ok. 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import Server, silent_socket  # noqa: E402


class World:
    """Starts world.py as a child process and reads its endpoints."""

    def __init__(self, n: int) -> None:
        self.proc = subprocess.Popen([sys.executable, __file__, str(n)], stdin=subprocess.PIPE,
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


def main(n: int) -> None:
    servers, held, endpoints = [], [], []
    for i in range(n):
        if i % 4 == 3:
            sock = silent_socket()
            held.append(sock)
            endpoints.append((sock.getsockname()[1], ""))
        else:
            server = Server()
            servers.append(server)
            endpoints.append((server.port, "ok"))
    print(json.dumps(endpoints), flush=True)
    sys.stdin.read()   # serve until the parent closes our stdin
    os._exit(0)        # the servers' threads die with the process; no need to stop each one


if __name__ == "__main__":
    main(int(sys.argv[1]))
