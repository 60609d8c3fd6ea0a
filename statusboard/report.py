"""The JSON document of a board's state: every target's pixel, state, colour and detail."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, Mapping, Optional

from statusboard.config import Board
from statusboard.render import colour_of
from statusboard.table import Status


def iso(stamp: Optional[float]) -> Optional[str]:
    """Unix seconds as 2026-11-22T09:00:00Z (None stays None)."""
    if stamp is None:
        return None
    return datetime.fromtimestamp(stamp, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def report(board: Board, statuses: Mapping[str, Status]) -> Dict[str, Any]:
    """`{"targets": [...]}` as `run --once --json` prints it; colours at full brightness."""
    out = []
    for target in board.targets:
        status = statuses[target.name]
        out.append({
            "name": target.name,
            "pixel": list(target.pixel),
            "kind": target.kind,
            "state": status.state,
            "severity": status.severity.value,
            "colour": list(colour_of(board, status)),
            "detail": status.detail,
            "checked_at": iso(status.checked_at),
            **({"value": status.reading.value, "unit": status.reading.unit} if status.reading else {}),
        })
    return {"targets": out}
