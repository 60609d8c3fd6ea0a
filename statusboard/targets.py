"""The check settings of each kind of target (http, ping, ec2, cloudwatch, mqtt), parsed from config.yaml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple, Union
from urllib.parse import urlsplit

from statusboard import values
from statusboard.schema import Section
from statusboard.values import Invalid
from statusboard.text import printable, redact


@dataclass(frozen=True)
class HttpSpec:
    """An HTTP(S) endpoint: what answer counts as up, and when it is slow."""

    url: str
    status: Optional[Tuple[int, ...]] = None   # None: any of 200-399 after redirects
    contains: Optional[str] = None
    slow: Optional[float] = None
    verify: bool = True

    def describe(self) -> str:
        """A short form for people (a password in the URL shown as ***)."""
        return redact(self.url)


@dataclass(frozen=True)
class PingSpec:
    """A host to ping with ICMP echo requests."""

    host: str
    count: int = 3
    slow: Optional[float] = None
    loss: float = 1.0   # fraction of lost replies at or above which the host is down

    def describe(self) -> str:
        """A short form for people."""
        return self.host


@dataclass(frozen=True)
class Ec2Spec:
    """EC2 instances by id, Name tag or tags, with an optional region, profile and status checks."""

    instance_id: Optional[str] = None
    name: Optional[str] = None
    tags: Optional[Tuple[Tuple[str, str], ...]] = None
    region: Optional[str] = None
    profile: Optional[str] = None
    status_checks: bool = False

    def describe(self) -> str:
        """A short form for people."""
        if self.instance_id:
            return self.instance_id
        if self.name:
            return f"named {self.name}"
        return "tagged " + ", ".join(f"{k}={v}" for k, v in self.tags or ())


@dataclass(frozen=True)
class AlarmSpec:
    """CloudWatch alarms (metric or composite) by name, name prefix or a list of names."""

    name: Optional[str] = None
    prefix: Optional[str] = None
    names: Optional[Tuple[str, ...]] = None
    region: Optional[str] = None
    profile: Optional[str] = None

    def describe(self) -> str:
        """A short form for people."""
        if self.name:
            return f"named {self.name}"
        if self.prefix:
            return f"starting with {self.prefix}"
        return "named " + ", ".join(self.names or ())


@dataclass(frozen=True)
class MqttSpec:
    """A topic whose messages set the pixel: statusboard's own JSON, or a payload (or a JSON field) mapped to
    states; `availability`: the publisher's online/offline topic."""

    topic: str
    payload: Optional[Tuple[Tuple[str, str], ...]] = None
    field: Optional[str] = None
    availability: Optional[str] = None

    def describe(self) -> str:
        """A short form for people."""
        return self.topic


Spec = Union[HttpSpec, PingSpec, Ec2Spec, AlarmSpec, MqttSpec]

_INSTANCE_ID = re.compile(r"^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d+$")
_HOST = re.compile(r"^[A-Za-z0-9_.:-]+$")
_URL_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")   # what urlsplit would silently drop or a server misread


def url(value: Any) -> str:
    """An absolute http:// or https:// URL."""
    text = values.text(value).strip()
    bad = _URL_UNSAFE.search(text)
    if bad:
        what = "a space" if bad.group() == " " else "whitespace or a control character"
        raise Invalid(f"a URL cannot hold {what} (write a space as %20): '{printable(text, 120)}'")
    try:
        parts = urlsplit(text)
        parts.port   # a port that is not a number from 0 to 65535 raises here
    except ValueError as exc:
        raise Invalid(f"not a valid URL ({exc}): {value!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid(f"expected an http:// or https:// URL, got {value!r}")
    return text


def statuses(value: Any) -> Tuple[int, ...]:
    """One HTTP status code or a list of them."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise Invalid("expected an HTTP status code or a list of them, got an empty list")
    return tuple(values.integer(v, 100, 599) for v in items)


def host(value: Any) -> str:
    """A host name or IP address."""
    text = values.text(value).strip()
    if not _HOST.match(text):
        raise Invalid(f"expected a host name or IP address, got {value!r}")
    return text


def instance_id(value: Any) -> str:
    """An EC2 instance id like i-0123456789abcdef0."""
    text = values.text(value).strip()
    if not _INSTANCE_ID.match(text):
        raise Invalid(f"expected an EC2 instance id like i-0123456789abcdef0, got {value!r}")
    return text


def region(value: Any) -> str:
    """An AWS region name like eu-west-1."""
    text = values.text(value).strip()
    if not _REGION.match(text):
        raise Invalid(f"expected an AWS region like eu-west-1, got {value!r}")
    return text


def _long_form(parent: Section, key: str) -> Optional[Section]:
    """None when the value is the short (scalar) form, else the section of its long form."""
    value = parent.raw(key)
    if isinstance(value, dict):
        return parent.sub(key)
    return None


def _one_of(sec: Section, keys: Tuple[str, str, str]) -> List[str]:
    """The selector keys present; a problem unless there is exactly one."""
    chosen = [k for k in keys if sec.has(k)]
    if len(chosen) != 1:
        sec.report(f"give exactly one of {keys[0]}, {keys[1]} or {keys[2]}"
                   + (f" (found {' and '.join(chosen)})" if chosen else ""))
    return chosen


def parse_http(parent: Section, key: str) -> Optional[HttpSpec]:
    """`http: URL` or `http: {url, status, contains, slow, verify}`."""
    sec = _long_form(parent, key)
    if sec is None:
        got = parent.take(key, url)
        return HttpSpec(got) if got else None
    spec = HttpSpec(
        url=sec.take("url", url),
        status=sec.take("status", statuses, None),
        contains=sec.take("contains", values.text, None),
        slow=sec.take("slow", values.duration, None),
        verify=sec.take("verify", values.boolean, True),
    )
    sec.finish()
    return spec if spec.url else None


def parse_ping(parent: Section, key: str) -> Optional[PingSpec]:
    """`ping: HOST` or `ping: {host, count, slow, loss}`."""
    sec = _long_form(parent, key)
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


def tags(value: Any) -> Tuple[Tuple[str, str], ...]:
    """A mapping of tag keys to values, at least one."""
    if not isinstance(value, dict) or not value:
        raise Invalid(f"expected tags as a mapping like {{Role: web, Env: prod}}, got {value!r}")
    out = []
    for key, val in value.items():
        if not isinstance(key, str) or isinstance(val, (dict, list)) or val is None:
            raise Invalid(f"tag {key!r}: expected a plain value, got {val!r}")
        out.append((key, str(val)))
    return tuple(sorted(out))


def parse_ec2(parent: Section, key: str) -> Optional[Ec2Spec]:
    """`ec2: i-...` or `ec2: {id | name | tags, region, profile, status_checks}`."""
    sec = _long_form(parent, key)
    if sec is None:
        got = parent.take(key, instance_id)
        return Ec2Spec(instance_id=got) if got else None
    chosen = _one_of(sec, ("id", "name", "tags"))
    spec = Ec2Spec(
        instance_id=sec.take("id", instance_id, None),
        name=sec.take("name", values.text, None),
        tags=sec.take("tags", tags, None),
        region=sec.take("region", region, None),
        profile=sec.take("profile", values.text, None),
        status_checks=sec.take("status_checks", values.boolean, False),
    )
    sec.finish()
    return spec if len(chosen) == 1 and (spec.instance_id or spec.name or spec.tags) else None


def alarm_name(value: Any) -> str:
    """A CloudWatch alarm name (1 to 255 characters)."""
    text = values.text(value)
    if not 1 <= len(text) <= 255:
        raise Invalid(f"expected a CloudWatch alarm name (1 to 255 characters), got {value!r}")
    return text


def alarm_names(value: Any) -> Tuple[str, ...]:
    """A list of 1 to 100 alarm names."""
    if not isinstance(value, list) or not 1 <= len(value) <= 100:
        raise Invalid(f"expected a list of 1 to 100 alarm names, got {value!r}")
    return tuple(dict.fromkeys(alarm_name(v) for v in value))


def parse_cloudwatch(parent: Section, key: str) -> Optional[AlarmSpec]:
    """`cloudwatch: ALARM` or `cloudwatch: {name | prefix | names, region, profile}`."""
    sec = _long_form(parent, key)
    if sec is None:
        got = parent.take(key, alarm_name)
        return AlarmSpec(name=got) if got else None
    chosen = _one_of(sec, ("name", "prefix", "names"))
    spec = AlarmSpec(
        name=sec.take("name", alarm_name, None),
        prefix=sec.take("prefix", alarm_name, None),
        names=sec.take("names", alarm_names, None),
        region=sec.take("region", region, None),
        profile=sec.take("profile", values.text, None),
    )
    sec.finish()
    return spec if len(chosen) == 1 and (spec.name or spec.prefix or spec.names) else None


YAML_BOOLS = {flag: tuple(v for word in words for v in (word, word.capitalize(), word.upper()))
              for flag, words in ((True, ("y", "yes", "true", "on")), (False, ("n", "no", "false", "off")))}


def topic(value: Any) -> str:
    """An MQTT topic to subscribe to: no wildcards (one pixel, one topic)."""
    text = values.text(value).strip()
    if not text or "+" in text or "#" in text or len(text) > 256:
        raise Invalid(f"expected an MQTT topic without wildcards, like statusboard/desk/web-1, got {value!r}")
    return text


def payload_map(value: Any) -> Tuple[Tuple[str, str], ...]:
    """{PAYLOAD: state, ...}: which state each payload means."""
    from statusboard.states import STATES
    if not isinstance(value, dict) or not value:
        raise Invalid(f"expected a mapping of payloads to states, like {{ON: up, OFF: down}}, got {value!r}")
    out = []
    for key, state in value.items():
        if str(state) not in STATES:
            shown = ("ON/yes/true" if key else "OFF/no/false") if isinstance(key, bool) else repr(key)
            raise Invalid(f"payload {shown}: unknown state {state!r}; states are {', '.join(STATES)}")
        # YAML reads ON, OFF, yes, no, true, false as booleans: the payload was one of those spellings.
        for payload in YAML_BOOLS[key] if isinstance(key, bool) else (str(key),):
            out.append((payload, str(state)))
    return tuple(out)


def parse_mqtt_target(parent: Section, key: str) -> Optional[MqttSpec]:
    """`mqtt: TOPIC` or `mqtt: {topic, payload, field, availability}`."""
    sec = _long_form(parent, key)
    if sec is None:
        got = parent.take(key, topic)
        return MqttSpec(got) if got else None
    spec = MqttSpec(
        topic=sec.take("topic", topic),
        payload=sec.take("payload", payload_map, None),
        field=sec.take("field", values.text, None),
        availability=sec.take("availability", topic, None),
    )
    sec.finish()
    return spec if spec.topic else None


# The config key of each kind of target, and how to read its settings.
# kind -> (the library its check needs, how to install it); checked when a config is read, so a board never
# starts, or reloads, into a check that cannot run.
LIBRARIES: Dict[str, Tuple[str, str]] = {
    "ec2": ("boto3", "sudo ./install.sh installs it, or: pip install 'statusboard[ec2]'"),
    "cloudwatch": ("boto3", "sudo ./install.sh installs it, or: pip install 'statusboard[ec2]'"),
    "mqtt": ("paho.mqtt", "sudo ./install.sh installs it, or: pip install 'statusboard[mqtt]'"),
}

KINDS: Dict[str, Callable[[Section, str], Optional[Spec]]] = {
    "http": parse_http,
    "ping": parse_ping,
    "ec2": parse_ec2,
    "cloudwatch": parse_cloudwatch,
    "mqtt": parse_mqtt_target,
}
