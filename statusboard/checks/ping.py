"""Ping checks with icmplib: echo requests, loss and round-trip time, in the ICMP mode this machine allows."""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Optional

import icmplib

from statusboard.config import Target
from statusboard.observation import Observation
from statusboard.states import DOWN, SLOW, UNKNOWN, UP
from statusboard.targets import PingSpec

log = logging.getLogger(__name__)

INTERVAL = 0.2   # seconds between echo requests to one host
NOT_ALLOWED = ("ICMP not allowed: run as root (or through the service), or allow ping sockets with "
               "sysctl net.ipv4.ping_group_range='0 2147483647'")


def probe_mode() -> Optional[bool]:
    """True for raw (privileged) ICMP, False for unprivileged ping sockets, None when neither is allowed."""
    for privileged in (True, False):
        try:
            with icmplib.ICMPv4Socket(privileged=privileged):
                return privileged
        except icmplib.SocketPermissionError:
            continue
        except icmplib.ICMPLibError as exc:
            log.debug("ICMP socket (privileged=%s) unavailable: %s", privileged, exc)
    return None


class PingCheck:
    """Pings hosts; the ICMP mode is probed once, on first use, and the choice logged."""

    def __init__(self, clock: Callable[[], float] = time.time, mode: Optional[bool] = None,
                 probe: Callable[[], Optional[bool]] = probe_mode) -> None:
        self.clock = clock
        self._mode = mode
        self._probed = mode is not None
        self._probe = probe
        self._lock = threading.Lock()

    def mode(self) -> Optional[bool]:
        """The ICMP mode in use (probing it the first time)."""
        with self._lock:
            if not self._probed:
                self._mode = self._probe()
                self._probed = True
                if self._mode is None:
                    log.warning("ping: %s", NOT_ALLOWED)
                else:
                    log.info("ping: using %s ICMP sockets", "raw (privileged)" if self._mode else "unprivileged")
            return self._mode

    def observe(self, target: Target, deadline: Optional[float] = None) -> Observation:
        """Send `count` echo requests within target.timeout and judge loss and round-trip time."""
        spec: PingSpec = target.spec  # type: ignore[assignment]
        mode = self.mode()
        if mode is None:
            return Observation.of(target.name, UNKNOWN, NOT_ALLOWED, self.clock())
        budget = target.timeout if deadline is None else deadline - time.monotonic()
        per_reply = max(0.05, (budget - (spec.count - 1) * INTERVAL) / spec.count)
        try:
            host = icmplib.ping(spec.host, count=spec.count, interval=INTERVAL, timeout=per_reply,
                                privileged=mode)
        except icmplib.NameLookupError:
            state, detail = DOWN, f"cannot resolve {spec.host}"
        except icmplib.SocketPermissionError:
            state, detail = UNKNOWN, NOT_ALLOWED
        except (icmplib.ICMPLibError, OSError) as exc:
            state, detail = DOWN, f"ping failed: {exc}"
        else:
            state, detail = judge(spec, host.packets_sent, host.packets_received, host.avg_rtt)
        return Observation.of(target.name, state, detail, self.clock())


def judge(spec: PingSpec, sent: int, received: int, avg_rtt_ms: float) -> "tuple[str, str]":
    """up, slow or down from the replies: all lost or loss at the threshold is down; some loss or slow RTT is slow."""
    lost = sent - received
    if sent == 0:
        return DOWN, "no echo request could be sent"
    if received == 0 or lost / sent >= spec.loss:
        return DOWN, f"{lost}/{sent} lost"
    rtt = f"{avg_rtt_ms:.1f} ms"
    if lost:
        return SLOW, f"{lost}/{sent} lost, {rtt}"
    if spec.slow is not None and avg_rtt_ms / 1000 > spec.slow:
        return SLOW, f"{rtt} (slow: over {spec.slow * 1000:.0f} ms)"
    return UP, f"{received}/{sent} replies, {rtt}"
