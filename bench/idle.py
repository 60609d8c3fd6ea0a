"""An idle board: 64 targets checked every 5 minutes, so after the first round nothing is due. Prints the CPU
the running board uses while it waits (the goal: at most 0.02 % of one core), with and without systemd's
watchdog asking for a ping every 7.5 s (WatchdogSec=30). 127.0.0.1 only.

    python bench/idle.py                 # 120 s each
    python bench/idle.py --seconds 60
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.footprint import board_cpu  # noqa: E402
from tests.servers import Server  # noqa: E402


def config(port: int) -> str:
    lines = ["display: {driver: fake}", "defaults: {interval: 5m, timeout: 2s}", "targets:"]
    for i in range(64):
        kind = f"ping: 127.0.0.{i + 1}" if i % 2 else f"http: 'http://127.0.0.1:{port}/ok'"
        lines.append(f"  t{i}: {{pixel: [{i % 8}, {i // 8}], {kind}}}")
    return "\n".join(lines) + "\n"


def measure(seconds: float, watchdog: bool, port: int) -> float:
    """CPU share of one core of an idle board, after its first round."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {}
        sink = None
        if watchdog:   # a notify socket, as systemd gives a Type=notify service with WatchdogSec=30
            sink = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sink.bind(str(Path(tmp) / "notify"))
            # Read what the board says, as systemd does (a full socket would block the board).
            threading.Thread(target=lambda: [sink.recv(4096) for _ in iter(int, 1)], daemon=True).start()
            env = {"NOTIFY_SOCKET": str(Path(tmp) / "notify"), "WATCHDOG_USEC": "30000000"}
        try:
            return board_cpu(config(port), seconds, settle=5.0, env=env)   # settle: start-up and the first round
        finally:
            if sink is not None:
                sink.close()   # the reading thread ends with an error, unseen (it is a daemon)


def main() -> None:
    parser = argparse.ArgumentParser(description="CPU of an idle board")
    parser.add_argument("--seconds", type=float, default=120.0)
    args = parser.parse_args()
    server = Server()
    try:
        for watchdog in (False, True):
            share = measure(args.seconds, watchdog, server.port)
            print(f"idle board, 64 targets every 5 min, {'with' if watchdog else 'without'} the watchdog, "
                  f"{args.seconds:g} s: CPU {share * 100:.3f} % of one core (goal: at most 0.02 %)", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
