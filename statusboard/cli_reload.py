"""The `reload` command: ask the running board to re-read its config, and say whether it took it."""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import time
from typing import Any, Dict, Optional, Tuple

from statusboard.cli_status import (EXIT_ERROR, EXIT_OK, PID_MAX, find_board, not_running, quiet_logging,
                                    runs_statusboard)
from statusboard.errors import StatusboardError, UsageError
from statusboard.text import printable


def _read_state(pid: Optional[int] = None) -> Optional[Dict[str, Any]]:
    """The state file of the board to reload (the one of process pid, when given), or None."""
    from statusboard.files import read_state, status_candidates
    for path in status_candidates():
        try:
            doc = read_state(path)
        except OSError:
            continue
        if pid is None or doc.get("pid") == pid:
            return doc
    return None


def _reload_number(doc: Optional[Dict[str, Any]]) -> int:
    reload = doc.get("last_reload") if doc else None
    number = reload.get("n") if isinstance(reload, dict) else None
    return number if isinstance(number, int) else 0


def _target(args: argparse.Namespace) -> Tuple[int, Optional[Dict[str, Any]]]:
    """The process to signal and its state file; StatusboardError when it cannot be sure it is the board."""
    if args.pid:
        if not runs_statusboard(args.pid):
            raise StatusboardError(f"process {args.pid} is not statusboard: no signal sent")
        return args.pid, _read_state(args.pid)
    path, before, problems = find_board()
    if before is None:
        raise StatusboardError("no running board found (give --pid, or start the board)"
                               + (f": {'; '.join(problems)}" if problems else ""))
    why_not = not_running(before)
    if why_not:
        raise StatusboardError(f"no running board found: {why_not}")
    pid = before["pid"]
    if not isinstance(before.get("pid_start"), int):
        raise StatusboardError(f"{path} names process {pid} without its start time (an older release wrote it), "
                               "so it cannot tell the board from a program that took its number: no signal sent "
                               f"(restart the board, or give --pid {pid} if you are sure)")
    return pid, before


def cmd_reload(args: argparse.Namespace) -> int:
    """Signal the board to reload and wait for its verdict."""
    quiet_logging(args.verbose)
    if not 0 < args.timeout < math.inf:
        raise UsageError("--timeout must be above zero and finite")
    if args.pid is not None and not 0 < args.pid <= PID_MAX:   # kill() with 0 or less signals a process group
        raise UsageError(f"--pid must be a process number (1 to {PID_MAX})")
    pid, before = _target(args)
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        raise StatusboardError(f"no process {pid}: the board is not running") from None
    except PermissionError:
        raise StatusboardError(f"not allowed to signal process {pid}: run as root (sudo)") from None
    if before is None:
        print(f"statusboard: sent SIGHUP to {pid}; no state file, so its answer cannot be read "
              "(sudo journalctl -u statusboard)", file=sys.stderr)
        return EXIT_OK
    end = time.monotonic() + args.timeout
    while time.monotonic() < end:
        time.sleep(0.1)
        after = _read_state(pid)
        if after is not None and _reload_number(after) > _reload_number(before):
            reload = after["last_reload"]
            if reload.get("ok"):
                count = len(after["targets"])
                print(f"reloaded {printable(after.get('config'), 200)}: {count} target{'s' if count != 1 else ''}")
                return EXIT_OK
            print("statusboard: reload refused; the board runs on with the config it had:", file=sys.stderr)
            problems = reload.get("problems")
            for problem in problems if isinstance(problems, list) else []:
                print(f"  {printable(problem, 1000)}", file=sys.stderr)
            return EXIT_ERROR
    raise StatusboardError(f"the board (process {pid}) did not answer the reload within {args.timeout:g} s")
