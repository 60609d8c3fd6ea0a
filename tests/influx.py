"""A real InfluxDB 1.x (Debian's package) on 127.0.0.1, started by a test with a config of its own (free
ports, its data in the test's folder, authentication on, no reporting home)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Optional

import requests

from tests.prometheus import free_port, ready

ADMIN, PASSWORD = "board", "s3cret pass"


def why_not() -> Optional[str]:
    """None when an InfluxDB server can be started here, else why not."""
    if shutil.which("influxd") is None:
        return "influxd is not installed (tests/run.sh installs Debian's influxdb)"
    return None


class Influx:
    """influxd on free ports of 127.0.0.1, with an admin user and a database `telemetry`."""

    def __init__(self, folder: Path) -> None:
        self.port, rpc = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
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
  bind-address = "127.0.0.1:{self.port}"
  auth-enabled = true
  log-enabled = false
[monitor]
  store-enabled = false
""")
        self.proc = subprocess.Popen(["influxd", "-config", str(config)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        ready(self.proc, f"{self.url}/ping", 204, "influxd")
        self.ask(f"CREATE USER {ADMIN} WITH PASSWORD '{PASSWORD}' WITH ALL PRIVILEGES")   # the first user: no login yet
        self.ask("CREATE DATABASE telemetry")

    def ask(self, statement: str) -> dict:
        """Run one statement as the admin."""
        done = requests.post(f"{self.url}/query", params={"q": statement}, auth=(ADMIN, PASSWORD), timeout=10)
        return done.json()

    def write(self, lines: str) -> None:
        """Write points in line protocol to `telemetry`."""
        done = requests.post(f"{self.url}/write", params={"db": "telemetry", "precision": "s"}, data=lines.encode(),
                             auth=(ADMIN, PASSWORD), timeout=10)
        assert done.status_code == 204, done.text

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
