"""A running board's MQTT side: its link to the broker and, unless the config turns it off, its publisher.

The link and the publisher (and with them paho) are imported only for a board that has an mqtt section: a board
without one does not pay for them at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Optional

from statusboard.config.mqtt import MqttSettings

if TYPE_CHECKING:
    from statusboard.config import Board
    from statusboard.table import Status


class MqttSide:
    """The link (shared by the board's mqtt targets) and the publisher of the board's states."""

    def __init__(self, settings: MqttSettings) -> None:
        from statusboard.mqtt.link import MqttLink
        from statusboard.mqtt.publisher import Publisher
        self.settings = settings
        self.link = MqttLink(settings)
        self.publisher = Publisher(self.link) if settings.publish else None
        self.link.start()

    def update(self, board: Board, statuses: Mapping[str, Status]) -> None:
        """Publish what changed (never waits on the network)."""
        if self.publisher is not None:
            self.publisher.update(board, statuses)

    def close(self) -> None:
        """Offline, and disconnected."""
        self.link.stop(offline=True)


def mqtt_side(settings: Optional[MqttSettings]) -> Optional[MqttSide]:
    """The MQTT side of a board whose config has an mqtt section; None without one."""
    return MqttSide(settings) if settings is not None else None
