"""Ping checks with icmplib: echo requests, loss and round-trip time, in the ICMP mode this machine allows."""

from __future__ import annotations

import ctypes
import logging
import socket
import struct
import threading
import time
from typing import Callable, List, Optional, Tuple

import icmplib
import icmplib.sockets
from icmplib.utils import unique_identifier

from statusboard.checks.connect import ResolveTimeout, interleave, resolve
from statusboard.config import Target
from statusboard.observation import Observation
from statusboard.states import DOWN, SLOW, UNKNOWN, UP
from statusboard.targets import PingSpec

log = logging.getLogger(__name__)

# icmplib times its waits and its replies with the wall clock, which jumps on a Pi (no real-time clock): a jump
# forward during a ping makes it throw away a reply that did arrive. It only ever subtracts two of its own
# readings, so the monotonic clock serves it exactly.
icmplib.sockets.time = time.monotonic  # type: ignore[attr-defined]

INTERVAL = 0.2   # seconds between echo requests to one host
PAYLOAD = bytes(range(56))   # the usual 56 bytes; a fixed payload spares making a random one per packet
SO_ATTACH_FILTER = 26   # from <asm-generic/socket.h>, the same on every Linux the Pi runs
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


def _only_replies_to(sock: socket.socket, ident: int) -> None:
    """Attach a kernel filter so a raw IPv4 socket only wakes for ICMP packets carrying our id.

    A raw ICMP socket receives every ICMP packet of the host; with many pings at once each would read
    all the others' replies. This is the filter iputils' ping uses: load the IP header length, then
    the ICMP id behind it, accept on a match, drop the rest.
    """
    program = [(0xB1, 0, 0, 0),            # X <- 4 * (ip[0] & 0xf): the IP header length
               (0x48, 0, 0, 4),            # A <- half-word at X + 4: the ICMP id
               (0x15, 0, 1, ident),        # if A == ident go on, else skip one
               (0x06, 0, 0, 0xFFFFFFFF),   # accept
               (0x06, 0, 0, 0)]            # drop
    code = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *op) for op in program))
    fprog = struct.pack("HL", len(program), ctypes.addressof(code))
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
    except OSError as exc:   # without the filter pings still work, only with more wake-ups
        log.debug("ping: no socket filter: %s", exc)


def addresses(host: str, deadline: float) -> List[str]:
    """The host's addresses in RFC 8305 order, resolved within the deadline."""
    infos = interleave(resolve(host, None, deadline, socket.SOCK_DGRAM))
    seen: List[str] = []
    for info in infos:
        address = info[4][0]
        if address not in seen:
            seen.append(address)
    return seen


def ping(host: str, count: int, deadline: float, privileged: bool) -> Tuple[int, List[float]]:
    """Send count echo requests to host within the deadline; the number sent and the round-trip times (ms) of
    the replies. A host with several addresses: each is tried in turn, with an equal share of the time left,
    until one answers."""
    sent = 0
    candidates = addresses(host, deadline)
    for n, address in enumerate(candidates):
        share = (deadline - time.monotonic()) / (len(candidates) - n)
        if share <= 0:
            break
        got, rtts = ping_address(address, count, time.monotonic() + share, privileged)
        sent += got
        if rtts:
            return sent, rtts
    return sent, []


def ping_address(address: str, count: int, deadline: float, privileged: bool) -> Tuple[int, List[float]]:
    """Echo requests to one address, spread so that the last reply is awaited by the deadline; round trips
    are timed on the monotonic clock."""
    ipv6 = icmplib.is_ipv6_address(address)
    ident = unique_identifier()
    sent, rtts = 0, []
    start = time.monotonic()
    slot = max(0.0, deadline - start) / count   # each request has its slot: it waits for its reply within it
    with (icmplib.ICMPv6Socket if ipv6 else icmplib.ICMPv4Socket)(privileged=privileged) as sock:
        if privileged and not ipv6 and sock.sock is not None:
            _only_replies_to(sock.sock, ident)
        for sequence in range(count):
            slot_end = start + (sequence + 1) * slot
            request = icmplib.ICMPRequest(destination=address, id=ident, sequence=sequence, payload=PAYLOAD)
            try:
                sent_at = time.monotonic()
                sock.send(request)
                sent += 1
                reply = sock.receive(request, max(0.001, slot_end - sent_at))
                reply.raise_for_status()
                rtts.append((time.monotonic() - sent_at) * 1000)
            except icmplib.ICMPLibError:
                pass
            if sequence + 1 < count:   # the usual gap between requests, within the slot
                time.sleep(max(0.0, min(sent_at + INTERVAL, slot_end) - time.monotonic()))
    return sent, rtts


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
        at = time.monotonic() + target.timeout if deadline is None else deadline
        try:
            sent, rtts = ping(spec.host, spec.count, at, mode)
        except ResolveTimeout:
            state, detail = DOWN, f"cannot resolve {spec.host}: no answer from the resolver within {target.timeout:g} s"
        except (icmplib.NameLookupError, socket.gaierror, UnicodeError):
            state, detail = DOWN, f"cannot resolve {spec.host}"
        except icmplib.SocketPermissionError:
            state, detail = UNKNOWN, NOT_ALLOWED
        except (icmplib.ICMPLibError, OSError) as exc:
            state, detail = DOWN, f"ping failed: {exc}"
        else:
            state, detail = judge(spec, sent, len(rtts), sum(rtts) / len(rtts) if rtts else 0.0)
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
