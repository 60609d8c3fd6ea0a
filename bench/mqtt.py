"""Two boards through one broker: the time from a state change on the board that checks to the frame on the
board that shows it, and the CPU that publishing costs a 64-target board.

Latency: a Mosquitto on 127.0.0.1 started here; board A checks 16 HTTP endpoints (served here, each switched
between 200 and 500 at random) and publishes; board B shows the same 16 targets as `mqtt:` pixels. Both run
in this process, each on a display that notes when a pixel's colour changes; a change's latency is from A's
frame to B's. Publishing CPU: `statusboard run` with the 64 targets of bench/footprint.py (32 HTTP, 32 ping,
every 10 s), once without and once with an `mqtt:` section, its CPU read from /proc.

Mosquitto is Debian's `mosquitto` package (sudo apt install mosquitto; tests/run.sh installs it).

    python bench/mqtt.py                  # 200 changes, and 60 s for each CPU run
    python bench/mqtt.py --changes 50 --seconds 30
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, List, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.footprint import board_cpu, config  # noqa: E402
from statusboard.kinds import parse  # noqa: E402
from statusboard.daemon import Runner  # noqa: E402
from statusboard.display.base import Frame, NoControls  # noqa: E402
from tests.broker import Mosquitto  # noqa: E402

TARGETS = 16


class Stamping(NoControls):
    """A display that notes, for each pixel, when it took each colour (time.monotonic())."""

    def __init__(self, settings: Any) -> None:
        self.shape = settings.shape
        self.last: Dict[Tuple[int, int], Any] = {}
        self.changes: List[Tuple[float, Tuple[int, int], Any]] = []
        self.lock = threading.Lock()

    def show(self, frame: Frame) -> None:
        """Note every pixel whose colour changed."""
        now = time.monotonic()
        with self.lock:
            for y, row in enumerate(frame.pixels):
                for x, colour in enumerate(row):
                    if self.last.get((x, y)) != colour:
                        self.last[(x, y)] = colour
                        self.changes.append((now, (x, y), colour))

    def first(self, pixel: Tuple[int, int], colour: Any, after: float) -> float:
        """When the pixel first showed the colour after `after` (0.0: not yet)."""
        with self.lock:
            return next((t for t, p, c in self.changes if p == pixel and c == colour and t >= after), 0.0)

    def close(self) -> None:
        """Nothing to release."""


class Switch(BaseHTTPRequestHandler):
    """/N answers 200 or 500, as the bench has set endpoint N."""

    codes: Dict[int, int] = {}

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        code = self.codes.get(int(self.path.strip("/")), 200)
        self.send_response(code)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


def latency(broker_port: int, changes: int) -> List[float]:
    """Seconds from board A's frame to board B's, for `changes` state changes."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Switch)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    broker = f"mqtt: {{url: 'mqtt://127.0.0.1:{broker_port}', board: %s, discovery: false}}\n"
    checker = broker % "a" + "defaults: {interval: 0.5s, timeout: 0.5s, fail_after: 1}\ntargets:\n" + "".join(
        f"  t{i}: {{pixel: [{i % 8}, {i // 8}], http: 'http://127.0.0.1:{server.server_address[1]}/{i}'}}\n"
        for i in range(TARGETS))
    shower = broker % "b" + "targets:\n" + "".join(
        f"  t{i}: {{pixel: [{i % 8}, {i // 8}], mqtt: statusboard/a/t{i}}}\n" for i in range(TARGETS))
    boards = []
    for text, name in ((checker, "a.yaml"), (shower, "b.yaml")):
        board = parse(text, name)
        runner = Runner(board, Stamping(board.display))   # type: ignore[arg-type]
        threading.Thread(target=runner.run, daemon=True).start()
        boards.append(runner)
    a, b = boards
    out: List[float] = []
    try:
        green, red = a.board.colour("up"), a.board.colour("down")
        end = time.monotonic() + 30
        while not all(a.display.first((i % 8, i // 8), green, 0) and b.display.first((i % 8, i // 8), green, 0)
                      for i in range(TARGETS)):
            if time.monotonic() > end:
                raise SystemExit("the boards never showed every target up")
            time.sleep(0.1)
        rng = random.Random(1)
        for _ in range(changes):
            i = rng.randrange(TARGETS)
            pixel = (i % 8, i // 8)
            Switch.codes[i] = 500 if Switch.codes.get(i, 200) == 200 else 200
            colour = red if Switch.codes[i] == 500 else green
            since = time.monotonic()
            end = since + 10
            while True:
                shown_a, shown_b = a.display.first(pixel, colour, since), b.display.first(pixel, colour, since)
                if shown_a and shown_b:
                    out.append(shown_b - shown_a)
                    break
                if time.monotonic() > end:
                    raise SystemExit(f"t{i}: the change never reached both boards")
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.3))
    finally:
        for runner in boards:
            runner.stop()
        server.shutdown()
        server.server_close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="two boards through an MQTT broker")
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each CPU run")
    args = parser.parse_args()
    if shutil.which("mosquitto") is None:
        raise SystemExit("mosquitto is not installed (sudo apt install mosquitto)")
    from tests.servers import Server
    with tempfile.TemporaryDirectory() as tmp:
        broker = Mosquitto(Path(tmp))
        try:
            times = sorted(latency(broker.port, args.changes))
            p50, p99 = statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]
            print(f"state change on board A to the frame on board B, through Mosquitto on 127.0.0.1, "
                  f"{len(times)} changes: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
                  f"max {times[-1] * 1000:.0f} ms (goal: p99 at most 100 ms)", flush=True)
            web = Server()
            try:
                plain = config(web.port)
                published = f"mqtt: {{url: 'mqtt://127.0.0.1:{broker.port}', board: desk}}\n" + plain
                without = board_cpu(plain, args.seconds)
                with_mqtt = board_cpu(published, args.seconds)
            finally:
                web.stop()
            print(f"64-target board every 10 s, {args.seconds:g} s each: CPU {without * 100:.2f}% of one core "
                  f"without MQTT, {with_mqtt * 100:.2f}% publishing every target's state "
                  f"(publishing costs {(with_mqtt - without) * 100:.2f} points)")
        finally:
            broker.stop()


if __name__ == "__main__":
    main()
