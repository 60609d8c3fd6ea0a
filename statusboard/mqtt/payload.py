"""Pure MQTT payloads: a target's state as statusboard's JSON, Home Assistant's discovery document, and a
received message read as a state (statusboard's JSON, a plain payload mapped in config, or a JSON field)."""

from __future__ import annotations

import json
from typing import Any, Mapping, Optional, Tuple

from statusboard.mqtt.settings import level
from statusboard.states import STATES
from statusboard.text import printable

MAX_PAYLOAD = 64 * 1024   # a larger message is not a state


def state_message(state: str, severity: str, colour: Tuple[int, int, int], detail: str,
                  checked_at: Optional[float]) -> bytes:
    """What a board publishes for a target."""
    return json.dumps({"state": state, "severity": severity, "colour": "#%02x%02x%02x" % tuple(colour),
                       "detail": detail, "checked_at": checked_at}, sort_keys=True).encode()


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


def read_state(payload: bytes, mapping: Optional[Mapping[str, str]] = None,
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
        if state not in STATES:
            return None, f"unknown state {printable(state, 40)!r}"
        return state, printable(str(detail) if detail is not None else f"{state} (over MQTT)", 200)
    if mapping is not None:
        if text in mapping:
            return mapping[text], f"{printable(text, 40)} (over MQTT)"
        return None, f"the payload {printable(text, 40)!r} is not in the target's payload map"
    if text in STATES:
        return text, f"{text} (over MQTT)"
    return None, f"the payload {printable(text, 40)!r} is no state"
