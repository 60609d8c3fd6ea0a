"""The `status` and `reload` commands: what the running board shows, and asking it to re-read its config."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import time
from typing import Any, Dict, Optional

from statusboard.errors import StatusboardError
from statusboard.text import printable

EXIT_OK, EXIT_ERROR = 0, 1


def _quiet(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")


def cmd_status(args: argparse.Namespace) -> int:
    """Print the running board's state file; exit 1 when no board runs."""
    from statusboard.files import status_candidates
    _quiet(args.verbose)
    for path in status_candidates():
        if path.exists():
            break
    else:
        places = ", ".join(str(p) for p in status_candidates())
        print(f"statusboard: no running board found (no state file at {places})", file=sys.stderr)
        return EXIT_ERROR
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise StatusboardError(f"cannot read {path}: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("targets"), list):
        raise StatusboardError(f"{path} is not a statusboard state file (from another version?)")
    why_not = not_running(doc)
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        print(status_text(doc, colour=sys.stdout.isatty()))
    if why_not:
        seen = printable(doc.get("written_at") or doc.get("started_at") or "unknown", 40)
        print(f"statusboard: not running (last seen {seen}): {why_not}", file=sys.stderr)
        return EXIT_ERROR
    age = stale_for(doc)
    if age is not None:
        print(f"statusboard: STALE: the board runs but has not written {path} for {age:.0f} s, so what is shown "
              "above may be out of date (is its directory full or read-only? journalctl -u statusboard)",
              file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def not_running(doc: Dict[str, Any]) -> Optional[str]:
    """None when the board that wrote the state file still runs, else why it does not. The process is named by
    its pid and start time, which stay comparable inside a container and its sandbox (a boot id may not)."""
    from statusboard.files import boot_id, process_start
    pid = doc.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return "the state file names no process (an older version wrote it)"
    started = process_start(pid)
    if started is None:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            now = boot_id()
            if doc.get("boot_id") and now and doc.get("boot_id") != now:
                return "it ran before the last reboot"
            return f"its process {pid} has ended"
        except PermissionError:
            pass
        return None   # alive, but its start time cannot be read here: take it as the board
    recorded = doc.get("pid_start")
    if isinstance(recorded, int) and recorded != started:
        return f"its process {pid} has ended (the number now belongs to another program)"
    if not _runs_statusboard(pid):
        return f"its process {pid} has ended (the number now belongs to another program)"
    return None


def _runs_statusboard(pid: int) -> bool:
    """Whether process pid runs statusboard (True when its command line cannot be read)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return b"statusboard" in handle.read()
    except OSError:
        return True


def stale_for(doc: Dict[str, Any]) -> Optional[float]:
    """Seconds since a running board last wrote its state file, when that is longer than it lets pass (it
    rewrites it every 30 s): a full or read-only runtime directory. None when it is kept up to date."""
    from statusboard.writer import STALE_AFTER
    written = doc.get("written_mono")
    if not isinstance(written, (int, float)) or isinstance(written, bool):
        return None
    age = time.monotonic() - written   # the same clock as the board's: it runs on this machine, this boot
    return age if age > STALE_AFTER else None


def _read_state() -> Optional[Dict[str, Any]]:
    """The running board's state file, or None when there is none (or it cannot be read as one)."""
    from statusboard.files import status_candidates
    for path in status_candidates():
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict):
            return doc
    return None


def _reload_number(doc: Optional[Dict[str, Any]]) -> int:
    reload = doc.get("last_reload") if doc else None
    number = reload.get("n") if isinstance(reload, dict) else None
    return number if isinstance(number, int) else 0


def cmd_reload(args: argparse.Namespace) -> int:
    """Signal the board to reload and wait for its verdict."""
    _quiet(args.verbose)
    before = _read_state()
    pid = args.pid or (before or {}).get("pid")
    if not isinstance(pid, int) or pid <= 0:
        raise StatusboardError("no running board found (give --pid, or start the board)")
    if not args.pid and before is not None:
        why_not = not_running(before)
        if why_not:
            raise StatusboardError(f"no running board found: {why_not}")
    elif not _runs_statusboard(pid):
        raise StatusboardError(f"process {pid} is not statusboard: no signal sent")
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        raise StatusboardError(f"no process {pid}: the board is not running") from None
    except PermissionError:
        raise StatusboardError(f"not allowed to signal process {pid}: run as root (sudo)") from None
    if before is None:
        print(f"statusboard: sent SIGHUP to {pid}; no state file, so its answer cannot be read "
              "(journalctl -u statusboard)", file=sys.stderr)
        return EXIT_OK
    end = time.monotonic() + args.timeout
    while time.monotonic() < end:
        time.sleep(0.1)
        after = _read_state()
        if after is not None and after.get("pid") == pid and _reload_number(after) > _reload_number(before):
            reload = after["last_reload"]
            if reload.get("ok"):
                print(f"reloaded {after.get('config')}: {len(after.get('targets', []))} targets")
                return EXIT_OK
            print("statusboard: reload refused; the board runs on with the config it had:", file=sys.stderr)
            for problem in reload.get("problems", []):
                print(f"  {problem}", file=sys.stderr)
            return EXIT_ERROR
    raise StatusboardError(f"the board (process {pid}) did not answer the reload within {args.timeout:g} s")


def _field(item: Dict[str, Any], key: str, width: int = 0) -> str:
    value = item.get(key)
    return printable("" if value is None else value, 200).ljust(width)


def status_text(doc: Dict[str, Any], colour: bool) -> str:
    """The state file as a table for people, with colour swatches on a terminal; every field made printable."""
    lines = [f"board from {_field(doc, 'config')}, running since {_field(doc, 'started_at')}"]
    reload = doc.get("last_reload")
    if isinstance(reload, dict):
        if reload.get("ok"):
            lines.append(f"last reload {_field(reload, 'at')}: ok")
        else:
            lines.append(f"last reload {_field(reload, 'at')}: FAILED, still running on the config before it:")
            problems = reload.get("problems")
            lines += [f"    {printable(p, 1000)}" for p in (problems if isinstance(problems, list) else [])]
    warnings = doc.get("warnings")
    for warning in warnings if isinstance(warnings, list) else []:
        lines.append(f"warning: {printable(warning, 300)}")
    lines.append("")
    for t in doc.get("targets", []):
        if not isinstance(t, dict):
            continue
        rgb = t.get("colour")
        if not (isinstance(rgb, list) and len(rgb) == 3 and all(isinstance(c, int) and 0 <= c <= 255 for c in rgb)):
            rgb = [90, 90, 90]
        swatch = f"\x1b[48;2;{rgb[0]};{rgb[1]};{rgb[2]}m  \x1b[0m" if colour else "  "
        pixel = t.get("pixel")
        place = f"[{pixel[0]},{pixel[1]}]" if isinstance(pixel, list) and len(pixel) == 2 else "[?,?]"
        checked = (_field(t, "checked_at") or "never").replace("T", " ")
        lines.append(f"{swatch} {printable(place, 12)} {_field(t, 'name', 16)} {_field(t, 'state', 13)} "
                     f"{_field(t, 'detail')}  ({checked})")
    return "\n".join(lines)
