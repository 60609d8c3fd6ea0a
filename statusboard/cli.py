"""The `statusboard` command: run, check, status and demo; exit codes and messages for people."""

from __future__ import annotations

import argparse
import difflib
import importlib
import json
import logging
import os
import signal
import sys
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from statusboard.cli_parser import COMMANDS, parser as _parser
from statusboard.config import default_config_path
from statusboard.display.registry import DRIVER_NAMES
from statusboard.errors import ConfigError, StatusboardError, UsageError
from statusboard.text import printable

if TYPE_CHECKING:
    from statusboard.config import Board

log = logging.getLogger("statusboard")

EXIT_OK, EXIT_ERROR, EXIT_CONFIG, EXIT_DISPLAY, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
_EARLY_SIGNALS: List[int] = []   # signals that came between a kept first frame and the loop's own handlers


def _setup_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else (logging.WARNING if quiet else logging.INFO)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")


def layout_text(board: Board) -> str:
    """The grid with each pixel's target name, then one line per target."""
    width, height = board.shape
    names: Dict[tuple, str] = {t.pixel: t.name for t in board.targets}
    cell = min(12, max([len(n) for n in names.values()] + [3]))
    lines = [("    " + " ".join(f"{x:<{cell}}" for x in range(width))).rstrip()]
    for y in range(height):
        row = [(names.get((x, y)) or ".")[:cell] for x in range(width)]
        lines.append((f"{y:<3} " + " ".join(f"{c:<{cell}}" for c in row)).rstrip())
    lines.append("")
    for t in sorted(board.targets, key=lambda t: (t.pixel[1], t.pixel[0])):
        lines.append(f"  [{t.pixel[0]},{t.pixel[1]}] {t.name:<16} {t.kind:<10} {printable(t.spec.describe(), 200)}"
                     f"  (every {t.interval:g} s, timeout {t.timeout:g} s)")
    return "\n".join(lines)


def cmd_check(args: argparse.Namespace) -> int:
    """Validate the config file and print its layout."""
    _setup_logging(args.verbose, quiet=False)
    board = _load(args.config)
    width, height = board.shape
    count = len(board.targets)
    print(f"{printable(board.path, 1000)}: OK, {count} target{'s' if count != 1 else ''} on a "
          f"{board.display.layout} board ({width}x{height}), display {board.display.driver}\n")
    print(layout_text(board))
    for warning in palette_warnings(board) + region_warnings(board):
        print(f"warning: {warning}")
    for line in topic_notes(board):
        print(line)
    return EXIT_OK


def region_warnings(board: Board) -> List[str]:
    """AWS targets that no region reaches (config, environment, ~/.aws/config)."""
    from statusboard.kinds.shared.aws import region_warnings as check_regions
    return check_regions(board)


def _load(path: str) -> Board:
    """The config, read with every kind of target the board knows."""
    from statusboard.kinds import load
    return load(path)


def topic_notes(board: Board) -> List[str]:
    """Where the board publishes its targets over MQTT, naming every target whose topic is not its name."""
    settings = board.mqtt
    if settings is None or not settings.publish:
        return []
    lines = [f"\nMQTT: each target's state goes to {settings.topic('NAME').rsplit('/', 1)[0]}/NAME"]
    topics = settings.topics(t.name for t in board.targets)
    for t in board.targets:
        topic = topics[t.name]
        if not topic.endswith("/" + t.name):
            lines.append(f"  {printable(t.name, 64)!r} is published to {printable(topic, 200)} (a topic level "
                         f"holds only letters, digits, _ . -, and is the board's or another target's in no "
                         f"other way)")
    return lines


def palette_warnings(board: Board) -> List[str]:
    """Palette colours the HAT would show dark, or the same as another colour, at the day or night brightness."""
    from statusboard.display.light import palette_warnings as check_palette
    from statusboard.vocabulary import STALE
    colours = {state: board.colour(state) for state in board.states if state != STALE or STALE in board.palette}
    levels = [("", board.display.brightness)]
    if board.display.night is not None:
        levels.append(("night ", board.display.night.brightness))
    return check_palette(colours, levels)


def cmd_run(args: argparse.Namespace) -> int:
    """Run the board: forever, or one round with --once."""
    from statusboard.display.registry import open_display
    early = None if args.once else _early_frame(args, open_display)   # a restart's kept frame, drawn first
    try:
        from statusboard.daemon import Runner, handle_signals
        from statusboard.notify import Notifier
        from statusboard.report import report
        board = _load(args.config)
    except BaseException:
        if early is not None:
            early[1].close()
        raise
    name = args.display or board.display.driver
    # Log lines would break a board redrawn in place on this terminal: keep to warnings there.
    _setup_logging(args.verbose, quiet=name == "terminal" and sys.stdout.isatty() and not args.json)
    keep = not args.once and _may_keep(board)
    options: Dict[str, Any] = {}
    if name in ("terminal", "window"):
        options["title"] = f"statusboard: {printable(board.path, 1000)}"
        if args.json:
            options["stream"] = sys.stderr
    if early is not None and early[0] != board.display:   # never so for the same config file; closed all the same
        early[1].close()
        early = None
    display = early[1] if early is not None else open_display(name, board.display, record=args.record, **options)
    runner: Optional[Runner] = None
    try:
        if args.once:
            runner = Runner(board, display)
            runner.runtime.prepared(120.0)   # AWS clients made (CPU: tens of seconds on a Pi Zero) before the round
            statuses = runner.once()
            if args.json:
                print(json.dumps(report(board, statuses), indent=2))
            return EXIT_OK
        # A reload that changes the display settings reopens the same driver with the new ones.
        reopen = (lambda new: open_display(name, new.display, record=args.record, **options))
        runner = Runner(board, display, notifier=Notifier(), open_display=reopen, keep_files=keep)
        handle_signals(runner)
        if any(signum != signal.SIGHUP for signum in _EARLY_SIGNALS):
            runner.stop()   # asked to stop while it started: it still draws, then stops as always
        log.info("board running: %d targets from %s on the %s display", len(board.targets), board.path, name)
        try:
            runner.run()   # its own parts stop as on SIGTERM, whatever it raises
            if keep:
                from statusboard import keptframe
                keptframe.keep(runner.board, name)   # beside the observations it kept: the next start's frame
        except BrokenPipeError:   # `statusboard run | head -1`: nobody reads the board's output any more
            _quiet_stdout()   # the display's last words go nowhere; its LEDs still go off below
            print("statusboard: stopping: the reader of its output went away (stdout was closed)", file=sys.stderr)
            return EXIT_ERROR
        return EXIT_ERROR if runner.failed else EXIT_OK
    finally:
        (runner.display if runner else display).close()
        if runner is not None and not args.once:   # --once: every check has ended; its idle workers never do
            runner.pool.join(1.0)   # however it stopped (a reader gone, an error): LEDs off first; run stopped it


def _early_frame(args: argparse.Namespace, open_display: Any) -> Optional[Tuple[Any, Any]]:
    """The display opened and the frame the last run kept shown, when it applies to this start (keptframe.py):
    (its settings, the display); None otherwise."""
    from statusboard import keptframe
    kept = keptframe.early(args.config, args.display)
    if kept is None:
        return None
    settings, frame = kept
    display = open_display(args.display or settings.driver, settings, record=args.record)
    # From its first frame the board stops as it does running (LEDs off), even before the loop's own handlers;
    # a SIGHUP meanwhile changes nothing: the config is read after this.
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda signum, _frame: _EARLY_SIGNALS.append(signum))
    try:
        display.show(frame)
    except BaseException:
        display.close()   # whatever it lit goes off; the error is the display's, said as for any start
        raise
    return settings, display


def _quiet_stdout() -> None:
    """Send what is still written to a closed stdout to /dev/null (no second error, nothing at exit)."""
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, sys.stdout.fileno())
    os.close(null)


def _may_keep(board: Board) -> bool:
    """Whether this run keeps a state file, history and kept observations; says why not, and where not."""
    from statusboard.cli_status import another_board
    from statusboard.files import runtime_dir, state_dir
    other = another_board()
    if other:
        log.warning("%s: this run keeps none of its own and leaves those alone", other)
        return False
    if state_dir() is None:
        kept = "history or kept observations" if board.history.enabled else "kept observations"
        log.warning("this run keeps no %s: /var/lib/statusboard cannot be written by this user (the service "
                    "keeps them there; run it as root to keep them)", kept)
    if runtime_dir() is None:
        log.warning("this run writes no state file, so `statusboard status` cannot see it: neither "
                    "/run/statusboard nor $XDG_RUNTIME_DIR/statusboard can be written by this user")
    return True


def cmd_push(args: argparse.Namespace) -> int:
    """Publish one state for an mqtt target."""
    from statusboard.cli_push import push
    board = _load(args.config)
    code, line = push(board, args.target, args.state, args.detail)
    print(line, file=sys.stdout if code == 0 else sys.stderr)
    return code


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the offline demo."""
    from statusboard.demo.run import run_demo
    if not 0 < args.speed <= 1000:   # faster, the demo's own durations round to nothing
        raise UsageError("--speed must be above zero and at most 1000")
    if args.seconds is not None and not args.seconds > 0:
        raise UsageError("--seconds must be above zero")
    if not 0 <= args.web_port <= 65535:
        raise UsageError("--web-port must be a port number (1 to 65535), or 0 for a free one")
    _setup_logging(args.verbose, quiet=args.display == "terminal" and sys.stdout.isatty())
    from statusboard.demo.stores import free_port
    page = args.web_port or free_port()
    title = f"statusboard demo · page: http://127.0.0.1:{page}/"   # on every frame: where to open it
    options: Dict[str, Any] = {"title": title} if args.display in ("terminal", "window") else {}
    return run_demo(args.display, args.speed, args.seconds, args.record, options, args.layout, page)


def _tell_systemd(args: argparse.Namespace, text: str) -> None:
    """Under systemd, leave why the board could not start as the unit's status line."""
    if args.command == "run" and os.environ.get("NOTIFY_SOCKET"):
        from statusboard.notify import Notifier
        Notifier().status(text)


def _standard_streams() -> None:
    """Give a closed stdin, stdout or stderr (`statusboard status >&-`) /dev/null, so no command meets a None
    stream and no file the board opens takes their number (where a child's output would go)."""
    for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        try:
            os.fstat(fd)
        except OSError:
            os.dup2(os.open(os.devnull, os.O_RDWR), fd)
        if getattr(sys, name) is None:
            setattr(sys, name, open(fd, "r" if fd == 0 else "w", closefd=False))


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point; returns the exit code."""
    _standard_streams()
    for stream in (sys.stdout, sys.stderr):   # a name from outside (a path's bytes) never ends a command
        if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    argv = sys.argv[1:] if argv is None else list(argv)
    named = next((arg for arg in argv if not arg.startswith("-")), None)   # the top level's options take no value
    parser = _parser(named if named in COMMANDS else None)
    args = parser.parse_args(argv)
    if args.command == "run" and args.json and not args.once:
        parser.error("--json goes with --once (a running board writes no JSON to stdout)")
    display = getattr(args, "display", None)
    if display is not None and display not in DRIVER_NAMES:
        close = difflib.get_close_matches(display, DRIVER_NAMES, n=1)
        parser.error(f"unknown display '{printable(display, 40)}'; "
                     + (f"did you mean '{close[0]}'? " if close else "") + f"choose one of {', '.join(DRIVER_NAMES)}")
    if getattr(args, "config", None) is None:
        args.config = default_config_path()
    try:
        commands = {"run": cmd_run, "check": cmd_check, "demo": cmd_demo, "push": cmd_push}
        if args.command in commands:
            return commands[args.command](args)
        module = importlib.import_module(f"statusboard.cli_{args.command}")   # status, reload, history, discover
        return getattr(module, f"cmd_{args.command}")(args)
    except ConfigError as exc:
        count = len(exc.problems)
        print(f"statusboard: {count} problem{'s' if count != 1 else ''} in the config:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        _tell_systemd(args, f"not started: {count} problem{'s' if count != 1 else ''} in the config: "
                            f"{exc.problems[0] if exc.problems else ''}")
        return exc.exit_code
    except StatusboardError as exc:
        print(f"statusboard: {exc}", file=sys.stderr)
        _tell_systemd(args, f"not started: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:   # `statusboard check | head`: the reader left; that is fine
        sys.stdout = open(os.devnull, "w")
        return EXIT_OK
