"""Files the running board keeps: the state file in the runtime directory, and its last observations on disk."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

from statusboard.config import Board
from statusboard.observation import Observation
from statusboard.states import Severity

log = logging.getLogger(__name__)

STATE_NAME = "state.json"
MEMORY_NAME = "observations.json"


def _first_usable(candidates: Iterable[Optional[str]]) -> Optional[Path]:
    for candidate in candidates:
        if not candidate:
            continue
        path = Path(candidate)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(path, os.W_OK):
            return path
    return None


def _runtime_places() -> List[str]:
    """Where state.json may live, in order; the writer and `statusboard status` share this one list."""
    if os.environ.get("RUNTIME_DIRECTORY"):   # systemd's RuntimeDirectory (or a test's own)
        return [os.environ["RUNTIME_DIRECTORY"]]
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    return ["/run/statusboard"] + ([os.path.join(xdg, "statusboard")] if xdg else [])


def runtime_dir() -> Optional[Path]:
    """Where state.json goes: systemd's RuntimeDirectory, /run/statusboard, or the user's runtime dir."""
    return _first_usable(_runtime_places())


def state_dir() -> Optional[Path]:
    """Where the last observations are kept across reboots: systemd's StateDirectory or /var/lib/statusboard."""
    return _first_usable([os.environ.get("STATE_DIRECTORY"), "/var/lib/statusboard"])


def status_candidates() -> List[Path]:
    """Every place `statusboard status` looks for state.json, in order."""
    return [Path(p) / STATE_NAME for p in _runtime_places()]


def boot_id() -> Optional[str]:
    """This boot's id (Linux), so a reader can tell a state file written before a reboot."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
    except OSError:
        return None


def write_atomic(path: Path, doc: Dict[str, Any]) -> None:
    """Replace path with doc as JSON, so a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(doc, separators=(",", ":")))   # compact: the C encoder; status pretty-prints
            handle.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def save_observations(path: Path, board: Board, observations: Dict[str, Observation]) -> None:
    """Keep the latest observation of each target, with what was checked, for the next start."""
    checks = {t.name: repr(t.check_key) for t in board.targets}
    doc = {"observations": [
        {"target": o.target, "check": checks.get(o.target), "state": o.state, "severity": o.severity.value,
         "detail": o.detail, "observed_at": o.observed_at}
        for o in observations.values() if o.target in checks]}
    write_atomic(path, doc)


def load_observations(path: Path, board: Board) -> List[Observation]:
    """The kept observations of targets that are still on the board with the same check; [] if none."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        checks = {t.name: repr(t.check_key) for t in board.targets}
        out = []
        for item in doc.get("observations", []):
            if checks.get(item["target"]) == item["check"]:
                out.append(Observation(item["target"], item["state"], Severity(item["severity"]), item["detail"],
                                       float(item["observed_at"])))
        return out
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("ignoring kept observations in %s: %s", path, exc)
        return []
