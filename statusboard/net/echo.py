"""ICMP echo on the wire, ours end to end: the sockets (raw or unprivileged, IPv4 and IPv6), the requests, and
the strict reading of replies (type, identifier, sequence, source address and payload must all be ours)."""

from __future__ import annotations

import ctypes
import ipaddress
import logging
import os
import socket
import struct
import sys
import threading
from dataclasses import dataclass, replace
from typing import List, Optional, Tuple

log = logging.getLogger(__name__)

SO_ATTACH_FILTER = 26          # from <asm-generic/socket.h>, the same on every Linux the Pi runs
ECHO_REQUEST = {False: 8, True: 128}   # ipv6 -> ICMP type
ECHO_REPLY = {False: 0, True: 129}
_ids = [os.getpid() & 0xFFFF]
_sequences = [0]
_lock = threading.Lock()


class NotAllowed(PermissionError):
    """This process may open neither kind of ICMP socket it asked for."""


def next_identifier() -> int:
    """An identifier no other sweep of this process uses at the same time (65,536 before one comes back)."""
    with _lock:
        _ids[0] = (_ids[0] + 1) & 0xFFFF
        return _ids[0]


def next_sequence() -> int:
    """A sequence number that keeps counting across phases and sweeps, as ping's does."""
    with _lock:
        _sequences[0] = (_sequences[0] + 1) & 0xFFFF
        return _sequences[0]


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071)."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def request(ipv6: bool, ident: int, sequence: int, payload: bytes) -> bytes:
    """An echo request. For ICMPv6 and for unprivileged sockets the kernel fills in the checksum (and, for the
    latter, the identifier); a raw IPv4 socket sends it as it is."""
    header = struct.pack("!BBHHH", ECHO_REQUEST[ipv6], 0, 0, ident, sequence)
    if ipv6:
        return header + payload
    return struct.pack("!BBHHH", ECHO_REQUEST[ipv6], 0, checksum(header + payload), ident, sequence) + payload


class EchoSocket:
    """One ICMP socket of one address family: raw (privileged) or a ping socket (unprivileged)."""

    def __init__(self, ipv6: bool, privileged: bool) -> None:
        family, proto = (socket.AF_INET6, socket.IPPROTO_ICMPV6) if ipv6 else (socket.AF_INET, socket.IPPROTO_ICMP)
        try:
            self.sock = socket.socket(family, socket.SOCK_RAW if privileged else socket.SOCK_DGRAM, proto)
        except PermissionError as exc:
            raise NotAllowed(str(exc)) from None
        self.sock.setblocking(False)
        _stamped(self.sock)
        self.ipv6 = ipv6
        self.privileged = privileged
        self.ident: Optional[int] = None
        self.refused: Optional[str] = None   # why the network last refused an echo request, in its words

    def bind_identifier(self, ident: int) -> None:
        """The identifier replies must carry: ours on a raw socket (and a kernel filter that wakes us only for
        it), the kernel's own on a ping socket (it rewrites the requests' identifier to the socket's port)."""
        if self.privileged:
            self.ident = ident
            _only_replies_to(self.sock, ident, self.ipv6)
        else:
            self.sock.bind(("::", 0) if self.ipv6 else ("0.0.0.0", 0))
            self.ident = self.sock.getsockname()[1]

    def send(self, address: str, ident: int, sequence: int, payload: bytes) -> bool:
        """Send one echo request; False when the network refused it at once (no route, no address)."""
        try:
            self.sock.sendto(request(self.ipv6, ident, sequence, payload), (address, 0))
            return True
        except OSError as exc:
            log.debug("ping %s: %s", address, exc)
            self.refused = exc.strerror or str(exc)
            return False

    def replies(self) -> List["Reply"]:
        """Every echo reply waiting on the socket that carries our identifier (others' packets are dropped)."""
        out = []
        while True:
            try:
                packet, ancillary, _flags, source = self.sock.recvmsg(2048, STAMP_SPACE)
            except (BlockingIOError, InterruptedError):
                return out
            except OSError:
                return out
            reply = parse(packet, source[0], self.ipv6, raw_ipv4=self.privileged and not self.ipv6)
            if reply is not None and reply.ident == self.ident:
                out.append(replace(reply, arrived=_arrival(ancillary)))

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()


@dataclass(frozen=True)
class Reply:
    """An echo reply as it came: its identifier, sequence number, source address and payload."""

    ident: int
    sequence: int
    source: str
    payload: bytes
    arrived: Optional[float] = None   # when the kernel took it in (Unix time), however late it is read


# A reply's arrival as the kernel stamped it (SO_TIMESTAMPNS, Linux): a board short of CPU reads its replies late,
# and would otherwise count the wait for the CPU as round-trip time, or a reply as lost.
# Python names no SO_TIMESTAMPNS; Linux's is 35 (asm-generic, so x86 and ARM), with a timespec of two C longs.
STAMP = getattr(socket, "SO_TIMESTAMPNS", 35 if sys.platform.startswith("linux") else None)
TIMESPEC = struct.Struct("@ll")
STAMP_SPACE = socket.CMSG_SPACE(TIMESPEC.size) if STAMP is not None else 0
RECEIVE_BUFFER = 1 << 20   # replies of a 256-host sweep kept while the board waits for the CPU


def _stamped(sock: socket.socket) -> None:
    """Ask the kernel to stamp each reply's arrival, and to keep a sweep's replies until they are read."""
    try:
        if STAMP is not None:
            _keep_stamping()
            sock.setsockopt(socket.SOL_SOCKET, STAMP, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
    except OSError:   # without them, replies are timed when read
        pass


_KEEPER: List[socket.socket] = []
_KEEPER_LOCK = threading.Lock()


def _keep_stamping() -> None:
    """Keep the kernel's receive stamps on for the life of the board. Linux turns them on for the first socket
    that asks and off after the last closes, each time through a work queue: a sweep's sockets alone would
    find them off again, and on a busy machine the first replies would be stamped when read, not when they came
    (a reply read 0.8 s late counted as a 0.8 s round trip). One idle socket that asks for them keeps them on."""
    with _KEEPER_LOCK:
        if not _KEEPER:
            keeper = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            keeper.setsockopt(socket.SOL_SOCKET, STAMP, 1)
            _KEEPER.append(keeper)


def _arrival(ancillary: List[Tuple[int, int, bytes]]) -> Optional[float]:
    """The kernel's arrival stamp in recvmsg's ancillary data, as Unix time (None without one)."""
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == STAMP and len(data) >= TIMESPEC.size:
            seconds, nanoseconds = TIMESPEC.unpack(data[:TIMESPEC.size])
            return seconds + nanoseconds / 1e9
    return None


def parse(packet: bytes, source: str, ipv6: bool, raw_ipv4: bool) -> Optional[Reply]:
    """An echo reply from a packet (a raw IPv4 socket hands over the IP header first); None for anything else,
    such as our own requests, which a raw socket sees too."""
    offset = (packet[0] & 0x0F) * 4 if raw_ipv4 and packet else 0
    if len(packet) < offset + 8:
        return None
    kind, _code, _sum, ident, sequence = struct.unpack_from("!BBHHH", packet, offset)
    if kind != ECHO_REPLY[ipv6]:
        return None
    return Reply(ident, sequence, same_address(source), packet[offset + 8:])


def same_address(address: str) -> str:
    """An address in one spelling (IPv6 compressed, no zone), so a reply's source compares with our target."""
    try:
        return str(ipaddress.ip_address(address.split("%", 1)[0]))
    except ValueError:
        return address


def _only_replies_to(sock: socket.socket, ident: int, ipv6: bool) -> None:
    """Attach a kernel filter so a raw socket only wakes for ICMP packets carrying our identifier.

    A raw ICMP socket receives every ICMP packet of the host; with many pings at once (or a system ping beside
    us) each would read all the others' replies. This is iputils' filter: on IPv4 load the IP header length,
    then the identifier behind it; on IPv6 the socket starts at the ICMPv6 header. Accept on a match, drop the
    rest. Replies are still checked one by one: the filter only spares wake-ups.
    """
    if ipv6:
        program = [(0x28, 0, 0, 4),            # A <- half-word at 4: the ICMPv6 identifier
                   (0x15, 0, 1, ident),        # if A == ident go on, else skip one
                   (0x06, 0, 0, 0xFFFFFFFF),   # accept
                   (0x06, 0, 0, 0)]            # drop
    else:
        program = [(0xB1, 0, 0, 0),            # X <- 4 * (ip[0] & 0xf): the IP header length
                   (0x48, 0, 0, 4),            # A <- half-word at X + 4: the ICMP identifier
                   (0x15, 0, 1, ident),
                   (0x06, 0, 0, 0xFFFFFFFF),
                   (0x06, 0, 0, 0)]
    code = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *op) for op in program))
    fprog = struct.pack("HL", len(program), ctypes.addressof(code))
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
    except OSError as exc:   # without the filter pings still work, only with more wake-ups
        log.debug("ping: no socket filter: %s", exc)


def probe_mode() -> Optional[bool]:
    """True for raw (privileged) ICMP, False for unprivileged ping sockets, None when neither is allowed."""
    for privileged in (True, False):
        try:
            EchoSocket(False, privileged).close()
            return privileged
        except NotAllowed:
            continue
        except OSError as exc:
            log.debug("ICMP socket (privileged=%s) unavailable: %s", privileged, exc)
    return None


def is_ipv6(address: str) -> bool:
    """Whether an address is IPv6."""
    return ":" in address

