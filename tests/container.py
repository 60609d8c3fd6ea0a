"""A fresh Debian booted with systemd in a container (debootstrap, systemd-nspawn), with loopback only.

Base images and the wheels installed in them are cached between runs under STATUSBOARD_TEST_CACHE
(default /var/cache/statusboard-tests), so only the first run pays for debootstrap and pip download.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Optional, Sequence

CACHE = Path(os.environ.get("STATUSBOARD_TEST_CACHE", "/var/cache/statusboard-tests"))
MIRROR = "http://deb.debian.org/debian"
# What a fresh Raspberry Pi OS Lite has that matters here: systemd, Python 3 with venv, ip, ps, the CA store.
PACKAGES = "systemd,systemd-sysv,dbus,python3,python3-venv,iproute2,procps,ca-certificates"
PYTHON = {"bookworm": "3.11", "bullseye": "3.9"}
# Everything statusboard[ec2,mqtt] installs, and what pip needs to build it, as wheels for the container's Python.
WHEELS = ["pip", "setuptools", "wheel", "pyyaml>=5.4", "urllib3>=1.26", "requests>=2.25",
          "PySocks>=1.7", "prometheus_client>=0.12", "boto3>=1.26", "paho-mqtt>=2.0"]
# pip download evaluates environment markers for this machine's Python, not --python-version's: what an older
# Python's markers ask for that a newer one's do not is named here.
MARKERS = {"3.9": ["urllib3>=1.25.4,<1.27"]}
CLEAN_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
             "HOME": "/root", "SYSTEMD_PAGER": "", "TERM": "dumb"}


def why_not() -> Optional[str]:
    """None when this machine can boot a container, else the reason it cannot."""
    if os.geteuid() != 0:
        return "booting a container needs root"
    missing = [name for name, bit in (("CAP_SYS_ADMIN", 21), ("CAP_NET_ADMIN", 12)) if not _has_capability(bit)]
    if missing:
        return f"booting a container needs {' and '.join(missing)}, which this root lacks (a container itself?)"
    for tool, package in (("debootstrap", "debootstrap"), ("systemd-nspawn", "systemd-container"),
                          ("nsenter", "util-linux")):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt install {package}; tests/run.sh does)"
    return None


def _has_capability(bit: int) -> bool:
    """Whether this process holds capability `bit` (linux/capability.h) in its effective set."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> bit & 1)
    except (OSError, ValueError):
        pass
    return False


def _run(command: Sequence[str], timeout: float = 900, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(list(command), capture_output=True, text=True, timeout=timeout, **kwargs)


def base_image(suite: str) -> Path:
    """A minimal Debian `suite` tree, made once and kept in the cache."""
    image = CACHE / f"{suite}-{hashlib.sha256(PACKAGES.encode()).hexdigest()[:8]}"
    if (image / "usr/lib/systemd/systemd").exists() or (image / "lib/systemd/systemd").exists():
        return image
    partial = image.with_name(image.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    made = _run(["debootstrap", "--variant=minbase", f"--include={PACKAGES}", suite, str(partial), MIRROR])
    if made.returncode != 0:
        raise RuntimeError(f"debootstrap {suite} failed: {made.stdout[-2000:]}{made.stderr[-2000:]}")
    partial.rename(image)
    return image


def wheels(suite: str) -> Path:
    """Wheels of everything install.sh installs (statusboard[ec2,mqtt] and pip itself) for the suite's Python."""
    version = PYTHON[suite]
    wanted = hashlib.sha256(" ".join(WHEELS + MARKERS.get(version, [])).encode()).hexdigest()[:8]
    folder = CACHE / f"wheels-py{version}-{wanted}"   # a new list of wheels is a new folder
    if (folder / ".complete").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    arch = platform.machine()
    got = _run([sys.executable, "-m", "pip", "download", "-q", "-d", str(folder), "--only-binary=:all:",
                "--python-version", version, "--implementation", "cp",
                "--platform", f"manylinux2014_{arch}", "--platform", f"manylinux_2_17_{arch}",
                "--platform", f"manylinux_2_28_{arch}", *WHEELS, *MARKERS.get(version, [])], env={**os.environ, "PIP_FIND_LINKS": ""})
    if got.returncode != 0:
        raise RuntimeError(f"pip download for Python {version} failed: {got.stderr[-2000:]}")
    (folder / ".complete").write_text("")
    return folder


class Container:
    """One booted container: a copy of a base image, its own network namespace with loopback only."""

    def __init__(self, suite: str, workdir: Path) -> None:
        self.suite = suite
        self.root = workdir / f"{suite}-root"
        copied = _run(["cp", "-a", "--reflink=auto", str(base_image(suite)), str(self.root)])
        if copied.returncode != 0:
            raise RuntimeError(f"cannot copy the {suite} image: {copied.stderr}")
        self.log = open(workdir / f"{suite}-console.log", "w")
        self.name = f"sbtest-{suite}-{os.getpid() % 10000}"
        # --register=no and --keep-unit: no machined or system bus is needed on the host.
        self.proc = subprocess.Popen(["systemd-nspawn", "-q", "-D", str(self.root), "--private-network",
                                      "--register=no", "--keep-unit", "--boot", "--machine", self.name],
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        self.leader = self._find_leader()
        self._wait_booted()

    def _find_leader(self, timeout: float = 60) -> int:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"systemd-nspawn exited {self.proc.returncode}: {self.console()}")
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
            try:
                pids = children.read_text().split()
            except OSError:
                pids = []
            if pids:
                return int(pids[0])
            time.sleep(0.1)
        raise RuntimeError("the container's init did not start")

    def _wait_booted(self, timeout: float = 120) -> None:
        end = time.monotonic() + timeout
        state = ""
        while time.monotonic() < end:
            state = self.sh("systemctl is-system-running", check=False).stdout.strip()
            if state in ("running", "degraded"):
                return
            time.sleep(0.5)
        raise RuntimeError(f"the container did not finish booting ({state!r}): {self.console()}")

    def console(self) -> str:
        """What the container printed on its console so far."""
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-4000:]

    def sh(self, script: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
        """Run a shell script inside the container, as root, with a clean environment."""
        done = _run(["nsenter", "-t", str(self.leader), "-a", "--", "/usr/bin/env", "-i",
                     *[f"{k}={v}" for k, v in CLEAN_ENV.items()], "/bin/sh", "-c", script], timeout=timeout)
        if check and done.returncode != 0:
            raise AssertionError(f"in {self.suite}: {script!r} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done

    def in_network(self, command: List[str], **kwargs) -> subprocess.Popen:
        """Start a host program inside the container's network namespace only (its loopback, our files)."""
        return subprocess.Popen(["nsenter", "-t", str(self.leader), "-n", "--", *command], **kwargs)

    def copy_in(self, source: Path, target: str) -> None:
        """Copy a file or a tree from this machine into the container."""
        destination = self.root / target.lstrip("/")
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, destination, symlinks=True)
        else:
            shutil.copy2(source, destination)

    def close(self) -> None:
        """Power the container off (SIGTERM to nspawn asks its systemd to shut down) and remove its tree."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.root, ignore_errors=True)
