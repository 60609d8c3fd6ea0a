"""`ping:` targets: echo requests to a host, judged by loss and round-trip time (net/icmp.py sends them; it is
imported at the first ping, on a worker, not before the board's first frame)."""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, List, Optional, Sequence, Tuple

from statusboard.config import values
from statusboard.config.schema import Section
from statusboard.config.values import Invalid
from statusboard.kinds.kind import Context, Kind, long_form
from statusboard.model import Observation, Target
from statusboard.vocabulary import BOARD_STATES, DOWN, PROBE_STATES, SLOW, UNKNOWN, UP, merge

log = logging.getLogger(__name__)
_HOST = re.compile(r"^[A-Za-z0-9_.:-]+$")
STATES = merge(BOARD_STATES, PROBE_STATES)
NOT_ALLOWED = ("ICMP not allowed: run as root (or through the service), or allow ping sockets with "
               "sysctl net.ipv4.ping_group_range='0 2147483647'")


@dataclass(frozen=True)
class PingSpec:
    """A host to ping with ICMP echo requests."""

    identity: ClassVar[Tuple[str, ...]] = ("host",)   # what it watches
    host: str
    count: int = 3
    slow: Optional[float] = None
    loss: float = 1.0   # fraction of lost replies at or above which the host is down

    def describe(self) -> str:
        """A short form for people."""
        return self.host


def host(value: Any) -> str:
    """A host name or IP address."""
    text = values.text(value).strip()
    if "@" in text:   # what comes before it may be a password: never shown
        raise Invalid(f"expected a host name or IP address, without a user or password: got "
                      f"'***@{text.rpartition('@')[2]}'")
    if not _HOST.match(text):
        raise Invalid(f"expected a host name or IP address, got {value!r}")
    return text


def parse_ping(parent: Section, key: str) -> Optional[PingSpec]:
    """`ping: HOST` or `ping: {host, count, slow, loss}`."""
    sec = long_form(parent, key)
    if sec is None:
        got = parent.take(key, host)
        return PingSpec(got) if got else None
    spec = PingSpec(
        host=sec.take("host", host),
        count=sec.take("count", lambda v: values.integer(v, 1, 20), 3),
        slow=sec.take("slow", values.duration, None),
        loss=sec.take("loss", values.percent, 1.0),
    )
    sec.finish()
    return spec if spec.host else None


class PingCheck:
    """Pings hosts; the ICMP mode is probed once, on first use, and the choice logged."""

    def __init__(self, context: Context = Context(), mode: Optional[bool] = None,
                 probe: Optional[Callable[[], Optional[bool]]] = None) -> None:
        self.clock = context.clock
        self._mode = mode
        self._probed = mode is not None
        self._probe = probe
        self._lock = threading.Lock()

    def mode(self) -> Optional[bool]:
        """The ICMP mode in use (probing it the first time)."""
        with self._lock:
            if not self._probed:
                from statusboard.net.icmp import probe_mode
                self._mode = (self._probe or probe_mode)()
                self._probed = True
                if self._mode is None:
                    log.warning("ping: %s", NOT_ALLOWED)
                else:
                    log.info("ping: using %s ICMP sockets", "raw (privileged)" if self._mode else "unprivileged")
            return self._mode

    def group(self, target: Target) -> Tuple[float, float]:
        """Targets with the same interval and timeout are pinged in one sweep."""
        return (target.interval, target.timeout)

    def observe(self, target: Target, deadline: Optional[float] = None) -> Observation:
        """Send `count` echo requests within target.timeout and judge loss and round-trip time."""
        return self.observe_batch([target], deadline)[0]

    def observe_batch(self, targets: Sequence[Target], deadline: Optional[float] = None) -> List[Observation]:
        """Ping every target's host in one sweep (one ICMP socket per address family) within the deadline."""
        from statusboard.net import icmp
        mode = self.mode()
        if mode is None:
            return [Observation.of(t.name, UNKNOWN, NOT_ALLOWED, self.clock(), STATES) for t in targets]
        timeout = max(t.timeout for t in targets)
        at = time.monotonic() + timeout if deadline is None else deadline
        hosts = [icmp.Host(s.host, s.count) for s in map(KIND.spec_of, targets)]
        icmp.resolve_all(hosts, at, timeout)
        try:
            icmp.sweep(hosts, at, mode)
        except icmp.NotAllowed:
            for one in hosts:
                one.failure = one.failure or (UNKNOWN, NOT_ALLOWED)
        except OSError as exc:
            for one in hosts:
                one.failure = one.failure or (DOWN, f"ping failed: {exc.strerror or exc}")
        out = []
        for target, one in zip(targets, hosts):
            if one.failure is not None:
                state, detail = one.failure
            else:
                rtts = one.rtts
                state, detail = judge(KIND.spec_of(target), one.sent, len(rtts), sum(rtts) / len(rtts) if rtts else 0.0,
                                      one.unsent)
            out.append(Observation.of(target.name, state, detail, self.clock(), STATES))
        return out


def judge(spec: PingSpec, sent: int, received: int, avg_rtt_ms: float,
          unsent: Optional[str] = None) -> Tuple[str, str]:
    """up, slow or down from the replies: all lost or loss at the threshold is down; some loss or slow RTT is slow;
    none sent is down with the network's reason (`unsent`)."""
    lost = sent - received
    if sent == 0:
        why = f": {unsent[:1].lower()}{unsent[1:]}" if unsent else ""
        return DOWN, f"no echo request could be sent{why}"
    if received == 0 or lost / sent >= spec.loss:
        return DOWN, f"{lost}/{sent} lost"
    rtt = f"{avg_rtt_ms:.1f} ms"
    if lost:
        return SLOW, f"{lost}/{sent} lost, {rtt}"
    if spec.slow is not None and avg_rtt_ms / 1000 > spec.slow:
        return SLOW, f"{rtt} (slow: over {spec.slow * 1000:.0f} ms)"
    return UP, f"{received}/{sent} replies, {rtt}"


KIND = Kind(key="ping", spec=PingSpec, parse=parse_ping, make=PingCheck, states=PROBE_STATES,
            example="{host: gateway.example.com, count: 2}")
