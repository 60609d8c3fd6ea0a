"""The `web:` section (the board's page, its API and /metrics) and the `history:` section (how long changes are
kept) of config.yaml."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, replace
from typing import Any, Optional, Tuple

from statusboard.config import values
from statusboard.config.schema import Section
from statusboard.config.values import Invalid
from statusboard.text import printable

DEFAULT_LISTEN = "127.0.0.1:8080"
DEFAULT_KEEP = 30 * 86400.0


@dataclass(frozen=True)
class WebSettings:
    """Where the page listens: an address of this machine and a port."""

    host: str = "127.0.0.1"
    port: int = 8080
    hosts: Tuple[str, ...] = ()   # more names (or addresses) the page may be reached by, besides this machine's

    @property
    def listen(self) -> str:
        """host:port as written ([v6]:port for IPv6)."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class HistorySettings:
    """Whether changes of state are kept, and for how long (seconds)."""

    retention: float = DEFAULT_KEEP   # YAML: history.keep
    enabled: bool = True


def listen(value: Any) -> WebSettings:
    """`127.0.0.1:8080`, `0.0.0.0:8080`, `[::]:8080` or a bare port (then 127.0.0.1)."""
    text = str(value).strip() if not isinstance(value, bool) else ""
    host, _, port = text.rpartition(":") if not text.isdigit() else ("127.0.0.1", "", text)
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        ipaddress.ip_address(host)
        number = int(port)
    except ValueError:
        raise Invalid(f"expected an address and port like 127.0.0.1:8080 or 0.0.0.0:8080, got "
                      f"{printable(repr(value), 40)}") from None
    if not 1 <= number <= 65535:
        raise Invalid(f"a port is 1 to 65535, got {number}")
    return WebSettings(host, number)


def parse_web(sec: Section, present: bool) -> Optional[WebSettings]:
    """`web: {listen}` (`web:` alone: the defaults); None without the section (no page)."""
    if not present:
        return None
    if not sec.given or (sec.ok and not sec.mapping):
        return WebSettings()
    settings = sec.take("listen", listen, WebSettings()) if sec.ok else None
    names = sec.take("hosts", hosts, ()) if sec.ok else ()
    sec.finish()
    return replace(settings, hosts=names) if settings is not None else None


LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)\Z")


def hosts(value: Any) -> Tuple[str, ...]:
    """`[board.example.org, statusboard.lan]`: the names (or addresses) besides this machine's own that the page
    answers to (a Host header naming anything else is refused, against DNS rebinding)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise Invalid(f"expected a list of host names like [board.example.org], got {printable(repr(value), 40)}")
    out = []
    for item in value:
        name = str(item).strip().lower().rstrip(".") if isinstance(item, (str, int)) else ""
        try:
            out.append(ipaddress.ip_address(name.strip("[]")).compressed)
            continue
        except ValueError:
            pass
        if not name or len(name) > 253 or not all(LABEL.match(label) for label in name.split(".")):
            raise Invalid(f"not a host name or address: {printable(repr(item), 60)} (a name like board.example.org, "
                          "without a scheme, port or path)")
        out.append(name)
    return tuple(out)


def parse_history(sec: Section) -> HistorySettings:
    """`history: {keep: 30d, enabled: true}`."""
    if not sec.given:
        return HistorySettings()
    keep = sec.take("keep", _keep, DEFAULT_KEEP)
    enabled = sec.take("enabled", values.boolean, True)
    sec.finish()
    return HistorySettings(keep, enabled)


def _keep(value: Any) -> float:
    """How long history is kept: `30d`, `12h`; 1 hour to 10 years."""
    seconds = values.span(value)
    if seconds < 3600:
        raise Invalid(f"keep history for at least 1h, got {printable(repr(value), 40)}")
    return seconds
