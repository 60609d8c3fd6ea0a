"""Pure MQTT payloads the board publishes: a target's state as statusboard's JSON, and Home Assistant's discovery
document (kinds/mqtt.py reads what comes in)."""

from __future__ import annotations

import json
from typing import Any, Optional, Tuple

from statusboard.config.mqtt import level
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


def discovery(settings: Any, target: str) -> Tuple[str, bytes]:
    """(topic, document) that makes Home Assistant show a target as a sensor of the board's device."""
    object_id = f"{level(settings.board)}_{level(target)}"
    document = {
        "name": target,
        "unique_id": f"statusboard_{object_id}",
        "object_id": f"statusboard_{object_id}",
        "state_topic": settings.topic(target),
        "value_template": "{{ value_json.state }}",
        "json_attributes_topic": settings.topic(target),
        "availability_topic": settings.availability,
        "payload_available": "online",
        "payload_not_available": "offline",
        "icon": "mdi:led-on",
        "device": {"identifiers": [f"statusboard_{level(settings.board)}"], "name": f"statusboard {settings.board}",
                   "manufacturer": "statusboard", "model": "Unicorn HAT status board"},
    }
    return (f"{settings.discovery_prefix}/sensor/{object_id}/config", json.dumps(document, sort_keys=True).encode())
