"""Pure MQTT payloads the board publishes: a target's state as statusboard's JSON, and Home Assistant's discovery
document (kinds/mqtt.py reads what comes in)."""

from __future__ import annotations

import json
from typing import Any, Optional, Tuple

from statusboard.config.mqtt import TOPIC_LEVEL, ha_id, level
from statusboard.model import Reading


def state_message(state: str, severity: str, colour: Tuple[int, int, int], detail: str,
                  checked_at: Optional[float], reading: Optional[Reading] = None) -> bytes:
    """What a board publishes for a target; with the number its state was judged by as `value` and `unit`
    (Home Assistant shows them as the sensor's attributes)."""
    doc = {"state": state, "severity": severity, "colour": "#%02x%02x%02x" % tuple(colour), "detail": detail,
           "checked_at": checked_at}
    if reading is not None:
        doc.update(value=reading.value, unit=reading.unit)
    return json.dumps(doc, sort_keys=True).encode()


def discovery(settings: Any, target: str, topic: str) -> Tuple[str, bytes]:
    """(topic, document) that makes Home Assistant show a target (published to `topic`) as a sensor of the
    board's device. The board and the target are separate levels of the discovery topic and parts of the ids
    that cannot run together: boards `pi` with `lab_web` and `pi_lab` with `web` stay apart."""
    board, node = ha_id(level(settings.board)), ha_id(topic.rsplit("/", 1)[1])
    document = {
        "name": target,
        "unique_id": f"statusboard__{board}__{node}",
        "object_id": f"statusboard__{board}__{node}",
        "state_topic": topic,
        "value_template": "{{ value_json.state }}",
        "json_attributes_topic": topic,
        "availability_topic": settings.availability,
        "payload_available": "online",
        "payload_not_available": "offline",
        "icon": "mdi:led-on",
        "device": {"identifiers": [f"statusboard_{level(settings.board)}"], "name": f"statusboard {settings.board}",
                   "manufacturer": "statusboard", "model": "Unicorn HAT status board"},
    }
    return (f"{settings.discovery_prefix}/sensor/statusboard_{board}/{node}/config",
            json.dumps(document, sort_keys=True).encode())


def legacy_discovery(settings: Any, target: str) -> str:
    """The discovery topic earlier releases used for a target (boards `pi`/`lab_web` and `pi_lab`/`web` met
    there): emptied, so Home Assistant keeps one sensor per target."""
    old = target if TOPIC_LEVEL.match(target) else level(target)
    return f"{settings.discovery_prefix}/sensor/{level(settings.board)}_{old}/config"
