"""Time from starting `statusboard run` to its first frame, for a board without EC2 targets.

The board is started as a process with NOTIFY_SOCKET pointing at a socket this script binds; READY=1 is sent
once the config is loaded and the first frame drawn. 64 targets (HTTP and ping on 127.0.0.1).

    python bench/startup.py            # median and worst of 5 starts
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.footprint import config  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description="time to the first frame")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    took = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "board.yaml"
        path.write_text(config(9))   # port 9 on 127.0.0.1: nothing listens, which does not matter here
        for run in range(args.runs):
            address = os.path.join(tmp, f"notify{run}")
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.bind(address)
            sock.settimeout(30)
            env = {**os.environ, "PYTHONPATH": str(ROOT), "NOTIFY_SOCKET": address,
                   "RUNTIME_DIRECTORY": os.path.join(tmp, "run"), "STATE_DIRECTORY": os.path.join(tmp, "lib")}
            start = time.monotonic()
            proc = subprocess.Popen([sys.executable, "-m", "statusboard", "run", "-c", str(path)],
                                    env=env, stderr=subprocess.DEVNULL)
            while b"READY=1" not in sock.recv(4096):
                pass
            took.append(time.monotonic() - start)
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=10)
            sock.close()
    print(f"first frame after start (READY=1), 64 HTTP and ping targets, {args.runs} starts: "
          f"median {statistics.median(took):.3f} s, worst {max(took):.3f} s")


if __name__ == "__main__":
    main()
