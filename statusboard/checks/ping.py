"""Ping checks: echo requests, loss and round-trip time, in the ICMP mode this machine allows.

The targets that share an interval and a timeout are pinged in one sweep: one ICMP socket per address family
(icmplib's, which builds and sends the requests), every host's requests of a round sent together and every
reply read off the one socket, so a board of 64 hosts costs one wake-up per reply, not a thread per host.
"""

from __future__ import annotations

import ctypes
import logging
import selectors
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from statusboard.checks.connect import ResolveTimeout, interleave, resolve
from statusboard.config import Target
from statusboard.observation import Observation
from statusboard.states import DOWN, SLOW, UNKNOWN, UP
from statusboard.targets import PingSpec

log = logging.getLogger(__name__)

INTERVAL = 0.2   # seconds between echo requests to one host
PAYLOAD = bytes(range(56))   # the usual 56 bytes; a fixed payload spares making a random one per packet
SO_ATTACH_FILTER = 26   # from <asm-generic/socket.h>, the same on every Linux the Pi runs
NOT_ALLOWED = ("ICMP not allowed: run as root (or through the service), or allow ping sockets with "
               "sysctl net.ipv4.ping_group_range='0 2147483647'")


def _icmplib() -> Any:
    """icmplib, imported at the first ping rather than at start: it brings asyncio, 40 ms before the first frame.

    icmplib times its waits and its replies with the wall clock, which jumps on a Pi (no real-time clock): a
    jump forward during a ping makes it throw away a reply that did arrive. It only ever subtracts two of its
    own readings, so the monotonic clock serves it exactly.
    """
    import icmplib
    import icmplib.sockets
    icmplib.sockets.time = time.monotonic  # type: ignore[attr-defined]
    return icmplib


def probe_mode() -> Optional[bool]:
    """True for raw (privileged) ICMP, False for unprivileged ping sockets, None when neither is allowed."""
    icmplib = _icmplib()
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


@dataclass
class Host:
    """One target's host in a sweep: its addresses, and what became of its echo requests."""

    spec: PingSpec
    addresses: List[str]
    sent: int = 0
    rtts: List[float] = field(default_factory=list)
    failure: Optional[Tuple[str, str]] = None   # (state, detail) when it could not be pinged at all


def sweep(hosts: Sequence[Host], deadline: float, privileged: bool) -> None:
    """Ping every host at once through one ICMP socket per address family, `count` echo requests each, the
    requests of one round spaced INTERVAL apart, within the deadline. A host with several addresses tries the
    next one (in a later phase, with an equal share of the time left) while the earlier ones stay silent."""
    phase = 0
    while True:
        waiting = [h for h in hosts if h.failure is None and not h.rtts and phase < len(h.addresses)]
        if not waiting:
            return
        phases_left = max(len(h.addresses) for h in waiting) - phase
        share = (deadline - time.monotonic()) / phases_left
        if share <= 0:
            return
        _one_phase([(h, h.addresses[phase]) for h in waiting], time.monotonic() + share, privileged)
        phase += 1


def _one_phase(pairs: Sequence[Tuple[Host, str]], deadline: float, privileged: bool) -> None:
    """Echo requests to one address of each host; replies matched by sequence number (unique in the phase),
    each awaited within its own slot of the time."""
    icmplib = _icmplib()
    ident = icmplib.utils.unique_identifier()
    count = max(h.spec.count for h, _ in pairs)
    start = time.monotonic()
    slot = max(0.0, deadline - start) / count     # an echo's reply must come within its slot
    gap = min(INTERVAL, slot)
    sockets: Dict[bool, Any] = {}
    sent_at: Dict[int, float] = {}
    owner: Dict[int, Host] = {}
    try:
        for host, address in pairs:
            ipv6 = icmplib.is_ipv6_address(address)
            if ipv6 not in sockets:
                sock = (icmplib.ICMPv6Socket if ipv6 else icmplib.ICMPv4Socket)(privileged=privileged)
                if privileged and not ipv6 and sock.sock is not None:
                    _only_replies_to(sock.sock, ident)
                sockets[ipv6] = sock
        selector = selectors.DefaultSelector()
        for ipv6, sock in sockets.items():
            selector.register(sock.sock, selectors.EVENT_READ, privileged and not ipv6)
        for round_ in range(count):
            send_time = start + round_ * gap
            _receive(selector, sent_at, owner, slot, send_time)
            for index, (host, address) in enumerate(pairs):
                if round_ >= host.spec.count:
                    continue
                sequence = index * count + round_
                request = icmplib.ICMPRequest(destination=address, id=ident, sequence=sequence, payload=PAYLOAD)
                try:
                    sockets[icmplib.is_ipv6_address(address)].send(request)
                except icmplib.ICMPLibError:
                    continue
                sent_at[sequence], owner[sequence] = time.monotonic(), host
                host.sent += 1
        _receive(selector, sent_at, owner, slot, deadline)
        selector.close()
    finally:
        for sock in sockets.values():
            sock.close()


def _receive(selector: selectors.BaseSelector, sent_at: Dict[int, float], owner: Dict[int, Host], slot: float,
             until: float) -> None:
    """Take replies until `until`, or until no reply is awaited any more (each is awaited within its slot)."""
    while sent_at:
        now = time.monotonic()
        last = max(sent_at.values()) + slot
        if now >= until or now >= last:
            return
        for key, _ in selector.select(min(until, last) - now):
            for sequence, kind in _drain(key.fileobj, key.data):
                if kind in (8, 128):   # our own echo request, which a raw socket sees too
                    continue
                at = time.monotonic()
                sent = sent_at.pop(sequence, None)
                if sent is not None and kind in (0, 129) and at - sent <= slot:   # an echo reply in its slot
                    owner[sequence].rtts.append((at - sent) * 1000)


def _drain(sock: socket.socket, raw_ipv4: bool) -> List[Tuple[int, int]]:
    """(sequence, ICMP type) of every packet waiting on the socket. A raw IPv4 socket hands over the IP header
    first; the others start at the ICMP header. The kernel filter (raw) or the kernel itself (ping sockets)
    keeps other processes' replies away; our own echo requests, seen by a raw socket, have type 8 and are
    ignored by the caller."""
    out = []
    while True:
        try:
            packet = sock.recv(2048, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return out
        except OSError:
            return out
        offset = (packet[0] & 0x0F) * 4 if raw_ipv4 and packet else 0
        if len(packet) >= offset + 8:
            kind, _code, _sum, _ident, sequence = struct.unpack_from("!BBHHH", packet, offset)
            out.append((sequence, kind))


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

    batched = True

    def group(self, target: Target) -> Tuple[float, float]:
        """Targets with the same interval and timeout are pinged in one sweep."""
        return (target.interval, target.timeout)

    def observe(self, target: Target, deadline: Optional[float] = None) -> Observation:
        """Send `count` echo requests within target.timeout and judge loss and round-trip time."""
        return self.observe_batch([target], deadline)[0]

    def observe_batch(self, targets: Sequence[Target], deadline: Optional[float] = None) -> List[Observation]:
        """Ping every target's host in one sweep (one ICMP socket per address family) within the deadline."""
        mode = self.mode()
        if mode is None:
            return [Observation.of(t.name, UNKNOWN, NOT_ALLOWED, self.clock()) for t in targets]
        timeout = max(t.timeout for t in targets)
        at = time.monotonic() + timeout if deadline is None else deadline
        hosts = _resolve_all([t.spec for t in targets], at, timeout)  # type: ignore[misc]
        icmplib = _icmplib()
        try:
            sweep(hosts, at, mode)
        except icmplib.SocketPermissionError:
            for host in hosts:
                host.failure = host.failure or (UNKNOWN, NOT_ALLOWED)
        except (icmplib.ICMPLibError, OSError) as exc:
            for host in hosts:
                host.failure = host.failure or (DOWN, f"ping failed: {exc}")
        out = []
        for target, host in zip(targets, hosts):
            if host.failure is not None:
                state, detail = host.failure
            else:
                rtts = host.rtts
                state, detail = judge(host.spec, host.sent, len(rtts), sum(rtts) / len(rtts) if rtts else 0.0)
            out.append(Observation.of(target.name, state, detail, self.clock()))
        return out


def _resolve_all(specs: Sequence[PingSpec], deadline: float, timeout: float) -> List[Host]:
    """Every host's addresses, names resolved at the same time (each within the deadline)."""
    hosts = [Host(spec, []) for spec in specs]

    def one(host: Host) -> None:
        name = host.spec.host
        try:
            host.addresses = addresses(name, deadline)
            if not host.addresses:
                host.failure = (DOWN, f"cannot resolve {name}")
        except ResolveTimeout:
            host.failure = (DOWN, f"cannot resolve {name}: no answer from the resolver within {timeout:g} s")
        except (socket.gaierror, UnicodeError, OSError):
            host.failure = (DOWN, f"cannot resolve {name}")
    names = []
    for host in hosts:
        if _is_address(host.spec.host):
            host.addresses = [host.spec.host]
        else:
            names.append(host)
    if len(names) == 1:
        one(names[0])
    else:
        threads = [threading.Thread(target=one, args=(h,), name="ping-resolve", daemon=True) for h in names]
        for thread in threads:
            thread.start()
        for thread in threads:   # each resolve() gives up at the deadline itself
            thread.join(max(0.0, deadline - time.monotonic()) + 0.5)
        for host in names:
            if not host.addresses and host.failure is None:
                host.failure = (DOWN, f"cannot resolve {host.spec.host}: no answer from the resolver within "
                                      f"{timeout:g} s")
    return hosts


def _is_address(host: str) -> bool:
    """Whether host is an IPv4 or IPv6 address (no name to resolve)."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
            return True
        except OSError:
            continue
    return False


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
