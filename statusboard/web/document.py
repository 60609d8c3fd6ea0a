"""What the page and the API say of the board: the state file's document, with what the page draws (each
pixel's colour as the LEDs show it, its letter, the age of its result), and its history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

from statusboard.display import light
from statusboard.history import Change, durations, query
from statusboard.outputs import STATE_VERSION, Snapshot
from statusboard.render import colour_of
from statusboard.report import iso
from statusboard.text import redact, utf8
from statusboard.vocabulary import Severity

DAY = 86400.0


def json_answer(doc: Any, status: int = 200) -> Tuple[int, str, bytes]:
    """A JSON answer for a route: (status, content type, body)."""
    return status, "application/json", utf8(json.dumps(doc, ensure_ascii=False, separators=(",", ":")))


def hex_of(rgb: Any) -> str:
    """#rrggbb."""
    return "#%02x%02x%02x" % tuple(rgb)


def state_document(snapshot: Snapshot) -> Dict[str, Any]:
    """/api/state: the state file's document (its version and board; no process details), secrets redacted."""
    doc = {"version": STATE_VERSION, **snapshot.document}
    last = doc.get("last_reload")
    if last and last.get("problems"):   # a refused config's problem may quote a URL with its password
        doc["last_reload"] = {**last, "problems": [redact(p) for p in last["problems"]]}
    return doc


def page_document(snapshot: Snapshot, brightness: float, now: float) -> Dict[str, Any]:
    """What the page draws: the state document, and per pixel its colour as the LEDs show it at this brightness,
    its letter, and the age of its result in seconds (on the board's clock, as it sends it)."""
    board = snapshot.board
    doc = state_document(snapshot)
    width, height = board.shape
    targets = []
    for item in doc["targets"]:
        status = snapshot.statuses[item["name"]]
        info = board.states.get(status.state)
        targets.append({**item, "seen": hex_of(light.seen(colour_of(board, status), brightness)),
                        "letter": info.letter if info else "?",
                        "blinks": status.severity == Severity.TRANSITIONAL,
                        "age": None if status.checked_at is None else max(0.0, now - status.checked_at)})
    states = {name: {"seen": hex_of(light.seen(board.colour(name), brightness)), "letter": info.letter,
                     "severity": info.severity.value} for name, info in board.states.items()}
    return {**doc, "targets": targets, "width": width, "height": height, "brightness": brightness,
            "states": states, "served_at": iso(now)}


def history_document(path: Optional[Path], target: Optional[str], since: float, limit: int = 10000) -> Dict[str, Any]:
    """/api/history: the changes since a wall-clock time (of one target, or all; the newest `limit`), oldest first;
    for one target also the durations of its checks that changed its state (`took`: [time, seconds])."""
    if path is None or not path.exists():
        return {"changes": [], "note": "no history is kept"}
    doc: Dict[str, Any] = {"changes": [change_document(c) for c in query(path, target, since, limit)] if limit else []}
    if target is not None:
        doc["took"] = [[round(at, 3), took] for at, took in durations(path, target, since)]
    return doc


def change_document(change: Change) -> Dict[str, Any]:
    """One change for the API."""
    return {"target": change.target, "kind": change.kind, "at": iso(change.at), "at_unix": change.at,
            "state": change.state, "detail": change.detail, "took": change.took}
