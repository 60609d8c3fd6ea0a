"""The board on a Pi Zero's budget: `statusboard run` in a cgroup limited to 5 % of one core (a Pi Zero's one
ARM core is about a twentieth of one core here), against HTTP servers and ping on 127.0.0.1 only.

It prints, per start: the time to the first frame and the CPU the group used to it, the time until every
target's first result (from the recorded frames: the first frame where each pixel leaves the colour the first
frame gave it), the CPU the board used in its first interval and in its steady state, and those as a share
of the budget.

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

from bench.footprint import SIZES  # noqa: E402
from bench.world import World  # noqa: E402
from tests.cgroup import CpuGroup  # noqa: E402

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


def start(args: argparse.Namespace, tmp: Path, record: Path, group: Optional[CpuGroup]) -> subprocess.Popen:
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
                            preexec_fn=group.enter if group is not None else None, cwd=ROOT)


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


def one(args: argparse.Namespace, tmp: Path, group: CpuGroup, count: int, run: int) -> Dict[str, float]:
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
            if "frame_cpu" not in marks and record.exists() and record.stat().st_size:
                marks["frame_cpu"] = group.usage(proc.pid) - used0   # read within 10 ms of it
            if "first" not in marks and now >= args.interval:
                marks["first"] = group.usage(proc.pid) - used0
            if "steady0" not in marks and now >= args.interval + args.settle:
                marks["steady0"], marks["steady0_at"] = group.usage(proc.pid), time.monotonic()
            if proc.poll() is not None:
                raise SystemExit(f"the board ended early (exit {proc.returncode}); see {tmp / 'board.log'}")
            time.sleep(0.05 if "frame_cpu" in marks else 0.01)
        steady = (group.usage(proc.pid) - marks["steady0"]) / (time.monotonic() - marks["steady0_at"])
        final = states(tmp / "run")
    finally:
        stop(proc)
    shown = frames(record)
    firsts = first_results(shown, count)
    not_up = sorted(f"{name}: {state}" for name, state in final.items() if not state.startswith("up "))
    return {"frame": shown[0]["t"] - wall if shown else float("nan"),
            "results": (max(firsts.values()) - wall) if len(firsts) >= count else float("nan"),
            "missing": count - len(firsts), "frame_cpu": marks.get("frame_cpu", float("nan")),
            "first_cpu": marks["first"], "steady": steady,
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
        CpuGroup(args.quota, "statusboard-pizero").close()
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
            group = CpuGroup(args.quota, "statusboard-pizero")
            try:
                got = one(args, tmp, group, count, run)
            finally:
                group.close()
            figures.append(got)
            print(f"start {run + 1}: first frame {got['frame']:.2f} s ({got['frame_cpu'] * 1000:.0f} ms of CPU), "
                  f"every target's first result "
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
    print(f"  first frame: {spread('frame')}; CPU to it {spread('frame_cpu', 1000, ' ms', 0)}")
    print(f"  every target's first result: {spread('results')}")
    print(f"  CPU in the first {args.interval:g} s: {spread('first_cpu')}, "
          f"{spread('first_cpu', 100 / args.interval / budget, ' %', 0)} of the budget")
    print(f"  CPU in the steady state: {spread('steady', 100, ' % of a core', 3)}, "
          f"{spread('steady', 100 / budget, ' %', 1)} of the budget")


if __name__ == "__main__":
    main()
