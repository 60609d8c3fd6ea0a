"""MQTT targets: a message on the target's topic sets its pixel (statusboard's own JSON, or a payload mapped in
config). The check reads what the board's MQTT link last received; `on_news` makes the scheduler ask at once
when a message arrives, so a pixel follows its topic without waiting for its interval."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Set

from statusboard.config import Target
from statusboard.mqtt.payload import read_state
from statusboard.observation import Observation
from statusboard.states import UNKNOWN
from statusboard.targets import MqttSpec


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


class MqttCheck:
    """Observes every MQTT target of the board at once, from the messages the link has received."""

    batched = True

    def __init__(self, clock: Callable[[], float] = time.time, link: Optional[object] = None) -> None:
        self.clock = clock
        self.link = link
        self.on_news: Optional[Callable[[], None]] = None   # set by the scheduler
        self._heard: Dict[str, Heard] = {}
        self._online: Dict[str, bool] = {}
        self._watched: Set[str] = set()
        self._specs: Dict[str, MqttSpec] = {}
        self._availability: Set[str] = set()
        self._lock = threading.Lock()
        if hasattr(link, "when_changed"):   # the broker found or lost: the pixels say so now, not at the interval
            link.when_changed(self._news)  # type: ignore[union-attr]

    def group(self, target: Target) -> str:
        """Every MQTT target is answered from the same link."""
        return "broker"

    def observe(self, target: Target, deadline: Optional[float] = None) -> Observation:
        """One target alone."""
        return self.observe_batch([target], deadline)[0]

    def observe_batch(self, targets: Sequence[Target], deadline: Optional[float] = None) -> List[Observation]:
        """What each target's topic last said; unknown with the reason where it says nothing usable."""
        return [self._one(t) for t in targets]

    def _one(self, target: Target) -> Observation:
        spec: MqttSpec = target.spec  # type: ignore[assignment]
        link = self.link
        prefix = getattr(getattr(link, "settings", None), "prefix", "statusboard")
        availability = availability_of(spec, prefix)
        self._watch(spec, availability)
        now = self.clock()
        if link is None or not link.connected.is_set():  # type: ignore[attr-defined]
            why = getattr(link, "problem", None) or "no MQTT broker"
            return Observation.of(target.name, UNKNOWN, why, now)
        with self._lock:
            heard = self._heard.get(spec.topic)
            online = self._online.get(availability, True) if availability else True
        if not online:
            return Observation.of(target.name, UNKNOWN, f"the publisher is offline ({availability})", now)
        if heard is None:
            return Observation.of(target.name, UNKNOWN, f"no message on {spec.topic} yet", now)
        if heard.state is None:
            return Observation.of(target.name, UNKNOWN, heard.detail, heard.wall, heard.mono)
        return Observation.of(target.name, heard.state, heard.detail, heard.wall, heard.mono)

    def _watch(self, spec: MqttSpec, availability: Optional[str]) -> None:
        """Subscribe, once, to the target's topic and its publisher's availability."""
        if self.link is None:
            return
        with self._lock:
            self._specs[spec.topic] = spec
            new = [t for t in (spec.topic, availability) if t and t not in self._watched]
            self._watched.update(new)
            if availability:
                self._availability.add(availability)
        for topic in new:
            self.link.subscribe(topic, self._message)  # type: ignore[attr-defined]

    def _message(self, topic: str, payload: bytes) -> None:
        """From the link's thread: remember what came, and ask to be observed now."""
        with self._lock:
            if topic in self._availability:
                self._online[topic] = payload.strip() != b"offline"
            spec = self._specs.get(topic)
            if spec is not None:
                state, detail = read_state(payload, dict(spec.payload) if spec.payload else None, spec.field)
                self._heard[topic] = Heard(state, detail, time.monotonic(), self.clock())
        self._news()

    def _news(self) -> None:
        """Ask the scheduler to observe the MQTT targets now."""
        news = self.on_news
        if news is not None:
            news()
