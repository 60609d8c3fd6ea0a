"""`statusboard push TARGET STATE`: a shell script sets the pixel of a target fed through the board's broker (a
kind that declares a Feed: kinds/kind.py), as that kind writes and reads its messages."""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Optional, Tuple

from statusboard.config import Board
from statusboard.kinds import KINDS
from statusboard.kinds.kind import Feed
from statusboard.model import Spec, Target
from statusboard.mqtt.link import MqttLink
from statusboard.mqtt.payload import state_message
from statusboard.text import printable
from statusboard.vocabulary import severity_in

WAIT = 10.0   # seconds to reach the broker and have the message taken


def push(board: Board, name: str, state: str, detail: Optional[str] = None) -> Tuple[int, str]:
    """(exit code, one line for people): 0 published, 1 the broker could not take it, 2 a mistake in the call."""
    target = next((t for t in board.targets if t.name == name), None)
    if target is None:
        return 2, f"{board.path}: no target {name!r}"
    fed = [k.key for k in KINDS.values() if k.feed is not None]   # fed through the broker
    feed = KINDS[target.kind].feed
    if feed is None:
        article = "an" if target.kind[0] in "aeiou" or target.kind in ("http", "mqtt") else "a"   # an http, a ping
        return 2, (f"{board.path}:{target.line}: target {name!r} is {article} {target.kind} target; "
                   f"push sets {' or '.join(fed)} targets")
    if state not in board.states:
        return 2, f"unknown state {state!r}; states are {', '.join(board.states)}"
    if board.mqtt is None:
        return 2, f"{board.path}: no mqtt section (the broker)"
    spec = KINDS[target.kind].spec_of(target)
    message, refused = message_for(board, target, feed, state, detail)
    if refused:
        return 2, refused
    settings = dataclasses.replace(board.mqtt, client_id=f"{board.mqtt.client_id}-push-{os.getpid()}")
    link = MqttLink(settings, will=False).start()
    try:
        if not link.connected.wait(WAIT):
            return 1, link.problem or f"no connection to the MQTT broker at {settings.url} within {WAIT:g} s"
        topic = feed.topic(spec)
        info = link.client.publish(topic, message, qos=1, retain=True)
        info.wait_for_publish(timeout=WAIT)
        if not info.is_published():
            return 1, f"the MQTT broker at {settings.url} did not take the message within {WAIT:g} s"
        return 0, f"{name}: {state} published to {topic} at {settings.url}"
    finally:
        link.stop(offline=False)


def message_for(board: Board, target: Target, feed: Feed[Spec], state: str,
                detail: Optional[str]) -> Tuple[bytes, Optional[str]]:
    """(the message that sets the target to state, why a board would not take it or None): as the target's kind
    writes it (its payload map or JSON field when it has one, else statusboard's JSON); read back as a board reads
    it."""
    spec = KINDS[target.kind].spec_of(target)
    where = f"{board.path}:{target.line}: target {target.name!r}"
    own = state_message(state, severity_in(board.states, state).value, board.colour(state),
                        detail or f"{state} (pushed)", time.time())
    message, refused = feed.write(spec, state, own)
    if refused:
        return b"", f"{where} {refused}"
    if len(message) > feed.limit:
        return b"", (f"{where}: the message would be {len(message)} bytes; a board reads at most {feed.limit} "
                     f"bytes ({feed.limit // 1024} KB) a message: shorten --detail")
    read, why = feed.read(message, board.states, spec)
    if read != state:
        return b"", f"{where}: a board would not take this message: {printable(why, 200)}"
    return message, None
