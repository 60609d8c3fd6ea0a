"""The systemd notify protocol: a few datagrams to $NOTIFY_SOCKET; without it, nothing happens."""

from __future__ import annotations

import logging
import os
import socket
import time
from typing import Optional

from statusboard.text import utf8

log = logging.getLogger(__name__)


class Notifier:
    """Sends READY, WATCHDOG, RELOADING, STOPPING and STATUS to systemd (or to a test's socket)."""

    def __init__(self, address: Optional[str] = None) -> None:
        address = address if address is not None else os.environ.get("NOTIFY_SOCKET", "")
        if address.startswith("@"):            # an abstract socket
            address = "\0" + address[1:]
        self.address = address or None
        self.sock: Optional[socket.socket] = None
        if self.address:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        usec = os.environ.get("WATCHDOG_USEC")
        pid = os.environ.get("WATCHDOG_PID")
        mine = pid is None or pid == str(os.getpid())
        # Ping four times per WatchdogSec, so one slow turn of the loop is no restart.
        self.watchdog_every = int(usec) / 4e6 if usec and usec.isdigit() and mine else None
        self.last_ping = 0.0

    @property
    def active(self) -> bool:
        """Whether anyone is listening."""
        return self.sock is not None

    def send(self, *fields: str) -> None:
        """Send one message of newline-separated KEY=value fields."""
        if self.sock is None or self.address is None:
            return
        try:
            self.sock.sendto(utf8("\n".join(fields)), self.address)
        except OSError as exc:
            log.debug("notify: %s", exc)

    def ready(self, status: str) -> None:
        """The config is loaded and the first frame drawn."""
        self.send("READY=1", f"STATUS={status}")

    def reloading(self) -> None:
        """A reload has begun (systemd waits for READY=1 again)."""
        usec = int(time.clock_gettime(time.CLOCK_MONOTONIC) * 1e6)
        self.send("RELOADING=1", f"MONOTONIC_USEC={usec}")

    def stopping(self) -> None:
        """The board is shutting down."""
        self.send("STOPPING=1")

    def status(self, text: str) -> None:
        """A one-line status for `systemctl status`."""
        self.send(f"STATUS={text}")

    def watchdog(self, now: float) -> None:
        """Ping the watchdog if it is due (the main loop calls this every turn)."""
        if self.watchdog_every is None or now - self.last_ping < self.watchdog_every:
            return
        self.last_ping = now
        self.send("WATCHDOG=1")

    def close(self) -> None:
        """Close the socket."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None
