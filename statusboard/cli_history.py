"""The `history` command: what changed on the board, from the history the running board keeps."""

from __future__ import annotations

import argparse
import difflib
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional, Set

from statusboard.cli_status import local_time
from statusboard.config.values import Invalid, span
from statusboard.errors import StatusboardError, UsageError
from statusboard.text import printable

if TYPE_CHECKING:
    from statusboard.history import Change

EXIT_OK = 0
SERVICE_STATE = "/var/lib/statusboard"   # the unit's StateDirectory


def history_path() -> Path:
    """Where the board keeps its history: its StateDirectory (the service's, unless one is given)."""
    from statusboard.history import NAME
    return Path(os.environ.get("STATE_DIRECTORY") or SERVICE_STATE) / NAME


def _readable(path: Path) -> None:
    """Nothing when the history at path can be read by this user; else StatusboardError saying why."""
    from statusboard.history import NAME
    try:
        path.stat()
    except PermissionError:
        raise StatusboardError(f"cannot read it: {path.parent} belongs to the board's user; use sudo "
                               f"(sudo statusboard history)") from None
    except FileNotFoundError:
        raise StatusboardError(f"no history at {path}: the board keeps it in its state directory "
                               f"({SERVICE_STATE}/{NAME} for the service), unless its config says "
                               "history: {enabled: false}; a board run by hand as a user keeps none") from None
    if not os.access(path, os.R_OK):
        raise StatusboardError(f"cannot read it: {path} belongs to the board's user; use sudo "
                               "(sudo statusboard history)")


def known_targets(path: Path, config: Optional[str]) -> Set[str]:
    """Every target the history names, and every target of the config (when it can be read)."""
    from statusboard.history import connect
    names: Set[str] = set()
    db = connect(path, read_only=True)
    try:
        names.update(row[0] for row in db.execute("SELECT DISTINCT target FROM changes"))
    finally:
        db.close()
    if config:
        try:
            from statusboard.kinds import load
            names.update(t.name for t in load(config).targets)
        except (StatusboardError, OSError, ValueError):
            pass   # a config this user cannot read, or a broken one: the history's names alone
    return names


def cmd_history(args: argparse.Namespace) -> int:
    """Print the changes of one target (or all) since --since; exit 1 when there is no history to read, 2 for a
    target the board has never had."""
    import sqlite3
    from statusboard.history import query   # sqlite3: only for this command (not before a board's first frame)
    try:
        since = max(0.0, time.time() - span(args.since))
    except Invalid as exc:
        raise UsageError(f"--since: {exc}") from None
    path = history_path()
    _readable(path)
    try:
        if args.target is not None:
            names = known_targets(path, args.config)
            if args.target not in names:
                close = difflib.get_close_matches(args.target, sorted(names), n=3)
                guesses = " or ".join("'" + printable(c, 64) + "'" for c in close)
                hint = f" (did you mean {guesses}?)" if close else ""
                raise UsageError(f"no target '{printable(args.target, 64)}' in the history or the config{hint}")
        changes = query(path, args.target, since)
    except sqlite3.Error as exc:
        raise StatusboardError(f"cannot read the history in {path}: {exc}") from None
    if args.json:
        print(json.dumps([c._asdict() for c in changes], indent=2))   # \u escapes: no raw control character
        return EXIT_OK
    shown = f" of {printable(args.target, 64)}" if args.target else ""
    if not changes:
        print(f"no change{shown} since {local_time(since)}")
        return EXIT_OK
    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    for line in history_lines(changes, width):
        print(line)
    return EXIT_OK


def history_lines(changes: List["Change"], width: Optional[int] = None) -> List[str]:
    """One line per change: local time with its zone, target, state, detail and how long the check took; every
    name made printable, each line within `width` columns (None: as long as it is)."""
    rows = [(local_time(c.at), printable(c.target, 32), printable(c.state, 20),
             printable(c.detail, 160) + (f" ({c.took:.2f} s)" if isinstance(c.took, (int, float)) else ""))
            for c in changes]
    wide = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = []
    for at, target, state, detail in rows:
        head = f"{at:<{wide[0]}}  {target:<{wide[1]}}  {state:<{wide[2]}} "
        if width is not None and len(head) + len(detail) > width:
            detail = detail[:max(8, width - len(head)) - 1] + "…"
        lines.append(head + detail)
    return lines


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """The history command's arguments."""
    history = sub.add_parser("history", help="show what changed on the board",
                             description="Print each change of a target's state that the board kept: when (local "
                                         "time, with its zone), the state, the detail, and how long the check took.")
    history.add_argument("target", nargs="?", help="one target (default: every target)")
    history.add_argument("--since", default="24h", help="how far back: 30m, 24h, 7d, at most 3650d (default 24h)")
    history.add_argument("--json", action="store_true", help="print the changes as JSON")
    history.add_argument("-c", "--config", metavar="FILE",
                         help="the board's config, for its target names (default: as for run)")
