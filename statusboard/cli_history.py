"""The `history` command: what changed on the board, from the history the running board keeps."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import time
from datetime import datetime

from statusboard.errors import StatusboardError
from statusboard.files import state_dir
from statusboard.config.values import Invalid, span
from statusboard.text import printable

EXIT_OK = 0


def cmd_history(args: argparse.Namespace) -> int:
    """Print the changes of one target (or all) since --since; exit 1 when there is no history to read."""
    from statusboard.history import NAME, query   # sqlite3: only for this command
    try:
        since = time.time() - span(args.since)
    except Invalid as exc:
        raise StatusboardError(f"--since: {exc}") from None
    where = state_dir()
    path = (where / NAME) if where is not None else None
    if path is None or not path.exists():
        shown = path or f"/var/lib/statusboard/{NAME}"
        raise StatusboardError(f"no history at {shown}: the board keeps it in its state directory once it runs "
                               "as a service (STATE_DIRECTORY), unless its config says history: {enabled: false}")
    if not os.access(path, os.R_OK):
        raise StatusboardError(f"cannot read {path}: run as the board's user, or with sudo")
    try:
        changes = query(path, args.target, since)
    except sqlite3.Error as exc:
        raise StatusboardError(f"cannot read the history in {path}: {exc}") from None
    if args.json:
        print(json.dumps([c._asdict() for c in changes], indent=2, ensure_ascii=False))
        return EXIT_OK
    if not changes:
        print(f"no change{' of ' + args.target if args.target else ''} since {_when(since)}")
        return EXIT_OK
    width = max(len(c.target) for c in changes)
    for c in changes:
        took = f" ({c.took:.2f} s)" if c.took is not None else ""
        print(f"{_when(c.at)}  {c.target:<{width}}  {c.state:<17} {printable(c.detail, 160)}{took}")
    return EXIT_OK


def _when(stamp: float) -> str:
    """Local time, for the person reading."""
    return datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M:%S")


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """The history command's arguments."""
    history = sub.add_parser("history", help="show what changed on the board",
                             description="Print each change of a target's state that the board kept: when, the "
                                         "state, the detail, and how long the check took.")
    history.add_argument("target", nargs="?", help="one target (default: every target)")
    history.add_argument("--since", default="24h", help="how far back: 30m, 24h, 7d (default 24h)")
    history.add_argument("--json", action="store_true", help="print the changes as JSON")

