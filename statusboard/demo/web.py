"""The demo's HTTP endpoints on 127.0.0.1, which go up, slow and down on a schedule; a JSON statistics page
whose number climbs and falls; /metrics for Prometheus, a queue that backs up and drains; and a port that never
answers."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, Optional, Tuple

CYCLE = 60.0   # seconds, before the speed-up


def api(t: float) -> Tuple[int, float]:
    """(status, delay) of /api at t seconds into the cycle: up, then slow, then failing, then up again."""
    t %= CYCLE
    if t < 12:
        return 200, 0.0
    if t < 24:
        return 200, 1.0
    if t < 40:
        return 503, 0.0
    return 200, 0.0


def shop(t: float) -> Tuple[int, float]:
    """/shop fails for a while early in each cycle."""
    return (500, 0.0) if 6 <= t % CYCLE < 30 else (200, 0.0)


def stats(t: float) -> Dict[str, Any]:
    """/stats at t seconds into the cycle: a live stream's viewers climb past the thresholds (800 warning, 950
    critical), the count goes missing for a while (null: no data), then comes back."""
    t %= CYCLE
    viewers: Optional[int] = 420
    if 12 <= t < 24:
        viewers = 870
    elif 24 <= t < 36:
        viewers = 990
    elif 36 <= t < 44:
        viewers = None
    return {"stream": {"live": viewers is not None, "viewers": viewers}}


def queue_depth(t: float) -> float:
    """The demo's queue depth t seconds into the cycle: calm, backing up, overflowing, draining."""
    t %= CYCLE
    if t < 14:
        return 12.0
    if t < 28:
        return 180.0
    if t < 40:
        return 640.0
    return 40.0


ROUTES: Dict[str, Callable[[float], Tuple[int, float]]] = {
    "/web": lambda t: (200, 0.0),
    "/api": api,
    "/shop": shop,
    "/stats": lambda t: (200, 0.0),
    "/metrics": lambda t: (200, 0.0),
}


class DemoWeb(ThreadingHTTPServer):
    """The endpoints, on a free port of 127.0.0.1; `speed` runs the schedule faster."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, speed: float = 1.0) -> None:
        self.speed = speed
        self.started = time.monotonic()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - the http.server name
                route = ROUTES.get(self.path.split("?")[0])
                if route is None:
                    status, delay = 404, 0.0
                else:
                    status, delay = route(server.elapsed())
                time.sleep(delay / server.speed)
                body = b'{"status": "ok"}' if status == 200 else b'{"status": "failing"}'
                if self.path.split("?")[0] == "/stats":
                    body = json.dumps(stats(server.elapsed())).encode()
                if self.path.split("?")[0] == "/metrics":   # Prometheus' text format
                    body = f'demo_queue_depth{{queue="orders"}} {queue_depth(server.elapsed())}\n'.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.silent = socket.socket()          # accepts connections (backlog) and never answers
        self.silent.bind(("127.0.0.1", 0))
        self.silent.listen(16)
        threading.Thread(target=self.serve_forever, name="demo-web", daemon=True).start()

    def elapsed(self) -> float:
        """Seconds into the demo's schedule."""
        return (time.monotonic() - self.started) * self.speed

    @property
    def port(self) -> int:
        """The port of the endpoints."""
        return self.server_address[1]

    @property
    def silent_port(self) -> int:
        """The port that never answers."""
        return self.silent.getsockname()[1]

    def stop(self) -> None:
        """Stop serving."""
        self.shutdown()
        self.server_close()
        self.silent.close()
