"""Time from starting `statusboard run` to its first frame, for a board without EC2 targets.

The board is started as a process with NOTIFY_SOCKET pointing at a socket this script binds; READY=1 is sent
once the config is loaded and the first frame drawn. 64 targets (HTTP and ping on 127.0.0.1).

    python bench/startup.py            # median and worst of 5 starts
    python bench/startup.py --cpu      # CPU from exec to the first frame at full speed: least of 7 starts
    python bench/startup.py --cpu --layout hd --fresh

With --cpu the board starts as the service does after a restart (the observations and the first frame its last
run kept, in its state directory; --fresh: none) and as pip installs it (byte code compiled, no editable
install's hook), and a hook on the fake display reads the process's CPU time when its first frame is shown:
the figure least sensitive to a loaded machine (a Pi Zero has about a twentieth of one core here).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Dict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.footprint import config  # noqa: E402

AT_FIRST_FRAME = """
import os, resource, sys
from statusboard.display import fake
def show(self, frame):
    used = resource.getrusage(resource.RUSAGE_SELF)
    with open(sys.argv[1], "w") as out:
        out.write(str(used.ru_utime + used.ru_stime))
    os._exit(0)
fake.FakeDisplay.show = show
from statusboard.__main__ import main
sys.exit(main(["run", "--display", "fake", "-c", sys.argv[2]]))
"""


def ready_times(runs: int) -> None:
    """Start to READY=1, `runs` starts."""
    took = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "board.yaml"
        path.write_text(config(9))   # port 9 on 127.0.0.1: nothing listens, which does not matter here
        for run in range(runs):
            address = os.path.join(tmp, f"notify{run}")
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.bind(address)
            sock.settimeout(30)
            env = {**os.environ, "PYTHONPATH": str(ROOT), "NOTIFY_SOCKET": address,
                   "RUNTIME_DIRECTORY": os.path.join(tmp, "run"), "STATE_DIRECTORY": os.path.join(tmp, "lib")}
            start = time.monotonic()
            proc = subprocess.Popen([sys.executable, "-m", "statusboard", "run", "-c", str(path)],
                                    env=env, stderr=subprocess.DEVNULL, cwd=ROOT)
            while b"READY=1" not in sock.recv(4096):
                pass
            took.append(time.monotonic() - start)
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=10)
            sock.close()
    print(f"first frame after start (READY=1), 64 HTTP and ping targets, {runs} starts: "
          f"median {statistics.median(took):.3f} s, worst {max(took):.3f} s")


def cpu_to_first_frame(runs: int, layout: str, fresh: bool) -> None:
    """CPU from exec to the first frame, `runs` starts as the service restarts."""
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        board = tmp / "board.yaml"
        board.write_text(config(9, layout))
        env: Dict[str, str] = {**os.environ, "RUNTIME_DIRECTORY": str(tmp / "run"),
                               "STATE_DIRECTORY": str(tmp / "lib"), "PYTHONPYCACHEPREFIX": str(tmp / "pycache")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.pop("NOTIFY_SOCKET", None)
        paths = sysconfig.get_paths()
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([str(ROOT), paths["purelib"], paths["platlib"]]))
        # A first run compiles the byte code and keeps its observations and first frame as it stops.
        proc = subprocess.Popen([sys.executable, "-S", "-m", "statusboard", "run", "-c", str(board), "--display",
                                 "fake"], env=env, stderr=subprocess.DEVNULL, cwd=ROOT)
        time.sleep(4)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        used = []
        for _ in range(runs):
            if fresh:
                for kept in (tmp / "lib").glob("*"):
                    kept.unlink()
            out = tmp / "cpu.txt"
            subprocess.run([sys.executable, "-S", "-c", AT_FIRST_FRAME, str(out), str(board)], env=env, check=True,
                           stderr=subprocess.DEVNULL, timeout=60)
            used.append(float(out.read_text()) * 1000)
    print(f"CPU from exec to the first frame, {len(config(9, layout).splitlines()) - 3} targets, "
          f"{'nothing kept' if fresh else 'as restarted'}, {runs} starts: least {min(used):.0f} ms, "
          f"median {statistics.median(used):.0f} ms, worst {max(used):.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description="time to the first frame")
    parser.add_argument("--runs", type=int, help="starts (default 5; 7 with --cpu)")
    parser.add_argument("--cpu", action="store_true", help="the CPU to the first frame at full speed instead")
    parser.add_argument("--layout", choices=["hat", "hd"], default="hat", help="with --cpu: 64 or 256 targets")
    parser.add_argument("--fresh", action="store_true", help="with --cpu: nothing kept from a last run")
    args = parser.parse_args()
    if args.cpu:
        cpu_to_first_frame(args.runs or 7, args.layout, args.fresh)
    else:
        ready_times(args.runs or 5)


if __name__ == "__main__":
    main()
