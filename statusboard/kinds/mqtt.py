"""`mqtt:` targets: a message on the target's topic sets its pixel (statusboard's own JSON, or a payload, or a
JSON field, mapped to states in config). A pushed kind: each message is written to the table as it comes, with
no scheduler and no worker in between."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any, ClassVar, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from statusboard.config import values
from statusboard.config.schema import Section
from statusboard.config.values import Invalid
from statusboard.kinds.kind import Context, Feed, Kind, Link, Record, long_form
from statusboard.model import Observation, Target
from statusboard.text import printable
from statusboard.vocabulary import PROBE_STATES, UNKNOWN, States

MAX_PAYLOAD = 64 * 1024   # a larger message is not a state
YAML_BOOLS = {flag: tuple(v for word in words for v in (word, word.capitalize(), word.upper()))
              for flag, words in ((True, ("y", "yes", "true", "on")), (False, ("n", "no", "false", "off")))}


@dataclass(frozen=True)
class MqttSpec:
    """A topic whose messages set the pixel: statusboard's own JSON, or a payload (or a JSON field) mapped to
    states; `availability`: the publisher's online/offline topic."""

    identity: ClassVar[Tuple[str, ...]] = ("topic",)   # what it watches
    topic: str
    payload: Optional[Tuple[Tuple[str, str], ...]] = None
    field: Optional[str] = None
    availability: Optional[str] = None

    def describe(self) -> str:
        """A short form for people."""
        return self.topic


def topic(value: Any) -> str:
    """An MQTT topic to subscribe to: no wildcards (one pixel, one topic)."""
    text = values.text(value).strip()
    if not text or "+" in text or "#" in text or len(text) > 256:
        raise Invalid(f"expected an MQTT topic without wildcards, like statusboard/desk/web-1, got {value!r}")
    return text


def payload_map(value: Any, states: States) -> Tuple[Tuple[str, str], ...]:
    """{PAYLOAD: state, ...}: which state each payload means."""
    if not isinstance(value, dict) or not value:
        raise Invalid(f"expected a mapping of payloads to states, like {{ON: up, OFF: down}}, got {value!r}")
    out = []
    for key, state in value.items():
        if str(state) not in states:
            shown = ("ON/yes/true" if key else "OFF/no/false") if isinstance(key, bool) else repr(key)
            raise Invalid(f"payload {shown}: unknown state {state!r}; states are {', '.join(states)}")
        # YAML reads ON, OFF, yes, no, true, false as booleans: the payload was one of those spellings.
        for payload in YAML_BOOLS[key] if isinstance(key, bool) else (str(key),):
            out.append((payload, str(state)))
    return tuple(out)


def parse_mqtt_target(parent: Section, key: str) -> Optional[MqttSpec]:
    """`mqtt: TOPIC` or `mqtt: {topic, payload, field, availability}`."""
    sec = long_form(parent, key)
    if sec is None:
        got = parent.take(key, topic)
        return MqttSpec(got) if got else None
    spec = MqttSpec(
        topic=sec.take("topic", topic),
        payload=sec.take("payload", lambda v: payload_map(v, sec.states), None),
        field=sec.take("field", values.text, None),
        availability=sec.take("availability", topic, None),
    )
    sec.finish()
    return spec if spec.topic else None


def read_state(payload: bytes, states: States, mapping: Optional[Mapping[str, str]] = None,
               field: Optional[str] = None) -> Tuple[Optional[str], str]:
    """(state, detail) from a received message; state None when it says nothing the board can show (the detail
    says why)."""
    if len(payload) > MAX_PAYLOAD:
        return None, f"a message of {len(payload)} bytes is not a state"
    text = payload.decode("utf-8", "replace").strip()
    data: Any = None
    if text[:1] == "{":
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        except RecursionError:
            return None, "a JSON message nested too deeply to read"
    if field is not None:
        if not isinstance(data, dict) or field not in data:
            return None, f"no field {field!r} in {printable(text, 80)!r}"
        text = str(data[field])
    elif isinstance(data, dict) and "state" in data and mapping is None:
        state = str(data["state"])
        detail = data.get("detail")
        if state not in states:
            return None, f"unknown state {printable(state, 40)!r}"
        return state, printable(str(detail) if detail is not None else f"{state} (over MQTT)", 200)
    if mapping is not None:
        if text in mapping:
            return mapping[text], f"{printable(text, 40)} (over MQTT)"
        return None, f"the payload {printable(text, 40)!r} is not in the target's payload map"
    if text in states:
        return text, f"{text} (over MQTT)"
    return None, f"the payload {printable(text, 40)!r} is no state"


@dataclass(frozen=True)
class Heard:
    """The last message on a topic: what it said and when it came (time.monotonic() and wall clock)."""

    state: Optional[str]
    detail: str
    mono: float
    wall: float


def availability_of(spec: MqttSpec, prefix: str) -> Optional[str]:
    """The publisher's availability topic: the one given, or for another board's target
    (PREFIX/BOARD/TARGET) that board's PREFIX/BOARD/availability."""
    if spec.availability:
        return spec.availability
    parts = spec.topic.split("/")
    if len(parts) == 3 and parts[0] == prefix:
        return f"{parts[0]}/{parts[1]}/availability"
    return None


class MqttSource:
    """Writes every MQTT target's observation to the table when its topic speaks, its publisher comes or goes,
    or the broker is found or lost; and, every interval, again for a target no message speaks for (no broker,
    no message yet, its publisher offline): that is a fact of now, not a result that grows old."""

    def __init__(self, context: Context = Context()) -> None:
        self.clock = context.clock
        self.states = context.states
        self.link: Optional[Link] = context.link
        self._lock = threading.RLock()
        self._targets: List[Target] = []
        self._record: Optional[Record] = None
        self._heard: Dict[str, Heard] = {}
        self._online: Dict[str, bool] = {}
        self._watched: Set[str] = set()
        self._specs: Dict[str, MqttSpec] = {}
        self._availability: Set[str] = set()
        self._ticking: Optional[threading.Event] = None   # set to end the thread that says it again
        if self.link is not None:   # the broker found or lost: the pixels say so at once
            self.link.when_changed(self._refresh)

    @property
    def prefix(self) -> str:
        """The board's topic prefix (another board's targets are PREFIX/BOARD/TARGET)."""
        return self.link.settings.prefix if self.link is not None else "statusboard"

    def serve(self, targets: Sequence[Target], record: Record) -> None:
        """From now on these targets' observations go to `record`; each gets one at once."""
        prefix = self.prefix
        with self._lock:
            self._targets = list(targets)
            self._record = record
            new = [name for spec in map(KIND.spec_of, self._targets)
                   for name in self._watch(spec, availability_of(spec, prefix))]
            if self._ticking is None:
                self._ticking = threading.Event()
                threading.Thread(target=self._tick, args=(self._ticking,), name="mqtt-again", daemon=True).start()
        for name in new:   # outside the lock: the link's thread may be handing us a message meanwhile
            if self.link is not None:
                self.link.subscribe(name, self._message)
        self._refresh()

    def stop(self) -> None:
        """Record nothing more (a reload handed the targets to another table)."""
        with self._lock:
            self._record = None
            if self._ticking is not None:
                self._ticking.set()
                self._ticking = None

    def _tick(self, stopped: threading.Event) -> None:
        """Every interval, say again what is known of the targets no message speaks for."""
        while True:
            with self._lock:
                every = min((t.interval for t in self._targets), default=30.0)
            if stopped.wait(every):
                return
            self._refresh(unheard_only=True)

    def _observe(self, target: Target) -> Tuple[Observation, bool]:
        """What the target's topic last said (unknown with the reason where it says nothing usable), and whether
        a message said it (else it is a fact of now). Never asked from outside: a Source records, it is not
        polled (an `observe` would make it a Check too)."""
        spec = KIND.spec_of(target)
        link = self.link
        availability = availability_of(spec, self.prefix)
        now = self.clock()
        if link is None or not link.connected.is_set():
            why = (link.problem if link is not None else None) or "no MQTT broker"
            return Observation.of(target.name, UNKNOWN, why, now, self.states), False
        with self._lock:
            heard = self._heard.get(spec.topic)
            online = self._online.get(availability, True) if availability else True
        if not online:
            offline = f"the publisher is offline ({availability})"
            return Observation.of(target.name, UNKNOWN, offline, now, self.states), False
        if heard is None:
            return Observation.of(target.name, UNKNOWN, f"no message on {spec.topic} yet", now, self.states), False
        said = Observation.of(target.name, heard.state or UNKNOWN, heard.detail, heard.wall, self.states, heard.mono)
        return said, True

    def _watch(self, spec: MqttSpec, availability: Optional[str]) -> List[str]:
        """Note the target's topic and its publisher's availability; the ones not subscribed to yet."""
        self._specs[spec.topic] = spec
        if availability:
            self._availability.add(availability)
        if self.link is None:
            return []
        new = [name for name in dict.fromkeys((spec.topic, availability)) if name and name not in self._watched]
        self._watched.update(new)
        return new

    def _message(self, name: str, payload: bytes) -> None:
        """From the link's thread: remember what came, and write what it changes."""
        with self._lock:
            if name in self._availability:
                self._online[name] = payload.strip() != b"offline"
            spec = self._specs.get(name)
            if spec is not None:
                state, detail = read_message(payload, self.states, spec)
                self._heard[name] = Heard(state, detail, time.monotonic(), self.clock())
        self._refresh(name)

    def _refresh(self, name: Optional[str] = None, unheard_only: bool = False) -> None:
        """Write the observation of every target (or of those a topic concerns, or of those no message speaks
        for) to the table."""
        with self._lock:
            record = self._record
            if record is None:
                return
            prefix = self.prefix
            for target in self._targets:
                spec = KIND.spec_of(target)
                if name is None or name in (spec.topic, availability_of(spec, prefix)):
                    obs, heard = self._observe(target)
                    if not (unheard_only and heard):
                        record(obs)


def read_message(payload: bytes, states: States, spec: MqttSpec) -> Tuple[Optional[str], str]:
    """(state, detail) from a message on the spec's topic, read as its target reads it (read_state)."""
    return read_state(payload, states, dict(spec.payload) if spec.payload else None, spec.field)


def write_message(spec: MqttSpec, state: str, own: bytes) -> Tuple[bytes, Optional[str]]:
    """(the message that sets a target of this spec to state, why none can): the payload its map says means the
    state (in its JSON field, if it reads one), the state in its JSON field, or else the board's own JSON."""
    if spec.payload:
        said = next((payload for payload, meant in dict(spec.payload).items() if meant == state), None)
        if said is None:
            return b"", f"reads a payload map in which no payload means {state!r}"
        return (json.dumps({spec.field: said}) if spec.field else said).encode(), None
    if spec.field:
        return json.dumps({spec.field: state}).encode(), None
    return own, None


KIND = Kind(key="mqtt", spec=MqttSpec, parse=parse_mqtt_target, make=MqttSource, states=PROBE_STATES,
            example="{topic: home/door, payload: {open: up, closed: down}}",
            feed=Feed(topic=lambda spec: spec.topic, limit=MAX_PAYLOAD, read=read_message, write=write_message),
            library=("paho.mqtt", "sudo ./install.sh installs it, or: pip install 'statusboard[mqtt]'"),
            # A pushed state is shown as its message says, at once: the board that checked it held it already.
            fail_after=1,
            needs=("mqtt", "an mqtt target needs the broker: add an mqtt section with its url"))
