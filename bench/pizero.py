"""The board on a Pi Zero's budget: `statusboard run` in a cgroup limited to 5 % of one core (a Pi Zero's one
ARM core is about a twentieth of one core here), against HTTP servers and ping on 127.0.0.1 only.

It prints, per start: the time to the first frame, the time until every target's first result (from the
recorded frames: the first frame where each pixel leaves the colour the first frame gave it), the CPU the
board used in its first interval and in its steady state, and those as a share of the budget.

The board starts as it does on a Pi after a restart: with the observations its last run kept (a first run,
outside the cgroup, makes them), which it shows as stale until checked (`--fresh`: with none), and with its
modules' byte code compiled and no editable install's import hook, as pip installs it on a Pi (`--dev`: as
this checkout runs, with its environment's PYTHONDONTWRITEBYTECODE and editable install).

    sudo python bench/pizero.py                 # 64 targets: 32 HTTP + 32 ping every 10 s, 3 starts
    sudo python bench/pizero.py --layout hd     # 256 targets (the Unicorn HAT HD's 16x16)
    sudo python bench/pizero.py --quota 100     # the same without the limit, for comparison

It needs root and a cgroup CPU controller (cgroup v2's cpu.max, or v1's cpu.cfs_quota_us); where it cannot
make a group it says so and exits with 2.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.footprint import SIZES, TICK  # noqa: E402
from bench.world import World  # noqa: E402

PERIOD = 100_000   # µs: the cgroup's period; the quota is a share of it


class Group:
    """A CPU-limited cgroup of our own (v2 or v1), removed on close; usage() is its CPU time in seconds."""

    def __init__(self, percent: float) -> None:
        self.dirs: List[Path] = []
        self.procs: List[Path] = []
        self._usage: Optional[Tuple[Path, str]] = None
        name = f"statusboard-pizero-{os.getpid()}"
        quota = int(PERIOD * percent / 100)
        v2 = self._v2_root()
        try:
            if v2 is not None:
                self._make(v2 / name)
                (v2 / name / "cpu.max").write_text(f"{quota} {PERIOD}")
                self._usage = (v2 / name / "cpu.stat", "usage_usec")
                self.version = "v2 cpu.max"
            else:
                cpu = self._v1_mount("cpu")
                if cpu is None:
                    raise OSError("no cgroup v2 with the cpu controller, no cgroup v1 cpu hierarchy mounted")
                self._make(cpu / name)
                (cpu / name / "cpu.cfs_period_us").write_text(str(PERIOD))
                (cpu / name / "cpu.cfs_quota_us").write_text(str(quota))
                acct = self._v1_mount("cpuacct")
                if acct is not None:
                    if acct != cpu:
                        self._make(acct / name)
                    self._usage = (acct / name / "cpuacct.usage", "")
                self.version = "v1 cpu.cfs_quota_us"
        except OSError:
            self.close()
            raise
        self.percent = percent

    @staticmethod
    def _v2_root() -> Optional[Path]:
        """A cgroup2 mount whose cpu controller we may hand to a child group."""
        for line in Path("/proc/mounts").read_text().splitlines():
            parts = line.split()
            if parts[2] != "cgroup2":
                continue
            root = Path(parts[1])
            try:
                if "cpu" not in (root / "cgroup.controllers").read_text().split():
                    continue
                if "cpu" not in (root / "cgroup.subtree_control").read_text().split():
                    (root / "cgroup.subtree_control").write_text("+cpu")
                return root
            except OSError:
                continue
        return None

    @staticmethod
    def _v1_mount(controller: str) -> Optional[Path]:
        for line in Path("/proc/mounts").read_text().splitlines():
            parts = line.split()
            if parts[2] == "cgroup" and controller in parts[3].split(","):
                return Path(parts[1])
        return None

    def _make(self, path: Path) -> None:
        path.mkdir()
        self.dirs.append(path)
        self.procs.append(path / "cgroup.procs")

    def enter(self) -> None:
        """Move the calling process into the group (run in the child, before exec)."""
        for procs in self.procs:
            procs.write_text(str(os.getpid()))

    def usage(self, pid: int) -> float:
        """CPU seconds the group has used (the process's own ticks where the group cannot say)."""
        if self._usage is None:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / TICK
        path, key = self._usage
        text = path.read_text()
        if not key:
            return int(text) / 1e9
        for line in text.splitlines():
            name, value = line.split()
            if name == key:
                return int(value) / 1e6
        raise OSError(f"{path} has no {key}")

    def close(self) -> None:
        """Remove the group (its processes have ended)."""
        for path in reversed(self.dirs):
            for _ in range(50):
                try:
                    path.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)


def config(endpoints: List[Tuple[int, str]], layout: str, interval: float, timeout: float) -> str:
    """Half HTTP (one local server each), half ping (127.0.x.y), alternating over the board."""
    width, height = SIZES[layout]
    ports = iter(port for port, path in endpoints if path == "ok")
    lines = [f"display: {{driver: fake, layout: {layout}}}",
             f"defaults: {{interval: {interval:g}s, timeout: {timeout:g}s}}", "targets:"]
    for i in range(width * height):
        x, y = i % width, i // width
        if i % 2:
            lines.append(f"  t{i}: {{pixel: [{x}, {y}], ping: 127.0.{i // 250}.{i % 250 + 1}}}")
        else:
            lines.append(f"  t{i}: {{pixel: [{x}, {y}], http: 'http://127.0.0.1:{next(ports)}/ok'}}")
    return "\n".join(lines) + "\n"


def frames(path: Path) -> List[Dict[str, Any]]:
    """The frames recorded so far."""
    out = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.endswith("\n"):
                out.append(json.loads(line))
    return out


def first_results(shown: List[Dict[str, Any]], count: int) -> Dict[Tuple[int, int], float]:
    """When each pixel first left the colour the first frame gave it (its kept, stale, or unknown colour)."""
    first = shown[0]["pixels"]
    out: Dict[Tuple[int, int], float] = {}
    for frame in shown[1:]:
        for y, row in enumerate(frame["pixels"]):
            for x, rgb in enumerate(row):
                if (x, y) not in out and rgb != first[y][x]:
                    out[(x, y)] = frame["t"]
        if len(out) >= count:
            break
    return out


def states(runtime: Path) -> Dict[str, str]:
    """Every target's state in the board's state file."""
    try:
        doc = json.loads((runtime / "state.json").read_text())
    except (OSError, ValueError):
        return {}
    return {t["name"]: f"{t['state']} ({t['detail']})" for t in doc["targets"]}


def start(args: argparse.Namespace, tmp: Path, record: Path, group: Optional[Group]) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RUNTIME_DIRECTORY": str(tmp / "run"),
           "STATE_DIRECTORY": str(tmp / "lib")}
    env.pop("NOTIFY_SOCKET", None)
    python = [sys.executable]
    if not args.dev:
        # As pip installs it on a Pi: byte code compiled (kept out of the source tree here), and no editable
        # install's import hook run by site (28 ms here): the venv's packages are put on the path instead.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
        paths = sysconfig.get_paths()
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([str(ROOT), paths["purelib"], paths["platlib"]]))
        python.append("-S")
    command = [*python, "-m", "statusboard", "run", "-c", str(tmp / "board.yaml"), "--display", "fake",
               "--record", str(record)]
    return subprocess.Popen(command, env=env, stderr=open(tmp / "board.log", "a"),
                            preexec_fn=group.enter if group is not None else None)


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def prime(args: argparse.Namespace, tmp: Path, count: int) -> None:
    """A run without the limit, until every target has a result: the observations it keeps are the next
    start's."""
    record = tmp / "prime.jsonl"
    proc = start(args, tmp, record, None)
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end:
            time.sleep(0.5)
            if record.exists():
                shown = frames(record)
                if shown and len(first_results(shown, count)) >= count:
                    time.sleep(1.5)   # the state file too
                    break
    finally:
        stop(proc)


def one(args: argparse.Namespace, tmp: Path, group: Group, count: int, run: int) -> Dict[str, float]:
    """One start in the group: its figures."""
    record = tmp / f"run{run}.jsonl"
    wall, mono = time.time(), time.monotonic()
    proc = start(args, tmp, record, group)
    used0 = 0.0   # the group is new for each start's figures: usage is counted from the process's start
    try:
        marks: Dict[str, float] = {}
        end = mono + args.interval + args.steady + args.settle
        while time.monotonic() < end:
            now = time.monotonic() - mono
            if "first" not in marks and now >= args.interval:
                marks["first"] = group.usage(proc.pid) - used0
            if "steady0" not in marks and now >= args.interval + args.settle:
                marks["steady0"], marks["steady0_at"] = group.usage(proc.pid), time.monotonic()
            if proc.poll() is not None:
                raise SystemExit(f"the board ended early (exit {proc.returncode}); see {tmp / 'board.log'}")
            time.sleep(0.05)
        steady = (group.usage(proc.pid) - marks["steady0"]) / (time.monotonic() - marks["steady0_at"])
        final = states(tmp / "run")
    finally:
        stop(proc)
    shown = frames(record)
    firsts = first_results(shown, count)
    not_up = sorted(f"{name}: {state}" for name, state in final.items() if not state.startswith("up "))
    return {"frame": shown[0]["t"] - wall if shown else float("nan"),
            "results": (max(firsts.values()) - wall) if len(firsts) >= count else float("nan"),
            "missing": count - len(firsts), "first_cpu": marks["first"], "steady": steady,
            "not_up": len(not_up), "not_up_names": "; ".join(not_up[:3])}


def main() -> None:
    parser = argparse.ArgumentParser(description="the board in a cgroup limited to a Pi Zero's share of a core")
    parser.add_argument("--layout", choices=sorted(SIZES), default="hat", help="hat: 64 targets; hd: 256")
    parser.add_argument("--runs", type=int, default=3, help="starts to measure")
    parser.add_argument("--quota", type=float, default=5.0, help="percent of one core (default 5)")
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--steady", type=float, default=60.0, help="seconds of steady state measured")
    parser.add_argument("--settle", type=float, default=10.0, help="seconds after the first interval before "
                                                                     "the steady state is measured")
    parser.add_argument("--fresh", action="store_true", help="start with no kept observations")
    parser.add_argument("--dev", action="store_true",
                        help="run as this checkout does: the environment's PYTHONDONTWRITEBYTECODE and the "
                             "editable install's import hook")
    args = parser.parse_args()
    count = SIZES[args.layout][0] * SIZES[args.layout][1]
    try:
        Group(args.quota).close()
    except OSError as exc:
        print(f"cannot make a CPU-limited cgroup here ({exc}); run as root on a machine with cgroup v2's cpu "
              "controller or cgroup v1's cpu hierarchy", file=sys.stderr)
        raise SystemExit(2)
    figures = []
    with World(count // 2 + count // 6 + 2) as world, tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        (tmp / "board.yaml").write_text(config(world.endpoints, args.layout, args.interval, args.timeout))
        for run in range(args.runs):
            if run == 0:   # byte code compiled, observations kept: later starts keep what the one before kept
                prime(args, tmp, count)
            if args.fresh:
                for kept in (tmp / "lib").glob("*"):
                    kept.unlink()
            group = Group(args.quota)
            try:
                got = one(args, tmp, group, count, run)
            finally:
                group.close()
            figures.append(got)
            print(f"start {run + 1}: first frame {got['frame']:.2f} s, every target's first result "
                  f"{got['results']:.2f} s" + (f" ({got['missing']:.0f} never)" if got["missing"] else "")
                  + f"; CPU {got['first_cpu']:.3f} s in the first {args.interval:g} s "
                  f"({got['first_cpu'] / args.interval * 100:.2f} % of a core, "
                  f"{got['first_cpu'] / args.interval / (args.quota / 100) * 100:.0f} % of the budget), "
                  f"steady {got['steady'] * 100:.3f} % of a core "
                  f"({got['steady'] / (args.quota / 100) * 100:.1f} % of the budget)"
                  + (f"; {got['not_up']:.0f} not up at the end: {got['not_up_names']}" if got["not_up"] else ""),
                  flush=True)
        load = os.getloadavg()[0]
    print(f"{count} targets ({count // 2} HTTP, {count // 2} ping) every {args.interval:g} s, "
          f"{'no kept observations' if args.fresh else 'kept observations'}, {args.quota:g} % of one core "
          f"({group.version}), {args.runs} starts, load {load:.1f}:")

    def spread(key: str, scale: float = 1.0, unit: str = " s", digits: int = 2) -> str:
        values = [f[key] * scale for f in figures]
        return (f"median {statistics.median(values):.{digits}f}{unit} "
                f"({min(values):.{digits}f} to {max(values):.{digits}f})")

    budget = args.quota / 100
    print(f"  first frame: {spread('frame')}")
    print(f"  every target's first result: {spread('results')}")
    print(f"  CPU in the first {args.interval:g} s: {spread('first_cpu')}, "
          f"{spread('first_cpu', 100 / args.interval / budget, ' %', 0)} of the budget")
    print(f"  CPU in the steady state: {spread('steady', 100, ' % of a core', 3)}, "
          f"{spread('steady', 100 / budget, ' %', 1)} of the budget")


if __name__ == "__main__":
    main()
