"""The demo's metric stores, where their binaries are installed: a real Prometheus scraping the demo's own
/metrics, and a real InfluxDB 1.x fed with delays by the demo; each on free ports of 127.0.0.1, its data in the
demo's folder."""

from __future__ import annotations

import logging
import math
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import List, Optional, Tuple

import requests

log = logging.getLogger(__name__)
CYCLE = 60.0   # seconds, before the speed-up


def free_port() -> int:
    """A port of 127.0.0.1 nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ready(proc: subprocess.Popen, url: str, status: int, name: str, limit: float = 60.0) -> None:
    """Wait until a server just started answers `url` with `status`; RuntimeError with its last words if it
    ends or is not ready within `limit` seconds."""
    end = time.monotonic() + limit
    while True:
        if proc.poll() is not None:
            said = proc.stderr.read().decode(errors="replace")[-500:] if proc.stderr else ""
            raise RuntimeError(f"{name} ended: {said}")
        try:
            if requests.get(url, timeout=1).status_code == status:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > end:
            raise RuntimeError(f"{name} was not ready within {limit:g} s")
        time.sleep(0.2)


def stop_process(proc: subprocess.Popen, wait: float = 10.0) -> None:
    """Terminate a server, killing it if it does not end within `wait` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def launch(command: List[str], port: int, probe: str, status: int) -> Tuple[subprocess.Popen, str]:
    """Start a server listening on 127.0.0.1:port: (its process, its URL) once `probe` answers `status`;
    RuntimeError (the server stopped) when it does not."""
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        ready(proc, url + probe, status, command[0])
    except RuntimeError:
        stop_process(proc)
        raise
    return proc, url


def start_prometheus(folder: Path, scrape_port: int, job: str = "demo") -> Tuple[subprocess.Popen, str]:
    """Prometheus scraping 127.0.0.1:scrape_port/metrics every second as `job`: (its process, its URL), once
    ready."""
    port = free_port()
    config = folder / "prometheus.yml"
    config.write_text("global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                      "scrape_configs:\n"
                      f"  - job_name: {job}\n    static_configs: [{{targets: ['127.0.0.1:{scrape_port}']}}]\n")
    return launch(["prometheus", f"--config.file={config}", f"--storage.tsdb.path={folder / 'prom'}",
                   f"--web.listen-address=127.0.0.1:{port}", "--log.level=error"], port, "/-/ready", 200)


def influx_config(folder: Path, port: int, rpc: int, auth: bool) -> Path:
    """An influxd config: its data in folder, HTTP on 127.0.0.1:port, no reporting home."""
    config = folder / "influxdb.conf"
    config.write_text(f"""reporting-disabled = true
bind-address = "127.0.0.1:{rpc}"
[meta]
  dir = "{folder / 'meta'}"
[data]
  dir = "{folder / 'data'}"
  wal-dir = "{folder / 'wal'}"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:{port}"
  auth-enabled = {'true' if auth else 'false'}
  log-enabled = false
[monitor]
  store-enabled = false
""")
    return config


def start_influxd(folder: Path, auth: bool = False) -> Tuple[subprocess.Popen, str]:
    """influxd on free ports of 127.0.0.1: (its process, its URL), once it answers /ping."""
    port = free_port()
    config = influx_config(folder, port, free_port(), auth)
    return launch(["influxd", "-config", str(config)], port, "/ping", 204)


def delay_ms(t: float) -> float:
    """The demo's end-to-end delay t seconds into its cycle: a wave that crosses 150 ms, then 300 ms."""
    return 120.0 + 220.0 * max(0.0, math.sin(2 * math.pi * (t % CYCLE) / CYCLE))


class Stores:
    """Prometheus and InfluxDB for the demo, each where it is installed; `missing` says in one line what was
    left out and why."""

    def __init__(self, folder: Path, scrape_port: int, speed: float) -> None:
        self.prometheus: Optional[str] = None
        self.influxdb: Optional[str] = None
        self.speed = speed
        self._procs: List[subprocess.Popen] = []
        self._stop = threading.Event()
        left: List[str] = []
        starts = []
        if shutil.which("prometheus"):
            starts.append(("prometheus", lambda: start_prometheus(folder, scrape_port)))
        else:
            left.append("Prometheus (no prometheus binary: sudo apt install prometheus)")
        if shutil.which("influxd"):
            starts.append(("influxdb", lambda: start_influxd(folder)))
        else:
            left.append("InfluxDB (no influxd binary: sudo apt install influxdb)")
        for name, start in starts:
            try:
                proc, url = start()
            except (OSError, RuntimeError) as exc:
                left.append(f"{name} ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})")
                continue
            self._procs.append(proc)
            setattr(self, name, url)
        self.missing = "; ".join(left)
        self._start = time.monotonic()
        if self.influxdb:
            requests.post(f"{self.influxdb}/query", params={"q": "CREATE DATABASE demo"}, timeout=10)
            threading.Thread(target=self._feed, name="demo-influx", daemon=True).start()

    def _feed(self) -> None:
        """Write a delay every half second, as the demo's collectors would."""
        while not self._stop.wait(0.5):
            t = (time.monotonic() - self._start) * self.speed
            try:
                requests.post(f"{self.influxdb}/write", params={"db": "demo"},
                              data=f"network_delays,path=eu-us latency={delay_ms(t):.1f}".encode(), timeout=5)
            except requests.RequestException as exc:
                log.debug("demo: a delay was not written: %s", exc)

    def stop(self) -> None:
        """Stop feeding and stop the servers (together: each may take a while to shut down)."""
        self._stop.set()
        for proc in self._procs:
            proc.terminate()
        for proc in self._procs:
            stop_process(proc, wait=5.0)
