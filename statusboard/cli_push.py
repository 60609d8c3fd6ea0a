"""`statusboard push TARGET STATE`: a shell script sets an mqtt target's pixel, through the board's broker."""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Optional, Tuple

from statusboard.config import Board
from statusboard.kinds import KINDS
from statusboard.mqtt.link import MqttLink
from statusboard.mqtt.payload import state_message
from statusboard.vocabulary import severity_in

WAIT = 10.0   # seconds to reach the broker and have the message taken


def push(board: Board, name: str, state: str, detail: Optional[str] = None) -> Tuple[int, str]:
    """(exit code, one line for people): 0 published, 1 the broker could not take it, 2 a mistake in the call."""
    target = next((t for t in board.targets if t.name == name), None)
    if target is None:
        return 2, f"{board.path}: no target {name!r}"
    fed = [k.key for k in KINDS.values() if k.pushed and k.needs and k.needs[0] == "mqtt"]   # through the broker
    if target.kind not in fed:
        return 2, (f"{board.path}:{target.line}: target {name!r} is an {target.kind} target; "
                   f"push sets {' or '.join(fed)} targets")
    if state not in board.states:
        return 2, f"unknown state {state!r}; states are {', '.join(board.states)}"
    if board.mqtt is None:
        return 2, f"{board.path}: no mqtt section (the broker)"
    settings = dataclasses.replace(board.mqtt, client_id=f"{board.mqtt.client_id}-push-{os.getpid()}")
    link = MqttLink(settings, will=False).start()
    try:
        if not link.connected.wait(WAIT):
            return 1, link.problem or f"no connection to the MQTT broker at {settings.url} within {WAIT:g} s"
        topic = target.spec.topic  # type: ignore[attr-defined]
        message = state_message(state, severity_in(board.states, state).value, board.colour(state), detail or f"{state} (pushed)",
                                time.time())
        info = link.client.publish(topic, message, qos=1, retain=True)
        info.wait_for_publish(timeout=WAIT)
        if not info.is_published():
            return 1, f"the MQTT broker at {settings.url} did not take the message within {WAIT:g} s"
        return 0, f"{name}: {state} published to {topic} at {settings.url}"
    finally:
        link.stop(offline=False)
