"""The `mqtt:` section of config.yaml: the broker, the topics, and where the credentials come from (a file or
the environment: never config.yaml itself)."""

from __future__ import annotations

import hashlib
import re
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, Iterable, Optional, Tuple
from urllib.parse import urlsplit

from statusboard.config import values
from statusboard.readfile import NotAFile, login, read_small
from statusboard.config.schema import Section
from statusboard.config.values import Invalid

TOPIC_LEVEL = re.compile(r"^[A-Za-z0-9_.-]+$")
HASHED = re.compile(r"-[0-9a-f]{6}$")            # how a changed name ends: no name kept as it is ends so
RESERVED = ("availability",)                      # the board's own topic levels, beside its targets'
HA_PLAIN = re.compile(r"^[A-Za-z0-9-]+(?:_[A-Za-z0-9-]+)*$")   # Home Assistant's id letters, never "__"
SECRETS = ("username", "user", "password", "pass", "passwd", "secret", "token")
ENV_USER, ENV_PASSWORD = "STATUSBOARD_MQTT_USERNAME", "STATUSBOARD_MQTT_PASSWORD"
if TYPE_CHECKING:
    import ssl
CA_BYTES = 1024 * 1024   # a CA file of a few certificates; a system bundle is about 200 KB


@dataclass(frozen=True)
class MqttSettings:
    """Where the broker is, how the board is named there, and what it publishes."""

    host: str
    port: int
    tls: bool = False
    ca_file: Optional[str] = None
    client_id: str = ""
    prefix: str = "statusboard"
    board: str = "statusboard"
    credentials: Optional[str] = None       # a file: username on the first line, password on the second
    publish: bool = True
    discovery: bool = True
    discovery_prefix: str = "homeassistant"

    @property
    def url(self) -> str:
        """The broker as people write it."""
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"

    def topic(self, target: str) -> str:
        """Where a target's state is published (a board's targets together: topics())."""
        return self.topics([target])[target]

    def topics(self, targets: Iterable[str]) -> Dict[str, str]:
        """Where each of a board's targets is published: one topic each, never the board's own."""
        return {name: f"{self.prefix}/{self.board}/{lvl}" for name, lvl in levels(targets).items()}

    @property
    def availability(self) -> str:
        """Where the board says online or offline."""
        return f"{self.prefix}/{self.board}/availability"


def _hashed(name: str, other: str, n: int = 0) -> str:
    """The name's characters outside the allowed ones made '_' (`other`: the allowed), and a short hash added."""
    digest = hashlib.sha256((f"{n}:{name}" if n else name).encode("utf-8", "surrogatepass")).hexdigest()[:6]
    return f"{re.sub(other, '_', name)}-{digest}"


def level(name: str, n: int = 0) -> str:
    """A name as one topic level: itself when it is letters, digits, '_', '.' and '-' (and does not end like a
    changed name); else those characters kept, the others made '_', and a short hash of the name added, so
    `a+b`, `a#b`, `a/b` and `a_b-1b2c3d` stay apart (n: the next try when two names still meet)."""
    if TOPIC_LEVEL.match(name) and not HASHED.search(name) and not n:
        return name
    return _hashed(name, r"[^A-Za-z0-9_.-]", n)


def levels(names: Iterable[str]) -> Dict[str, str]:
    """Each of a board's target names as its topic level: distinct by construction, and never a level the
    board itself uses (`availability`); a changed name ends in a hash, which no name kept as it is does."""
    out: Dict[str, str] = {}
    used = set(RESERVED)
    for name in sorted(set(names)):
        n, lvl = 0, level(name)
        while lvl in used:   # `availability`, or two hashes that meet: hash again
            n += 1
            lvl = level(name, n)
        out[name] = lvl
        used.add(lvl)
    return out


def ha_id(lvl: str) -> str:
    """A topic level as a Home Assistant id (letters, digits, '-' and single '_'): itself where it can be, else
    a hashed form; never holding "__", so `BOARD__TARGET` is one id for one pair."""
    if HA_PLAIN.match(lvl) and not HASHED.search(lvl):
        return lvl
    return _hashed(lvl, r"[^A-Za-z0-9-]", 0).replace("_", "-")


def broker_url(value: Any) -> Tuple[str, int, bool]:
    """mqtt://host[:port] or mqtts://host[:port] -> (host, port, tls)."""
    text = values.text(value).strip()
    parts = urlsplit(text)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise Invalid(f"expected a broker URL like mqtt://host:1883 or mqtts://host:8883, got {value!r}")
    if parts.username or parts.password:
        raise Invalid("config.yaml never holds MQTT credentials: use mqtt.credentials (a file) or "
                      f"{ENV_USER} and {ENV_PASSWORD}")
    try:
        port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
    except ValueError:
        raise Invalid(f"expected a port from 1 to 65535 in {value!r}") from None
    return parts.hostname, port, parts.scheme == "mqtts"


def topic_level(value: Any) -> str:
    """One topic level: letters, digits, '_', '.', '-'."""
    text = values.text(value).strip()
    if not TOPIC_LEVEL.match(text):
        raise Invalid(f"expected one topic level (letters, digits, _ . -), got {value!r}")
    return text


def ca_context(path: str) -> "ssl.SSLContext":
    """A client TLS context that trusts the certificates of the PEM file at path (read safely: a FIFO or a
    device is refused, never waited on). OSError when it cannot be read; ssl.SSLError when it is not PEM."""
    import ssl   # only for a board with MQTT over TLS
    data = read_small(path, CA_BYTES)
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise ssl.SSLError("is not a PEM file (it is not text)") from None
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise ssl.SSLError("is not a PEM file (no BEGIN CERTIFICATE line)")
    return ssl.create_default_context(cadata=text)


def ca_file(value: Any) -> str:
    """A PEM file of CA certificates that the board can read (one the user running `check` may not read is
    left for the board to read)."""
    import ssl
    path = values.text(value).strip()
    try:
        ca_context(path)
    except ssl.SSLError as exc:   # an OSError too: first
        reason = exc.args[0] if exc.args and isinstance(exc.args[0], str) else "holds no certificate ssl can read"
        raise Invalid(f"{path!r} {reason}; expected PEM certificates (-----BEGIN CERTIFICATE-----)") from None
    except FileNotFoundError:
        raise Invalid(f"no such file: {path!r}") from None
    except PermissionError:
        pass   # root (the service) may read it; the board says so if it cannot
    except NotAFile as exc:
        raise Invalid(f"{path!r} {exc}") from None
    except OSError as exc:
        raise Invalid(f"cannot read {path!r}: {exc.strerror or exc}") from None
    return path


def parse_mqtt(sec: Section) -> Optional[MqttSettings]:
    """The mqtt section, or None where there is none."""
    if not sec.mapping:
        return None
    sec.refuse(SECRETS, f"config.yaml never holds MQTT credentials: use mqtt.credentials (a file) or {ENV_USER} "
                        f"and {ENV_PASSWORD}")
    url = sec.take("url", broker_url)
    board = sec.take("board", topic_level, level(socket.gethostname()))
    settings = MqttSettings(
        host=url[0] if url else "", port=url[1] if url else 0, tls=bool(url and url[2]),
        ca_file=sec.take("ca_file", ca_file, None),
        client_id=sec.take("client_id", values.text, None) or f"statusboard-{board}",
        prefix=sec.take("prefix", topic_level, "statusboard"),
        board=board,
        credentials=sec.take("credentials", values.text, None),
        publish=sec.take("publish", values.boolean, True),
        discovery=sec.take("discovery", values.boolean, True),
        discovery_prefix=sec.take("discovery_prefix", topic_level, "homeassistant"),
    )
    sec.finish()
    return settings if url else None


def credentials(settings: MqttSettings) -> Tuple[Optional[str], Optional[str]]:
    """(username, password) from the credentials file, else the environment; (None, None) for none.
    OSError when the file cannot be read (or is not a small regular file)."""
    return login(settings.credentials, ENV_USER, ENV_PASSWORD)
