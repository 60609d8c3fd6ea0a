"""Network namespaces the tests make themselves: a silent host, and a bare namespace with no way out."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List, Optional

_count = itertools.count()


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True)


def why_not() -> Optional[str]:
    """None when this machine lets the tests make network namespaces, else the reason it does not."""
    if os.geteuid() != 0:
        return "making a network namespace needs root"
    if shutil.which("ip") is None:
        return "the ip command (iproute2) is not installed"
    name = f"sbprobe{os.getpid()}"
    made = _ip("netns", "add", name, check=False)
    if made.returncode != 0:
        return f"ip netns add is not permitted here: {made.stderr.strip()}"
    try:
        # Some containers let a namespace be made but not entered or set up.
        used = _ip("netns", "exec", name, "ip", "link", "set", "lo", "up", check=False)
        if used.returncode != 0:
            return f"a network namespace cannot be set up here: {used.stderr.strip() or used.returncode}"
    finally:
        _ip("netns", "del", name, check=False)
    return None


class Namespace:
    """A network namespace of the test's own, with loopback up; removed on close."""

    def __init__(self) -> None:
        self.n = next(_count) % 200 + 20
        self.name = f"sbtest{os.getpid() % 10000}x{self.n}"
        _ip("netns", "add", self.name)
        self.links: List[str] = []
        self.exec("ip", "link", "set", "lo", "up")

    def exec(self, *command: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        """Run a command inside the namespace."""
        return subprocess.run(["ip", "netns", "exec", self.name, *command], check=check,
                              capture_output=True, text=True, timeout=timeout)

    def silent_host(self) -> str:
        """Link this namespace to ours with a veth pair and make it ignore pings; its address in the netns."""
        host_if, ns_if = f"sbh{self.n}", f"sbn{self.n}"
        _ip("link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        self.links.append(host_if)
        _ip("link", "set", ns_if, "netns", self.name)
        subnet = f"10.251.{self.n}"   # a subnet that exists only between us and this test netns
        _ip("addr", "add", f"{subnet}.1/30", "dev", host_if)
        _ip("link", "set", host_if, "up")
        self.exec("ip", "addr", "add", f"{subnet}.2/30", "dev", ns_if)
        self.exec("ip", "link", "set", ns_if, "up")
        self.exec("sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1")
        return f"{subnet}.2"

    def silent_host6(self) -> str:
        """Like silent_host, over IPv6: a unique local prefix that exists only between us and this test netns,
        its addresses usable at once (no duplicate detection), the namespace ignoring echo requests."""
        host_if, ns_if = f"sbh6{self.n}", f"sbn6{self.n}"
        _ip("link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        self.links.append(host_if)
        _ip("link", "set", ns_if, "netns", self.name)
        prefix = f"fd00:251:{self.n}"
        _ip("-6", "addr", "add", f"{prefix}::1/64", "dev", host_if, "nodad")
        _ip("link", "set", host_if, "up")
        self.exec("ip", "-6", "addr", "add", f"{prefix}::2/64", "dev", ns_if, "nodad")
        self.exec("ip", "link", "set", ns_if, "up")
        self.exec("sysctl", "-qw", "net.ipv6.icmp.echo_ignore_all=1")
        return f"{prefix}::2"

    def etc(self, name: str, text: str) -> None:
        """A file that replaces /etc/NAME for programs run in this namespace (ip netns exec bind-mounts it)."""
        folder = Path("/etc/netns") / self.name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)

    def dead_net(self, prefix: str) -> None:
        """Put prefix (e.g. 10.252.0.0/24) on a link whose other end (in this namespace too) has no address:
        nobody answers ARP for the other addresses there, so connecting to one hangs for seconds."""
        self.exec("ip", "link", "add", "sbdead0", "type", "veth", "peer", "name", "sbdead1")
        self.exec("ip", "addr", "add", prefix.replace(".0/", ".1/"), "dev", "sbdead0")
        self.exec("ip", "link", "set", "sbdead0", "up")
        self.exec("ip", "link", "set", "sbdead1", "up")

    def python(self, code: str, *setpriv: str, **env: str) -> dict:
        """Run a snippet of statusboard in this namespace (setpriv: a command to run it under); it prints one
        JSON object, which is returned."""
        root = str(Path(__file__).resolve().parent.parent)
        done = self.exec("env", f"PYTHONPATH={root}", *[f"{k}={v}" for k, v in env.items()], *setpriv,
                         sys.executable, "-c", code, check=False)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def close(self) -> None:
        """Remove the namespace, its links and its /etc files."""
        for link in self.links:
            _ip("link", "del", link, check=False)
        _ip("netns", "del", self.name, check=False)
        shutil.rmtree(Path("/etc/netns") / self.name, ignore_errors=True)
