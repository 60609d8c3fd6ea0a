"""A ping sweep: every host's echo requests sent together through one ICMP socket per address family, and every
reply read off that one socket, so a board of 64 hosts costs one wake-up per reply, not a thread per host.

A reply counts only when its type, identifier, sequence number, source address and payload are the ones this
sweep sent (net/echo.py), as blackbox_exporter holds: another sweep, or a system ping beside the board, never
answers for our hosts.
"""

from __future__ import annotations

import logging
import os
import selectors
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from statusboard.net import echo
from statusboard.net.connect import ResolveTimeout, interleave, resolve
from statusboard.vocabulary import DOWN

log = logging.getLogger(__name__)

INTERVAL = 0.2   # seconds between echo requests to one host
FILL = bytes(range(48))   # the usual 56 bytes of payload: 8 of them this phase's own, then these
probe_mode = echo.probe_mode
NotAllowed = echo.NotAllowed


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
    """One host in a sweep: its name, how many echo requests it gets, its addresses, and what came back."""

    name: str
    count: int
    addresses: List[str] = field(default_factory=list)
    sent: int = 0
    rtts: List[float] = field(default_factory=list)
    failure: Optional[Tuple[str, str]] = None   # (state, detail) when it could not be pinged at all
    unsent: Optional[str] = None   # why the network refused its last echo request (no route, no address)


@dataclass
class _Sent:
    """One echo request awaiting its reply."""

    host: Host
    address: str
    at: float     # time.monotonic() when it was sent
    wall: float   # and time.time(), to compare with the kernel's stamp of the reply's arrival


def sweep(hosts: Sequence[Host], deadline: float, privileged: bool) -> None:
    """Ping every host at once through one ICMP socket per address family, `count` echo requests each, the
    requests of one round spaced INTERVAL apart, within the deadline. A host with several addresses tries the
    next one (in a later phase, with an equal share of the time left) while the earlier ones stay silent.
    NotAllowed when this process may not open the sockets; OSError when the machine cannot (no IPv6)."""
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
    """Echo requests to one address of each host, each reply awaited within its own slot of the time."""
    ident = echo.next_identifier()
    payload = os.urandom(8) + FILL
    count = max(h.count for h, _ in pairs)
    start = time.monotonic()
    slot = max(0.0, deadline - start) / count     # an echo's reply must come within its slot
    gap = min(INTERVAL, slot)
    sockets: Dict[bool, echo.EchoSocket] = {}
    waiting: Dict[Tuple[bool, int], _Sent] = {}
    selector = selectors.DefaultSelector()
    try:
        for _host, address in pairs:
            ipv6 = echo.is_ipv6(address)
            if ipv6 not in sockets:
                sockets[ipv6] = sock = echo.EchoSocket(ipv6, privileged)
                sock.bind_identifier(ident)
                selector.register(sock.sock, selectors.EVENT_READ, sock)
        for round_ in range(count):
            _receive(selector, waiting, payload, slot, start + round_ * gap)
            for host, address in pairs:
                if round_ >= host.count:
                    continue
                ipv6 = echo.is_ipv6(address)
                sequence = echo.next_sequence()
                wall = time.time()   # before it goes: on loopback the reply is in before send() returns
                if sockets[ipv6].send(address, ident, sequence, payload):
                    waiting[(ipv6, sequence)] = _Sent(host, echo.same_address(address), time.monotonic(), wall)
                    host.sent += 1
                else:
                    host.unsent = sockets[ipv6].refused
        _receive(selector, waiting, payload, slot, deadline)
    finally:
        selector.close()
        for sock in sockets.values():
            sock.close()


def _receive(selector: selectors.BaseSelector, waiting: Dict[Tuple[bool, int], _Sent], payload: bytes,
             slot: float, until: float) -> None:
    """Take replies until `until`, or until no reply is awaited any more (each is awaited within its slot)."""
    while waiting:
        now = time.monotonic()
        last = max(s.at for s in waiting.values()) + slot
        if now >= until or now >= last:
            # What came in time but waits unread (the board was short of CPU) still counts, by its stamp.
            for key in list(selector.get_map().values()):
                _take(key.data, waiting, payload, slot)
            return
        for key, _ in selector.select(min(until, last) - now):
            _take(key.data, waiting, payload, slot)


def _take(sock: echo.EchoSocket, waiting: Dict[Tuple[bool, int], _Sent], payload: bytes, slot: float) -> None:
    """Read the replies waiting on one socket; each of ours that came within its slot gives a round-trip time,
    from the kernel's stamp of its arrival where there is one (a late read is not a slow reply)."""
    for reply in sock.replies():
        sent = waiting.get((sock.ipv6, reply.sequence))
        if sent is None or reply.source != sent.address or reply.payload != payload:
            continue   # not one of ours: another sweep's, a system ping's, or a stray
        del waiting[(sock.ipv6, reply.sequence)]
        took = time.monotonic() - sent.at
        if reply.arrived is not None and 0 <= reply.arrived - sent.wall <= took + 0.001:
            took = reply.arrived - sent.wall   # the wall clock did not step between the two
        if took <= slot:
            sent.host.rtts.append(took * 1000)


def resolve_all(hosts: Sequence[Host], deadline: float, timeout: float) -> None:
    """Every host's addresses, names resolved at the same time (each within the deadline)."""

    def one(host: Host) -> None:
        name = host.name
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
        if is_address(host.name):
            host.addresses = [host.name]
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
                host.failure = (DOWN, f"cannot resolve {host.name}: no answer from the resolver within "
                                      f"{timeout:g} s")


def is_address(host: str) -> bool:
    """Whether host is an IPv4 or IPv6 address (no name to resolve)."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
            return True
        except OSError:
            continue
    return False
