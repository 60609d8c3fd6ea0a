"""Out to the broker: every target's state as a retained JSON message when it changes, the board's availability
(online; offline on a clean stop and as the last will) and Home Assistant's discovery documents.

update() never waits on the network: while the broker is away only the latest message of each target is kept
(a queue bounded by the number of targets), and all of them go out when the link connects again.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Dict, Mapping, Set, Tuple

from statusboard.mqtt.link import MqttLink
from statusboard.mqtt.payload import discovery, legacy_discovery, state_message

if TYPE_CHECKING:
    from statusboard.config import Board
    from statusboard.table import Status

log = logging.getLogger(__name__)


class Publisher:
    """Publishes a board's statuses through its MQTT link."""

    def __init__(self, link: MqttLink) -> None:
        self.link = link
        self.settings = link.settings
        self._lock = threading.Lock()
        self._pending: Dict[str, bytes] = {}      # target -> its latest message, not yet sent
        self._sent: Dict[str, Tuple[object, ...]] = {}
        self._targets: Tuple[str, ...] = ()
        self._topics: Dict[str, str] = {}      # target -> its topic, distinct for the board's targets together
        self._retired: Dict[str, str] = {}     # targets a reload removed -> the topic they had
        self._announced: Set[str] = set()     # targets whose discovery document went out on this connection
        link.when_connected(self._connected)

    def update(self, board: Board, statuses: Mapping[str, Status]) -> None:
        """Queue the targets whose state, severity, colour or detail changed, and send them if connected."""
        from statusboard.render import colour_of
        names = tuple(t.name for t in board.targets)
        with self._lock:
            if names != self._targets:
                topics = self.settings.topics(names)
                for name, topic in self._topics.items():   # gone, or moved to another topic
                    if topics.get(name) != topic:
                        self._retired[name] = topic
                        self._announced.discard(name)
                        self._sent.pop(name, None)
                self._targets, self._topics = names, topics
            for name in names:
                status = statuses.get(name)
                if status is None:
                    continue
                colour = colour_of(board, status)
                key = (status.state, status.severity.value, colour, status.detail, status.reading)
                if self._sent.get(name) == key:
                    continue
                self._sent[name] = key
                self._pending[name] = state_message(status.state, status.severity.value, colour, status.detail,
                                                    status.checked_at, status.reading)
        self._flush()

    def _flush(self) -> None:
        if not self.link.connected.is_set():
            return
        with self._lock:
            pending, self._pending = self._pending, {}
            retired, self._retired = self._retired, {}
            topics = dict(self._topics)
            unannounced = [n for n in self._targets if n not in self._announced] if self.settings.discovery else []
            self._announced.update(unannounced)
        for name, topic in retired.items():   # a target a reload removed (or moved): gone from the broker and HA
            if topic in topics.values():
                continue   # another target publishes there now
            self.link.publish(topic, b"")
            if self.settings.discovery:
                self.link.publish(discovery(self.settings, name, topic)[0], b"")
        for name in unannounced:
            self.link.publish(*discovery(self.settings, name, topics[name]))
        for name, payload in pending.items():
            if name in topics and not self.link.publish(topics[name], payload):
                with self._lock:   # the link went away meanwhile: keep it, unless something newer came
                    self._pending.setdefault(name, payload)

    def _connected(self) -> None:
        """(Re)connected: online, then the discovery documents and every target's latest state."""
        self.link.publish(self.settings.availability, b"online")
        if self.settings.discovery:   # what releases before this one announced, where two boards could meet
            for name in self._targets:
                self.link.publish(legacy_discovery(self.settings, name), b"")
        with self._lock:
            self._sent.clear()        # every state goes out again on the next update
            self._announced.clear()
        log.info("MQTT: publishing under %s/%s", self.settings.prefix, self.settings.board)
        self._flush()
