"""The `discover` command: targets from EC2, CloudWatch, IVS, Prometheus or a file of URLs for the free pixels of
config.yaml, shown with the board `check` draws, and with --apply appended to the file and the board reloaded."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import time
from typing import TYPE_CHECKING, Iterator, Optional, Tuple

from statusboard.discover import DiscoverError, UsageError
from statusboard.text import printable

if TYPE_CHECKING:
    from statusboard.discover.owner import Owner

EXIT_OK, EXIT_FAILED = 0, 1
SOURCES_HELP = ("ec2 (instances, by Name tag), cloudwatch (alarms), ivs (channels), prometheus URL (its scrape jobs), "
                "http FILE (a file of URLs)")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """The discover command and a subcommand for each source."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-c", "--config", metavar="FILE",
                        help="config file (default: /etc/statusboard/config.yaml if it exists, else ./config.yaml)")
    common.add_argument("--apply", action="store_true",
                        help="append the targets to the config (after a backup, FILE.bak) and reload a running board")
    common.add_argument("--partial", action="store_true",
                        help="when there are fewer free pixels than new targets, place as many as fit")
    common.add_argument("--row", type=int, default=0, metavar="N", help="the first row to fill (default 0)")
    common.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                        help="how long each region or server may take to answer, every page of it (default 30)")
    aws = argparse.ArgumentParser(add_help=False)
    aws.add_argument("--profile", action="append", default=[], metavar="NAME",
                     help="an AWS profile to ask (repeatable; default: the config's aws.profile, else boto3's)")
    aws.add_argument("--region", action="append", default=[], metavar="REGION",
                     help="a region to ask (repeatable; default: the config's aws.region, else boto3's)")
    parser = sub.add_parser("discover", help="find targets (EC2, alarms, IVS, Prometheus jobs, URLs) for free pixels",
                            description="Find what a source holds and place it on the free pixels of config.yaml, "
                                        "row by row. Prints the new targets and the board as check draws it; "
                                        "changes nothing without --apply. Sources: " + SOURCES_HELP + ".")
    sources = parser.add_subparsers(dest="source", metavar="SOURCE")
    sources.required = True
    ec2 = sources.add_parser("ec2", parents=[common, aws], help="EC2 instances: one pixel per Name tag",
                             description="One pixel per instance by its Name tag (by id without one), in every "
                                         "region asked; or one per value of a tag with --group-by.")
    ec2.add_argument("--group-by", metavar="TAG", help="one pixel per value of this tag (a tags: selector)")
    alarms = sources.add_parser("cloudwatch", parents=[common, aws], help="CloudWatch alarms: one pixel each",
                                description="One pixel per alarm (metric or composite), or per name prefix.")
    alarms.add_argument("--group-prefix", nargs="?", const="-", metavar="SEP",
                        help="one pixel per prefix: the name up to its first SEP (default '-'); a prefix: selector")
    sources.add_parser("ivs", parents=[common, aws], help="Amazon IVS channels: one pixel each",
                       description="One pixel per IVS channel, by name (by ARN where a name is not unique).")
    prom = sources.add_parser("prometheus", parents=[common], help="a Prometheus server's jobs: one pixel each",
                              description="One pixel per scrape job of the server's up series: critical when a "
                                          "scrape fails.")
    prom.add_argument("url", help="the server, like http://prometheus.lan:9090")
    prom.add_argument("--per-instance", action="store_true", help="one pixel per job and instance")
    http = sources.add_parser("http", parents=[common], help="URLs from a file: one pixel each",
                              description="One pixel per URL in FILE: a URL a line, optionally followed by the "
                                          "target's name; blank lines and # comments are skipped.")
    http.add_argument("file", help="the file of URLs")


def _logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    if not verbose:   # the AWS check logs what this command says itself
        logging.getLogger("statusboard.kinds").setLevel(logging.ERROR)


def _arguments(args: argparse.Namespace) -> None:
    from statusboard.config.aws import region
    from statusboard.config.values import Invalid
    for name in getattr(args, "region", []):
        try:
            region(name)
        except Invalid as exc:
            raise UsageError(f"--region: {exc}") from None
    if any(not p.strip() for p in getattr(args, "profile", [])):
        raise UsageError("--profile: give a profile's name")
    if getattr(args, "group_by", None) is not None and not args.group_by.strip():
        raise UsageError("--group-by: give a tag's key, like Role")
    if getattr(args, "group_prefix", None) == "":
        raise UsageError("--group-prefix: give a separator, like - or _")
    if not 0 < args.timeout <= 600:
        raise UsageError("--timeout: give seconds, above 0 and at most 600")


def check(path: str, shown: str) -> Tuple[int, str]:
    """`statusboard check` on a file, as a person would run it: (its exit code, what it printed, naming `shown`)."""
    import subprocess
    done = subprocess.run([sys.executable, "-m", "statusboard", "check", "-c", path], capture_output=True,
                          text=True, timeout=600)
    return done.returncode, (done.stdout + done.stderr).replace(path, shown).rstrip("\n")


def cmd_discover(args: argparse.Namespace) -> int:
    """Discover targets, show them on the board, and with --apply write them and reload the board."""
    with _stopped_cleanly():
        return _discover(args)


def _discover(args: argparse.Namespace) -> int:
    from statusboard.discover.find import find
    from statusboard.discover.owner import read_owner, result
    from statusboard.discover.place import plan
    from statusboard.discover.yamltext import insertion, verify
    from statusboard.text import redact
    _logging(args.verbose)
    _arguments(args)
    owner = read_owner(args.config)
    width, height = owner.board.shape
    if not 0 <= args.row < height:
        raise UsageError(f"--row {args.row}: the {owner.board.display.layout} board's rows are 0 to {height - 1}")
    where = getattr(args, "url", None) or getattr(args, "file", None)
    found = find(args.source, owner.board, args.timeout, getattr(args, "profile", []), getattr(args, "region", []),
                 getattr(args, "group_by", None), getattr(args, "group_prefix", None),
                 getattr(args, "per_instance", False), where)
    for line in found.asked:
        print(line)
    for line in found.left_out:
        print(f"left out: {line}")
    for line in found.problems:
        print(f"statusboard: {line}", file=sys.stderr)
    if found.problems and not found.asked:
        return EXIT_FAILED
    placing = plan(owner.board, found.found, args.row, args.partial)
    if placing.already:
        names = ", ".join(f.name for f in placing.already[:8]) + (", ..." if len(placing.already) > 8 else "")
        print(f"{len(placing.already)} on the board already, not added again: {names}")
    if placing.twice:
        names = ", ".join(f.name for f in placing.twice[:8]) + (", ..." if len(placing.twice) > 8 else "")
        print(f"{len(placing.twice)} found twice (through two profiles or regions), placed once: {names}")
    if placing.unplaced and not placing.placed:
        print(f"statusboard: {len(placing.unplaced)} new target{'s' if len(placing.unplaced) != 1 else ''} and "
              f"{placing.free} free pixel{'s' if placing.free != 1 else ''} from row {args.row} of the "
              f"{width}x{height} board: {len(placing.unplaced) - placing.free} could not be placed, so none were"
              + (f" (--partial places the first {placing.free})" if placing.free else ""), file=sys.stderr)
        return EXIT_FAILED
    if not placing.placed:
        print(f"nothing new to add to {owner.path}" + (" (and nothing found)" if not found.found else ""))
        return EXIT_FAILED if found.problems else EXIT_OK
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    header = f"statusboard discover {args.source}{' ' + redact(where) if where else ''}, {stamp}"
    added = insertion(owner.text, placing.placed, header)
    new_text = added.into(owner.text)
    verify(new_text, placing.placed)
    result(owner, new_text, placing.placed)
    count = len(placing.placed)
    print(f"\n{count} new target{'s' if count != 1 else ''} for {owner.path}:\n")
    print(redact(added.text.strip("\r\n")))
    if placing.unplaced:
        print(f"\n{len(placing.unplaced)} more could not be placed: no free pixel left (--partial)")
    if found.problems and args.apply:
        print(f"statusboard: nothing written: {len(found.problems)} of the places asked did not answer (above); "
              "run it again, or leave them out", file=sys.stderr)
        return EXIT_FAILED
    from statusboard.discover.place import secrets
    if not args.apply:
        _secrets(owner.real, owner.path, secrets(placing.placed), False)
        return _preview(owner.path, new_text, bool(found.problems))
    return _apply(owner, new_text, args.verbose, secrets(placing.placed))


def _secrets(real: str, path: str, count: int, apply: bool) -> None:
    """Say that targets carry a URL's user name or password, which config.yaml then holds in clear, as given."""
    if not count:
        return
    import stat
    mode = stat.S_IMODE(os.stat(real).st_mode)
    who = " (its mode, {:04o}, lets every user of this machine read it)".format(mode) if mode & 0o004 else ""
    print(f"\nnote: {count} of them carr{'y' if count != 1 else 'ies'} a user name or password in a URL, as you gave "
          f"{'them' if count != 1 else 'it'}: {path} {'holds' if apply else 'would hold'} "
          f"{'them' if count != 1 else 'it'} in clear{who}; only *** is shown here")


@contextlib.contextmanager
def _stopped_cleanly() -> Iterator[None]:
    """While it runs, SIGTERM and SIGHUP end the command as Ctrl-C does, so that a temporary file beside
    config.yaml (or the preview's) is removed and no check is left running, instead of the process vanishing
    mid-write."""
    import signal

    def stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    before = {}
    for signum in (signal.SIGTERM, signal.SIGHUP):
        try:
            before[signum] = signal.signal(signum, stop)
        except ValueError:   # not the main thread (main() called from another): left as it is
            pass
    try:
        yield
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


def _preview(path: str, new_text: str, failed: bool) -> int:
    """Print the board with the new targets as check draws it; nothing changes."""
    import tempfile
    fd, temp = tempfile.mkstemp(prefix="statusboard-discover-", suffix=".yaml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(new_text)
        code, said = check(temp, path)
    finally:
        os.unlink(temp)
    print(f"\nThe board with them, as check draws it:\n\n{said}\n")
    if code != 0:
        return EXIT_FAILED
    if failed:
        print("Nothing changed; --apply writes only when every place asked has answered.")
        return EXIT_FAILED
    print(f"Nothing changed: --apply appends them to {path} (after a backup, {path}.bak) and reloads a running board.")
    return EXIT_OK


def _apply(owner: "Owner", new_text: str, verbose: bool, secret: int = 0) -> int:
    """Write the new config (checked first), then reload the running board; put the file back if that fails."""
    from statusboard.discover.write import apply, restore
    path = owner.path

    def passes(candidate: str) -> bool:
        """Run check on the new file and show what it says."""
        code, text = check(candidate, path)
        print(f"\nThe board with them, as check draws it:\n\n{text}\n")
        return code == 0

    links = os.stat(owner.real).st_nlink
    backup = apply(owner, new_text, passes)
    print(f"written: {path} (the file as it was: {backup})")
    if links > 1:
        print(f"note: {path} had {links - 1} other hard link{'s' if links != 2 else ''}: the new file replaces this "
              f"name only, so {'they keep' if links != 2 else 'it keeps'} the text as it was")
    _secrets(owner.real, path, secret, True)
    try:
        reloaded, why_not = _reload(owner.real, verbose)
    except Exception as exc:  # noqa: BLE001 - a reload that fails in any way puts the file back
        restore(owner, new_text)
        raise DiscoverError(f"{exc}; {path} is back as it was") from None
    if reloaded is None:
        print(f"not reloaded: {why_not}")
    elif reloaded != EXIT_OK:
        try:
            restore(owner, new_text)
        except DiscoverError as exc:
            raise DiscoverError(f"the running board refused the new config; {exc}") from None
        raise DiscoverError(f"the running board refused the new config; {path} is back as it was, and the board "
                            "runs on with it")
    return EXIT_OK


def _running_config(doc: dict) -> Optional[str]:
    """The real path of the config the board that wrote this state file runs on."""
    config = doc.get("config")
    if not isinstance(config, str):
        return None
    if not os.path.isabs(config):
        try:
            config = os.path.join(os.readlink(f"/proc/{doc.get('pid')}/cwd"), config)
        except OSError:
            pass
    return os.path.realpath(config)


def _reload(real: str, verbose: bool) -> Tuple[Optional[int], str]:
    """Reload the running board the way `statusboard reload` does, when it runs on this file: (its exit code, ""),
    or (None, why not) when no board runs on it."""
    import json

    from statusboard.cli_status import not_running
    from statusboard.files import status_candidates
    from statusboard.readfile import read_small
    for place in status_candidates():
        try:
            doc = json.loads(read_small(str(place), 1024 * 1024))   # a FIFO or a device is refused, not read
        except (OSError, ValueError, RecursionError):
            continue
        if isinstance(doc, dict) and not not_running(doc):
            break
    else:
        return None, "no board is running (it reads the file when it starts)"
    if _running_config(doc) != real:
        return None, f"the running board reads {printable(doc.get('config'), 200)}, not this file"
    from statusboard.cli_reload import cmd_reload
    return cmd_reload(argparse.Namespace(pid=None, timeout=60.0, verbose=verbose)), ""
