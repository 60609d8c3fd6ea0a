"""Which names a request may give in its Host header (and in an absolute request target), against DNS rebinding:
a web page anywhere that points a name of its own at the board would otherwise read the board as its own site.

Allowed: the address the board listens on, loopback (localhost, *.localhost, 127.0.0.0/8, ::1), this machine's
name (and name.local) and addresses, and the `web.hosts` of config.yaml; with any port (the name is what a
rebinding attacker cannot forge, and a tunnel or a container may well move the port).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Iterable, Optional, Tuple


def split(value: str) -> Optional[Tuple[str, Optional[int]]]:
    """(host, port or None) of a Host header's value, lower-cased, without a trailing dot; None when malformed."""
    value = value.strip().lower()
    if not value or any(c in value for c in " \t/\\@?#"):
        return None
    if value.startswith("["):
        host, sep, rest = value[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            return None
        port_text = rest[1:] if rest else None
    else:
        host, sep, port_text = value.partition(":")
        if not sep:
            port_text = None
        elif ":" in port_text:
            return None
    if port_text is not None and not (port_text.isdigit() and 0 < int(port_text) < 65536):
        return None
    return host.rstrip("."), int(port_text) if port_text is not None else None


def machine_names() -> Tuple[str, ...]:
    """This machine's own names: its host name, its short name and name.local (mDNS, as a Pi announces itself)."""
    try:
        name = socket.gethostname().lower().rstrip(".")
    except OSError:
        return ()
    short = name.split(".")[0]
    return tuple(n for n in {name, short, f"{short}.local"} if n and n != ".local")


def is_local_address(address: ipaddress._BaseAddress) -> bool:
    """Whether an address is one of this machine's (it can be bound to)."""
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.bind((str(address), 0))
        return True
    except OSError:
        return False


class Hosts:
    """Decides whether a Host names this board."""

    def __init__(self, listen_host: str, port: int, extra: Iterable[str] = ()) -> None:
        self.port = port
        self.names = {"localhost", *machine_names(), *(h.lower() for h in extra)}
        self.addresses = {a for a in (_address(listen_host), *(_address(h) for h in extra)) if a is not None}

    def allows(self, value: str) -> bool:
        """Whether a Host header's value (or an absolute target's authority) names this board."""
        parsed = split(value)
        if parsed is None:
            return False
        host = parsed[0]
        if host in self.names or host.endswith(".localhost"):
            return True
        address = _address(host)
        if address is None:
            return False
        return address.is_loopback or address in self.addresses or (not address.is_unspecified
                                                                     and is_local_address(address))


def _address(text: str) -> Optional[ipaddress._BaseAddress]:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None
