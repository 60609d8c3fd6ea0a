"""A real Prometheus (Debian's package) on 127.0.0.1, started by a test with a scrape config of its own, and a
small exporter for it to scrape."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Optional

import requests


def why_not() -> Optional[str]:
    """None when a Prometheus server can be started here, else why not."""
    if shutil.which("prometheus") is None:
        return "prometheus is not installed (tests/run.sh installs Debian's package)"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ready(proc: subprocess.Popen, url: str, status: int, name: str, limit: float = 60.0) -> None:
    """Wait until a server the test started answers `url` with `status`; fail with its last words if it ends."""
    end = time.monotonic() + limit
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} ended: {proc.stderr.read().decode()[-500:]}")
        try:
            if requests.get(url, timeout=1).status_code == status:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > end:
            raise RuntimeError(f"{name} was not ready within {limit:g} s")
        time.sleep(0.2)


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
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = folder / "prometheus.yml"
        config.write_text("global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                          "scrape_configs:\n"
                          f"  - job_name: test\n    static_configs: [{{targets: ['127.0.0.1:{exporter.port}']}}]\n")
        self.proc = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={folder / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=error"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        ready(self.proc, f"{self.url}/-/ready", 200, "prometheus")

    def value(self, query: str) -> list:
        """What the server answers to a query now (its result list)."""
        return requests.get(f"{self.url}/api/v1/query", params={"query": query}, timeout=5).json()["data"]["result"]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
