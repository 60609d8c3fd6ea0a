"""A real InfluxDB 1.x (Debian's package) on 127.0.0.1, started by a test as the demo starts it (free ports, its
data in the test's folder, no reporting home), here with authentication on."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Optional

import requests

from statusboard.demo.stores import start_influxd, stop_process

ADMIN, PASSWORD = "board", "s3cret pass"


def why_not() -> Optional[str]:
    """None when an InfluxDB server can be started here, else why not."""
    if shutil.which("influxd") is None:
        return "influxd is not installed (tests/run.sh installs Debian's influxdb)"
    return None


class Influx:
    """influxd on free ports of 127.0.0.1, with an admin user and a database `telemetry`."""

    def __init__(self, folder: Path) -> None:
        self.proc, self.url = start_influxd(folder, auth=True)
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
        stop_process(self.proc)
