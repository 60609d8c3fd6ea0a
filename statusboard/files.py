"""The board's files on disk: where the state file and the kept observations live, and how they are written and
read back (writer.py decides when)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from statusboard.config import Board
from statusboard.model import Observation, Target
from statusboard.readfile import NotAFile, read_small
from statusboard.vocabulary import Severity

log = logging.getLogger(__name__)

STATE_NAME = "state.json"
MEMORY_NAME = "observations.json"
KEPT_BYTES = 4 * 1024 * 1024   # 256 targets' observations take about 100 KB
KEPT_VERSION = 2   # the kept observations' format (README: "Files"); 1 had no "version"
STATE_BYTES = 4 * 1024 * 1024   # a state file of 256 targets with long details takes about 150 KB


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
    """Where the running board writes state.json: systemd's RuntimeDirectory as it is (the writer retries and
    says so when it cannot be written), or else /run/statusboard or the user's runtime dir, whichever works."""
    if os.environ.get("RUNTIME_DIRECTORY"):
        return Path(os.environ["RUNTIME_DIRECTORY"])
    return _first_usable(_runtime_places())


def state_dir() -> Optional[Path]:
    """Where the last observations are kept across reboots: systemd's StateDirectory (that one only, even when
    it cannot be written: the writer retries and says so), or else /var/lib/statusboard."""
    if os.environ.get("STATE_DIRECTORY"):
        return Path(os.environ["STATE_DIRECTORY"])
    return _first_usable(["/var/lib/statusboard"])


def status_candidates() -> List[Path]:
    """Every place `statusboard status` looks for state.json, in order."""
    return [Path(p) / STATE_NAME for p in _runtime_places()]


def read_state(path: Path) -> Dict[str, Any]:
    """A state file as its document, read as safely as config.yaml: a FIFO, a device (/dev/zero), a file over
    STATE_BYTES or JSON nested too deeply is refused at once. FileNotFoundError when there is none; OSError
    (with the reason in words) for anything that cannot be read as a state file."""
    try:
        data = read_small(str(path), STATE_BYTES)
    except NotAFile as exc:
        raise OSError(f"{path} {exc}") from None
    try:
        doc = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise OSError(f"{path} is not UTF-8 text") from None
    except RecursionError:
        raise OSError(f"{path} is JSON nested too deeply to be a state file") from None
    except ValueError as exc:
        raise OSError(f"{path} is not JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("targets"), list):
        raise OSError(f"{path} is not a statusboard state file (from another version?)")
    return doc


def boot_id() -> Optional[str]:
    """This boot's id (Linux), so a reader can tell a state file written before a reboot."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
    except OSError:
        return None


def process_start(pid: int) -> Optional[int]:
    """When process pid started, in clock ticks since boot (Linux): with the pid, it names one process, even
    after the number is reused; None when there is no such process (or no /proc)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        return int(fields[19])   # field 22 of stat(5); the first two (pid, name) are before the split
    except (OSError, IndexError, ValueError):
        return None


def write_atomic(path: Path, doc: Dict[str, Any], mode: int = 0o644) -> None:
    """Replace path with doc as JSON, so a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(doc, separators=(",", ":")))   # compact: the C encoder; status pretty-prints
            handle.write("\n")
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def legacy_ids(target: Target) -> Tuple[str, str]:
    """How the releases before version 2 named a target's check: the repr of (kind, spec), and (in the last of
    them) its sha256; a file they wrote is read where the spec, as those releases wrote it, is the same (the
    fields a spec gained since, its `added_since_v1`, were not written while at their defaults)."""
    spec = target.spec
    shown = [f"{f.name}={getattr(spec, f.name)!r}" for f in dataclasses.fields(spec)
             if f.name not in getattr(spec, "added_since_v1", ()) or getattr(spec, f.name) != f.default]
    text = repr((target.kind, _Repr(f"{type(spec).__name__}({', '.join(shown)})")))
    return text, hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:24]


class _Repr(str):
    """A string whose repr is itself (a spec's repr, inside the tuple's)."""

    def __repr__(self) -> str:
        return str(self)


def observations_doc(board: Board, observations: Mapping[str, Observation]) -> Dict[str, Any]:
    """The kept-observations file: its version, and the latest observation of each target, named by the
    fingerprint of what it watches (Target.stable_key)."""
    checks = {t.name: t.fingerprint for t in board.targets}
    return {"version": KEPT_VERSION, "observations": [
        {"target": o.target, "check": checks.get(o.target), "state": o.state, "severity": o.severity.value,
         "detail": o.detail, "observed_at": o.observed_at}
        for o in observations.values() if o.target in checks]}


def _kept(item: Dict[str, Any]) -> Optional[Observation]:
    """One kept observation, if it is whole and sound."""
    state, detail, at = item.get("state"), item.get("detail"), item.get("observed_at")
    if not isinstance(state, str) or not isinstance(detail, str) or not isinstance(at, (int, float)) \
            or isinstance(at, bool) or not math.isfinite(at) or not 0 <= at < 1e11:
        return None
    try:
        severity = Severity(item.get("severity"))
    except ValueError:
        return None
    # Seen before this run: its age is unknown whatever the wall clock says, so it shows as stale.
    return Observation(str(item["target"]), state, severity, detail, float(at), None)


def load_observations(path: Path, board: Board) -> Tuple[List[Observation], bool]:
    """The kept observations of targets still on the board with the same check, and whether the file was
    sound (a missing file is; anything unusable in it is left out)."""
    try:
        doc = json.loads(read_small(str(path), KEPT_BYTES).decode("utf-8"))
    except FileNotFoundError:
        return [], True
    except (OSError, ValueError, RecursionError) as exc:
        log.warning("ignoring the kept observations in %s: %s", path, exc)
        return [], False
    items = doc.get("observations") if isinstance(doc, dict) else None
    version = doc.get("version", 1) if isinstance(doc, dict) else None
    if not isinstance(items, list) or version not in (1, KEPT_VERSION):
        log.warning("ignoring the kept observations in %s: not a statusboard observations file this release "
                    "reads (version %r)", path, version)
        return [], False
    if version == KEPT_VERSION:
        checks = {t.name: {t.fingerprint} for t in board.targets}
    else:
        checks = {t.name: set(legacy_ids(t)) for t in board.targets}
        log.info("reading the kept observations in %s, written by an earlier release", path)
    out: List[Observation] = []
    unusable = 0
    for item in items:
        if not isinstance(item, dict):
            unusable += 1
        elif isinstance(item.get("target"), str) and item.get("check") in checks.get(item["target"], ()):
            obs = _kept(item)
            if obs is None:
                unusable += 1
            else:
                out.append(obs)
    if unusable:
        log.warning("ignoring %d unusable kept observations in %s", unusable, path)
    return out, unusable == 0 and version == KEPT_VERSION


class Files:
    """What a running board writes: the state file and the kept observations. A failed write is tried again
    next time, with one warning per cause and a note when it works again."""

    def __init__(self, keep_files: bool) -> None:
        runtime = runtime_dir() if keep_files else None
        memory = state_dir() if keep_files else None
        self.state_path = runtime / STATE_NAME if runtime is not None else None
        self.memory_path = memory / MEMORY_NAME if memory is not None else None
        self._failing: Dict[Path, str] = {}

    def write(self, path: Path, doc: Dict[str, Any], mode: int = 0o644) -> bool:
        """Write one file atomically; False (warned once per cause) when it cannot be written."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, doc, mode)
        except OSError as exc:
            cause = exc.strerror or str(exc)
            if self._failing.get(path) != cause:
                log.warning("cannot write %s: %s (trying again)", path, cause)
                self._failing[path] = cause
            return False
        if self._failing.pop(path, None) is not None:
            log.info("writing %s again", path)
        return True

    def restore(self, board: Board) -> List[Observation]:
        """The observations kept by the last run; a file that was not sound is rewritten at once."""
        if self.memory_path is None:
            return []
        kept, sound = load_observations(self.memory_path, board)
        if not sound:
            self.write_kept(board, {o.target: o for o in kept})
        return kept

    def write_kept(self, board: Board, observations: Mapping[str, Observation]) -> None:
        """Keep the latest observations for the next start."""
        if self.memory_path is not None:
            # Only the board reads them back, and they hold the targets' addresses and details.
            self.write(self.memory_path, observations_doc(board, observations), mode=0o600)
