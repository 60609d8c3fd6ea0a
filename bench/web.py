"""What the web page costs a board, and whether hostile clients can hold the board up. 127.0.0.1 only.

1. An idle board (64 targets every 5 minutes) with and without a `web:` section, and with the page left open
   (one event stream): CPU share of one core and resident memory (goals: at most 0.1 % of a core and 5 MB more).
2. A busy board (64 HTTP targets every second, in this process) while 200 idle connections, a client that sends
   its request one byte a second and 50 event streams that never read are held open: the gaps between a
   target's checks, without and with them.

    python bench/web.py                  # 60 s idle measures, 20 s busy ones
    python bench/web.py --seconds 120
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
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.footprint import cpu_seconds, rss_mb  # noqa: E402
from bench.idle import config as idle_config  # noqa: E402
from statusboard.demo.stores import free_port  # noqa: E402
from tests.servers import Server  # noqa: E402


def idle(seconds: float, port: int, web: Optional[int], stream: bool) -> "tuple[float, float]":
    """(CPU share of one core, resident MB) of an idle board, after its first round."""
    text = idle_config(port) + (f"web: {{listen: 127.0.0.1:{web}}}\n" if web else "")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "board.yaml"
        path.write_text(text)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "RUNTIME_DIRECTORY": str(Path(tmp) / "run"),
               "STATE_DIRECTORY": str(Path(tmp) / "lib")}
        proc = subprocess.Popen([sys.executable, "-m", "statusboard", "run", "-c", str(path)], env=env,
                                stderr=subprocess.DEVNULL, cwd=ROOT)
        reader: Optional[socket.socket] = None
        try:
            time.sleep(5.0)   # start-up and the first round
            if stream and web:
                reader = socket.create_connection(("127.0.0.1", web))
                reader.sendall(b"GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n")
                threading.Thread(target=drain, args=(reader,), daemon=True).start()
                time.sleep(1.0)
            cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
            time.sleep(seconds)
            return (cpu_seconds(proc.pid) - cpu0) / (time.monotonic() - t0), rss_mb(proc.pid)
        finally:
            if reader is not None:
                reader.close()
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=10)


def drain(sock: socket.socket) -> None:
    """Read what a page would, until the socket closes."""
    try:
        while sock.recv(65536):
            pass
    except OSError:
        return


def hostile(port: int) -> "tuple[List[socket.socket], threading.Event]":
    """200 idle connections, one that drips its request a byte a second, 50 event streams that never read."""
    opened = [socket.create_connection(("127.0.0.1", port)) for _ in range(200)]
    for _ in range(50):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", port))
        sock.sendall(b"GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n")
        opened.append(sock)
    slow = socket.create_connection(("127.0.0.1", port))
    opened.append(slow)
    stop = threading.Event()

    def drip() -> None:
        while not stop.wait(1.0):
            try:
                slow.send(b"G")
            except OSError:
                return
    threading.Thread(target=drip, daemon=True).start()
    return opened, stop


def gaps(runner: object, seconds: float) -> List[float]:
    """Seconds between consecutive checks of each target, sampled every 20 ms for `seconds`."""
    seen: Dict[str, List[float]] = {}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for name, obs in runner.table.latest().items():   # type: ignore[attr-defined]
            marks = seen.setdefault(name, [])
            if obs.mono is not None and (not marks or marks[-1] != obs.mono):
                marks.append(obs.mono)
        time.sleep(0.02)
    return [b - a for marks in seen.values() for a, b in zip(marks, marks[1:])]


def busy(seconds: float, port: int) -> None:
    from statusboard.daemon import Runner
    from statusboard.display.fake import FakeDisplay
    from statusboard.kinds import parse
    web = free_port()
    lines = [f"web: {{listen: 127.0.0.1:{web}}}", "defaults: {interval: 1s, timeout: 1s}", "targets:"]
    lines += [f"  t{i}: {{pixel: [{i % 8}, {i // 8}], http: 'http://127.0.0.1:{port}/ok'}}" for i in range(64)]
    board = parse("\n".join(lines) + "\n", "bench.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update({"RUNTIME_DIRECTORY": str(Path(tmp) / "run"), "STATE_DIRECTORY": str(Path(tmp) / "lib")})
        runner = Runner(board, FakeDisplay(board.display), keep_files=True)
        thread = threading.Thread(target=runner.run, daemon=True)
        thread.start()
        try:
            time.sleep(3.0)
            for label in ("without hostile clients", "with 200 idle, 1 dripping, 50 never-reading clients"):
                opened, stop = hostile(web) if label.startswith("with ") else ([], threading.Event())
                rss0 = rss_mb(os.getpid())
                measured = sorted(gaps(runner, seconds))
                p99 = measured[int(len(measured) * 0.99) - 1]
                print(f"busy board, 64 targets every 1 s, {label}: gap between checks median "
                      f"{statistics.median(measured):.3f} s, p99 {p99:.3f} s, worst {measured[-1]:.3f} s; "
                      f"memory {rss_mb(os.getpid()) - rss0:+.1f} MB meanwhile", flush=True)
                stop.set()
                for sock in opened:
                    sock.close()
        finally:
            runner.stop()
            thread.join(15)


def main() -> None:
    parser = argparse.ArgumentParser(description="what the web page costs a board")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--busy-seconds", type=float, default=20.0)
    args = parser.parse_args()
    server = Server()
    try:
        results = {}
        for label, web, stream in (("no web section", None, False), ("web section, no page open", free_port(), False),
                                   ("web section, the page open", free_port(), True)):
            cpu, rss = idle(args.seconds, server.port, web, stream)
            results[label] = (cpu, rss)
            print(f"idle board, 64 targets every 5 min, {label}, {args.seconds:g} s: CPU {cpu * 100:.3f} % of one "
                  f"core, {rss:.1f} MB resident", flush=True)
        base_cpu, base_rss = results["no web section"]
        cpu, rss = results["web section, the page open"]
        print(f"the page costs {(cpu - base_cpu) * 100:+.3f} points of one core (goal at most 0.1) and "
              f"{rss - base_rss:+.1f} MB (goal at most 5)", flush=True)
        busy(args.busy_seconds, server.port)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
