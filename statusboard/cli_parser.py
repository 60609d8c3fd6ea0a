"""The `statusboard` command line: each command and its arguments (only the command given has its own made)."""

from __future__ import annotations

import argparse
from typing import Optional

from statusboard import __version__
from statusboard.display.registry import DRIVER_NAMES

COMMANDS = ("run", "check", "push", "demo", "reload", "status", "history", "discover")


def parser(command: Optional[str] = None) -> argparse.ArgumentParser:
    """The command line; given the command, only its own arguments are made (the rest, for --help, take a Pi
    Zero's CPU before a board's first frame)."""
    parser = argparse.ArgumentParser(
        prog="statusboard", description="A Unicorn HAT as a status board for EC2 instances, HTTP endpoints and hosts.")
    parser.add_argument("--version", action="version", version=f"statusboard {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def config_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument("-c", "--config", metavar="FILE",
                       help="config file (default: /etc/statusboard/config.yaml if it exists, else ./config.yaml)")

    if command in (None, "run"):
        run = sub.add_parser("run", help="run the board", description="Check every target and show the board.")
        config_arg(run)
        run.add_argument("--display", metavar="NAME",
                         help=f"{', '.join(DRIVER_NAMES)} (default: display.driver)")
        run.add_argument("--once", action="store_true", help="one round: check every target once, draw, and exit")
        run.add_argument("--json", action="store_true", help="with --once: print every target's result as JSON")
        run.add_argument("--record", metavar="FILE", help="append every frame shown to FILE as JSON lines")
    if command in (None, "check"):
        check = sub.add_parser("check", help="validate the config and print the layout",
                               description="Validate config.yaml and print which target sits on which pixel.")
        config_arg(check)
    if command in (None, "push"):
        push = sub.add_parser("push", help="set an mqtt target's state through the board's broker",
                              description="Publish a state for an mqtt target (retained), with the board's broker "
                                          "settings; for shell scripts and CI jobs.")
        push.add_argument("target", help="the name of an mqtt target in the config")
        push.add_argument("state", help="a state: up, down, slow, ok, alarm, ...")
        push.add_argument("--detail", help="the one-line detail the board shows")
        push.add_argument("-c", "--config", default=None, help="the config file (default: as for run)")
    if command in (None, "demo"):
        demo = sub.add_parser("demo", help="the board against a small world on this machine (no Pi, no AWS)",
                              description="Start HTTP endpoints, ping and an EC2 fleet (moto) on 127.0.0.1 that "
                                          "change on a schedule, and run the board on them. Ctrl-C stops it all.")
        demo.add_argument("--display", metavar="NAME", default="terminal",
                          help="terminal (default) or window")
        demo.add_argument("--speed", type=float, default=1.0, help="run the schedule this many times faster")
        demo.add_argument("--layout", choices=["hat", "hd", "mini"], default="hat",
                          help="the board's shape: hat (8x8, the default); hd (16x16) and mini (17x7) fill every "
                               "pixel")
        demo.add_argument("--seconds", type=float, help="stop after this many seconds")
        demo.add_argument("--record", metavar="FILE", help="append every frame shown to FILE as JSON lines")
        demo.add_argument("--web-port", type=int, default=0, metavar="PORT",
                          help="serve the board's page on 127.0.0.1:PORT (default: a free port, named as it starts)")
    if command in (None, "reload"):
        reload = sub.add_parser("reload",
                                help="make the running board re-read its config, and say whether it took it",
                                description="Send SIGHUP to the running board and wait for its answer: exit 0 when "
                                            "the new config is running, 1 when it was refused (the board runs on "
                                            "with the one it had). systemd's ExecReload.")
        reload.add_argument("--pid", type=int, help="the board's process (default: the one in the state file)")
        reload.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the answer (default 60)")
    if command in (None, "status"):
        status = sub.add_parser("status", help="show what the running board shows",
                                description="Print the running board's state file: every pixel, its state and detail.")
        shown = status.add_mutually_exclusive_group()
        shown.add_argument("--json", action="store_true", help="print the state file as it is")
        shown.add_argument("--check", action="store_true",
                           help="one summary line; exit 0 all healthy, 1 a warning, 2 a critical, 3 unknown "
                                "(the monitoring-plugin convention)")
    if command in (None, "history"):
        from statusboard.cli_history import add_parser as history_parser
        history_parser(sub)
    if command in (None, "discover"):
        from statusboard.cli_discover import add_parser as discover_parser
        discover_parser(sub)
    return parser
