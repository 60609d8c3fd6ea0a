"""A CPU-limited cgroup of our own, for the tests and benches that run the board on a smaller CPU: 5 % of one
core is about a Pi Zero's one ARM core. cgroup v2's `cpu.max` where the machine has its cpu controller, else
cgroup v1's `cpu.cfs_quota_us`; the group is removed when closed (once its processes have ended).

    with CpuGroup(5) as group:                              # OSError (with the reason) where none can be made
        subprocess.run(group.command([sys.executable, ...]))   # or Popen(..., preexec_fn=group.enter)
        group.usage(pid)                                    # CPU seconds the group used

Tests call `cpu_group(percent)`, which skips the test (saying why) where the machine makes no such group.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, List, Optional, Tuple

PERIOD = 100_000   # µs: the group's period; its quota is a share of it
TICK = os.sysconf("SC_CLK_TCK")


def _mounts(kind: str) -> List[Tuple[Path, List[str]]]:
    """The mounts of a filesystem type: (where, its options)."""
    out = []
    for line in Path("/proc/mounts").read_text().splitlines():
        parts = line.split()
        if len(parts) > 3 and parts[2] == kind:
            out.append((Path(parts[1]), parts[3].split(",")))
    return out


def _v2_root() -> Optional[Path]:
    """A cgroup2 mount whose cpu controller a child group may have (turned on for its children here)."""
    for root, _options in _mounts("cgroup2"):
        try:
            if "cpu" not in (root / "cgroup.controllers").read_text().split():
                continue
            if "cpu" not in (root / "cgroup.subtree_control").read_text().split():
                (root / "cgroup.subtree_control").write_text("+cpu")
            return root
        except OSError:
            continue
    return None


def _v1_mount(controller: str) -> Optional[Path]:
    """Where cgroup v1's hierarchy of a controller is mounted."""
    return next((root for root, options in _mounts("cgroup") if controller in options), None)


class CpuGroup:
    """A cgroup limited to `percent` of one core, named after this process; removed on close."""

    def __init__(self, percent: float, name: str = "statusboard") -> None:
        if os.geteuid() != 0:
            raise PermissionError("making a cgroup needs root")
        self.percent = percent
        self.dirs: List[Path] = []
        self.procs: List[Path] = []
        self._usage: Optional[Tuple[Path, str]] = None
        name = f"{name}-{os.getpid()}-{id(self):x}"
        quota = int(PERIOD * percent / 100)
        try:
            v2 = _v2_root()
            if v2 is not None:
                self._make(v2 / name)
                (v2 / name / "cpu.max").write_text(f"{quota} {PERIOD}")
                self._usage = (v2 / name / "cpu.stat", "usage_usec")
                self.version = "v2 cpu.max"
            else:
                cpu = _v1_mount("cpu")
                if cpu is None:
                    raise OSError("no cgroup v2 with the cpu controller, no cgroup v1 cpu hierarchy mounted")
                self._make(cpu / name)
                (cpu / name / "cpu.cfs_period_us").write_text(str(PERIOD))
                (cpu / name / "cpu.cfs_quota_us").write_text(str(quota))
                acct = _v1_mount("cpuacct")
                if acct is not None:
                    if acct != cpu:
                        self._make(acct / name)
                    self._usage = (acct / name / "cpuacct.usage", "")
                self.version = "v1 cpu.cfs_quota_us"
        except OSError:
            self.close()
            raise

    def _make(self, path: Path) -> None:
        path.mkdir()
        self.dirs.append(path)
        self.procs.append(path / "cgroup.procs")

    def enter(self) -> None:
        """Move the calling process into the group (as a child's preexec_fn: before exec)."""
        for procs in self.procs:
            procs.write_text(str(os.getpid()))

    def command(self, argv: List[str]) -> List[str]:
        """argv run in the group: a shell moves itself in, then execs it (no preexec_fn in a threaded parent)."""
        moves = " && ".join(f"echo $$ > '{procs}'" for procs in self.procs)
        return ["sh", "-c", f'{moves} && exec "$@"', "-", *argv]

    def usage(self, pid: int) -> float:
        """CPU seconds the group has used (the process's own clock ticks where the group cannot say)."""
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
        """Remove the group (waits up to 5 s for its processes to be gone)."""
        for path in reversed(self.dirs):
            for _ in range(50):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)
        self.dirs = []

    def __enter__(self) -> "CpuGroup":
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()


def cpu_group(percent: float, name: str = "statusboard-test") -> CpuGroup:
    """A CpuGroup for a test, which is skipped (saying why) where this machine makes none."""
    import pytest
    try:
        return CpuGroup(percent, name)
    except OSError as exc:
        pytest.skip(f"cannot make a CPU-limited cgroup here: {exc}")
