"""The `status` command: what the running board shows, for a person or (--check) for a monitor."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from statusboard.errors import StatusboardError
from statusboard.text import printable

# shutil and textwrap are imported where used: `run` reads another_board() before its first frame

EXIT_OK, EXIT_ERROR = 0, 1
CHECK_CODES = {"OK": 0, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 3}   # the monitoring-plugin convention
PID_MAX = 4194304   # Linux's PID_MAX_LIMIT: no process number is higher (os.kill cannot take one far above it)


def quiet_logging(verbose: bool) -> None:
    """Warnings and errors only (debug with -v), on stderr: the commands print their own answer."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")


def local_time(stamp: Optional[float], with_date: bool = True) -> str:
    """Unix seconds as local time with its zone (`2026-11-23 11:00:05 CET`), the one convention of `status` and
    `history`; a time no calendar holds is said so, never a traceback."""
    if stamp is None:
        return "never"
    try:
        when = datetime.fromtimestamp(stamp, tz=timezone.utc).astimezone()
    except (ValueError, OverflowError, OSError):
        return "(a time out of range)"
    return when.strftime("%Y-%m-%d %H:%M:%S %Z" if with_date else "%H:%M:%S")


def parse_iso(text: Any) -> Optional[float]:
    """A state file's `2026-11-23T10:00:00Z` as Unix seconds (None for anything else)."""
    if not isinstance(text, str):
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
    except (ValueError, OverflowError):
        return None


def _shown_time(value: Any) -> str:
    stamp = parse_iso(value)
    return local_time(stamp) if stamp is not None else printable("never" if value is None else value, 40)


def find_board() -> Tuple[Optional[Path], Optional[Dict[str, Any]], List[str]]:
    """The state file to show, its document and what could not be read: the first one whose board runs (a
    user's own preview before a root file left by a board that has ended), else the first one read."""
    from statusboard.files import read_state, status_candidates
    found: List[Tuple[Path, Dict[str, Any]]] = []
    problems: List[str] = []
    for path in status_candidates():
        try:
            found.append((path, read_state(path)))
        except FileNotFoundError:
            continue
        except OSError as exc:
            problems.append(printable(str(exc), 300))
    for path, doc in found:
        if not_running(doc) is None:
            return path, doc, problems
    if found:
        return found[0][0], found[0][1], problems
    return None, None, problems


def another_board() -> Optional[str]:
    """For a run started by hand (not by the service): None when it may keep its files where it would, else why
    not: another board, running, keeps its state file there (the service's, beside which a preview runs)."""
    from statusboard.files import STATE_NAME, read_state, runtime_dir
    if os.environ.get("RUNTIME_DIRECTORY") or os.environ.get("STATE_DIRECTORY"):
        return None   # started by systemd (or given places of its own): they are this board's
    where = runtime_dir()
    try:
        doc = read_state(where / STATE_NAME) if where is not None else None
    except OSError:
        return None
    if doc is None or doc.get("pid") == os.getpid() or not_running(doc) is not None:
        return None
    return (f"another board (process {doc['pid']}, from {printable(doc.get('config'), 200)}) keeps its state "
            f"file, history and kept observations in {where} and its state directory")


def cmd_status(args: argparse.Namespace) -> int:
    """Print the running board's state file; exit 1 when no board runs (--check: 0 to 3 by the worst state)."""
    import json
    import shutil
    from statusboard.files import status_candidates
    quiet_logging(args.verbose)
    path, doc, problems = find_board()
    if path is None or doc is None:
        why = "; ".join(problems) or "no state file at " + ", ".join(str(p) for p in status_candidates())
        if args.check:
            return _verdict("UNKNOWN", f"no running board found ({why})")
        if problems:
            raise StatusboardError(f"cannot read the board's state: {why}")
        say(f"statusboard: no running board found ({why})")
        return EXIT_ERROR
    why_not = not_running(doc)
    age = None if why_not else stale_for(doc)
    if args.check:
        return check_verdict(doc, why_not, age)
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
        colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")   # https://no-color.org
        print(status_text(doc, colour=colour, width=width))
    if why_not:
        seen = _shown_time(doc.get("written_at") or doc.get("started_at"))
        say(f"statusboard: not running (last seen {seen}): {why_not}")
        return EXIT_ERROR
    if age is not None:
        say(f"statusboard: STALE: the board runs but has not written {path} for {age:.0f} s, so what is shown "
            "above may be out of date (is its directory full or read-only? sudo journalctl -u statusboard)")
        return EXIT_ERROR
    return EXIT_OK


def say(text: str) -> None:
    """A message on stderr, wrapped to the terminal's width when it is one."""
    import shutil
    import textwrap
    if sys.stderr.isatty():
        text = "\n".join(textwrap.wrap(text, shutil.get_terminal_size().columns, subsequent_indent="  ",
                                        break_on_hyphens=False))
    print(text, file=sys.stderr)


def _verdict(word: str, text: str) -> int:
    print(printable(f"STATUSBOARD {word}: {text}", 1000))
    return CHECK_CODES[word]


def check_verdict(doc: Dict[str, Any], why_not: Optional[str], age: Optional[float]) -> int:
    """`status --check`: one summary line, and 0 all healthy, 1 a warning, 2 a critical, 3 unknown (the board or
    a target: not running, not kept up to date, unknown or stale)."""
    if why_not:
        return _verdict("UNKNOWN", f"the board is not running: {why_not}")
    if age is not None:
        return _verdict("UNKNOWN", f"the board has not written its state for {age:.0f} s")
    groups: Dict[str, List[str]] = {"critical": [], "warning": [], "unknown": []}
    targets = [t for t in doc["targets"] if isinstance(t, dict)]
    for t in targets:
        severity = t.get("severity")
        if severity in ("ok", "transitional"):
            continue
        severity = severity if isinstance(severity, str) and severity in groups else "unknown"   # not healthy
        groups[severity].append(f"{printable(t.get('name'), 40)} {printable(t.get('state'), 20)}")
    parts = [f"{len(names)} {kind}: {', '.join(names[:5])}{', …' if len(names) > 5 else ''}"
             for kind, names in groups.items() if names]
    word = ("CRITICAL" if groups["critical"] else "WARNING" if groups["warning"]
            else "UNKNOWN" if groups["unknown"] else "OK")
    if word == "OK":
        return _verdict(word, f"all {len(targets)} healthy")
    return _verdict(word, f"{'; '.join(parts)} (of {len(targets)})")


def not_running(doc: Dict[str, Any]) -> Optional[str]:
    """None when the board that wrote the state file still runs, else why it does not. The process is named by
    its pid and start time, which stay comparable inside a container and its sandbox (a boot id may not)."""
    from statusboard.files import boot_id, process_start
    pid = doc.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return "the state file names no process (an older version wrote it)"
    if pid > PID_MAX:
        return f"the state file names no process ({printable(pid, 40)} is no process number)"
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
    if not runs_statusboard(pid):
        return f"its process {pid} has ended (the number now belongs to another program)"
    return None


def runs_statusboard(pid: int) -> bool:
    """Whether process pid runs statusboard (True when its command line cannot be read)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return b"statusboard" in handle.read(65536)
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


def _field(item: Dict[str, Any], key: str, width: int = 0) -> str:
    value = item.get(key)
    return printable("" if value is None else value, 200).ljust(width)


def _cut(text: str, width: Optional[int]) -> str:
    return text if width is None or len(text) <= width else text[:max(0, width - 1)] + "…"


def status_text(doc: Dict[str, Any], colour: bool, width: Optional[int] = None) -> str:
    """The state file as a table for people, with colour swatches on a terminal, each line within `width`
    columns (None: as long as it is); every field made printable, every time local with its zone."""
    import textwrap
    zone = datetime.now().astimezone().strftime("%Z")
    lines = [_cut(f"board from {_field(doc, 'config')}, running since {_shown_time(doc.get('started_at'))}", width)]
    wrap = (lambda text, indent: textwrap.wrap(text, width, subsequent_indent=indent, break_on_hyphens=False)
            if width else [text])
    reload = doc.get("last_reload")
    if isinstance(reload, dict):
        if reload.get("ok"):
            lines.append(f"last reload {_shown_time(reload.get('at'))}: ok")
        else:
            lines += wrap(f"last reload {_shown_time(reload.get('at'))}: FAILED, still running on the config "
                          "before it:", "  ")
            problems = reload.get("problems")
            for p in problems if isinstance(problems, list) else []:
                lines += wrap(f"    {printable(p, 1000)}", "      ")
    warnings = doc.get("warnings")
    for warning in warnings if isinstance(warnings, list) else []:
        lines += wrap(f"warning: {printable(warning, 300)}", "  ")
    rows = []
    for t in doc.get("targets", []):
        if not isinstance(t, dict):
            continue
        rgb = t.get("colour")
        if not (isinstance(rgb, list) and len(rgb) == 3 and all(isinstance(c, int) and 0 <= c <= 255 for c in rgb)):
            rgb = [90, 90, 90]
        pixel = t.get("pixel")
        place = f"[{pixel[0]},{pixel[1]}]" if isinstance(pixel, list) and len(pixel) == 2 else "[?,?]"
        checked = parse_iso(t.get("checked_at"))
        rows.append((rgb, printable(place, 9), _field(t, "name"), _field(t, "state"),
                     local_time(checked, with_date=False) if checked is not None else "never", _field(t, "detail")))
    lines.append("")
    if rows:
        lines.append(f"(checked: local time, {zone})")
        wide = [min(max(len(r[i]) for r in rows), cap) for i, cap in ((1, 9), (2, 16), (3, 17), (4, 8))]
        for rgb, place, name, state, checked, detail in rows:
            swatch = f"\x1b[48;2;{rgb[0]};{rgb[1]};{rgb[2]}m  \x1b[0m" if colour else "  "
            text = " ".join(_cut(v, w).ljust(w) for v, w in zip((place, name, state, checked), wide))
            rest = None if width is None else max(8, width - 3 - len(text) - 1)
            lines.append(f"{swatch} {text} {_cut(detail, rest)}".rstrip())
    return "\n".join(lines)
