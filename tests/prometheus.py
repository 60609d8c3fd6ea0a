"""A real Prometheus (Debian's package) on 127.0.0.1, started by a test as the demo starts it (a scrape config of
its own), and a small exporter for it to scrape."""

from __future__ import annotations

import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Optional

import requests

from statusboard.demo.stores import start_prometheus, stop_process


def why_not() -> Optional[str]:
    """None when a Prometheus server can be started here, else why not."""
    if shutil.which("prometheus") is None:
        return "prometheus is not installed (tests/run.sh installs Debian's package)"
    return None


class Exporter(ThreadingHTTPServer):
    """/metrics in Prometheus' text format: `samples` maps a series (name and labels) to its value."""

    daemon_threads = True

    def __init__(self) -> None:
        self.samples: Dict[str, float] = {}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - the http.server name
                body = "".join(f"{series} {value}\n" for series, value in sorted(owner.samples.items())).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class Prometheus:
    """Prometheus on a free port of 127.0.0.1, scraping one exporter every second; its data in `folder`."""

    def __init__(self, folder: Path, exporter: Exporter) -> None:
        self.proc, self.url = start_prometheus(folder, exporter.port, job="test")

    def value(self, query: str) -> list:
        """What the server answers to a query now (its result list)."""
        return requests.get(f"{self.url}/api/v1/query", params={"query": query}, timeout=5).json()["data"]["result"]

    def stop(self) -> None:
        stop_process(self.proc)
