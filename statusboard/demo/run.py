"""Runs the demo: starts the world, writes its board, and runs the real board on it until stopped."""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

from statusboard.kinds import parse
from statusboard.daemon import Runner, handle_signals
from statusboard.demo.stores import Stores, free_port
from statusboard.demo.web import DemoWeb
from statusboard.display.registry import PHYSICAL
from statusboard.display.registry import open_display

log = logging.getLogger(__name__)


def board_text(web: DemoWeb, speed: float, fleet: bool, layout: str = "hat", ping: bool = True,
               stores: Optional[Stores] = None, page: Optional[int] = None) -> str:
    """The demo's config.yaml: every kind of target, on a board of this layout (Prometheus and InfluxDB where
    `stores` runs them); a board larger than the HAT (hd, mini) is filled, every pixel a target (pinged ones
    only where this user may ping)."""
    interval = max(0.25, 2.0 / speed)
    if layout in ("hd", "mini"):   # up to 256 targets, and the demo's own servers, on one laptop's cores
        interval = max(1.0, 4.0 / speed)
    lines = [
        "# The demo's board: every target is on 127.0.0.1 or in the demo's own AWS (moto).",
        f"display: {{layout: {layout}, brightness: 0.5}}",
        f"defaults: {{interval: {interval:g}s, timeout: {interval:g}s, fail_after: 2}}",
        *([f"web: {{listen: 127.0.0.1:{page}}}"] if page else []),
        "targets:",
        f"  web:       {{pixel: [0, 0], http: 'http://127.0.0.1:{web.port}/web'}}",
        f"  api:       {{pixel: [1, 0], http: {{url: 'http://127.0.0.1:{web.port}/api', slow: {500 / speed:g}ms}}}}",
        f"  shop:      {{pixel: [2, 0], http: {{url: 'http://127.0.0.1:{web.port}/shop', contains: ok}}}}",
        f"  silent:    {{pixel: [3, 0], http: 'http://127.0.0.1:{web.silent_port}/'}}",
        "  localhost: {pixel: [4, 0], ping: 127.0.0.1}",
        f"  viewers:   {{pixel: [5, 0], http: {{url: 'http://127.0.0.1:{web.port}/stats', "
        "json: {path: stream.viewers, above: {warn: 800, critical: 950}, unit: viewers}}}",
    ]
    if fleet:
        from statusboard.demo.fleet import FAR, NO_KEYS, PROFILE, REGION
        lines.insert(3, f"aws: {{profile: {PROFILE}, region: {REGION}}}")
        lines += [
            "  web-1:     {pixel: [0, 1], ec2: {name: web-1}}",
            "  web-2:     {pixel: [1, 1], ec2: {name: web-2}}",
            "  web-3:     {pixel: [2, 1], ec2: {name: web-3}}",
            "  db-1:      {pixel: [3, 1], ec2: {name: db-1, status_checks: true}}",
            "  workers:   {pixel: [4, 1], ec2: {tags: {Role: worker}}}",
            "  web-9:     {pixel: [5, 1], ec2: {name: web-9}}",
            f"  far:       {{pixel: [6, 1], ec2: {{name: web-1, profile: {FAR}}}}}",
            f"  no-keys:   {{pixel: [7, 1], ec2: {{name: web-1, profile: {NO_KEYS}}}}}",
            "  lambda:    {pixel: [0, 2], cloudwatch: lambda-concurrency}",
            "  api-alarms: {pixel: [1, 2], cloudwatch: {prefix: api-}}",
            "  queue:     {pixel: [2, 2], cloudwatch: queue-age}",
            "  concurrency: {pixel: [3, 2], metric: {namespace: AWS/Lambda, name: ConcurrentExecutions, "
            "stat: Maximum, period: 1s, above: {warn: 800, critical: 950}, unit: 'of 1,000'}}",
            "  ingest:    {pixel: [4, 2], metric: {namespace: AWS/IVS, name: IngestVideoBitrate, "
            "dimensions: {Channel: main-stage}, period: 1s, below: {warn: 2500, critical: 1000}, unit: kbit/s}}",
            "  stage:     {pixel: [5, 2], ivs: main-stage}",
        ]
    if stores is not None and stores.prometheus:
        lines.append(f"  orders:    {{pixel: [0, 3], prometheus: {{url: '{stores.prometheus}', query: "
                     "'max(demo_queue_depth)', above: {warn: 100, critical: 500}, unit: messages}}")
    if stores is not None and stores.influxdb:
        lines.append(f"  delay:     {{pixel: [1, 3], influxdb: {{url: '{stores.influxdb}', database: demo, query: "
                     "'SELECT mean(latency) FROM network_delays WHERE time > now() - 3s', "
                     "above: {warn: 150, critical: 300}, unit: ms}}")
    if layout in ("hd", "mini"):
        lines += _fill(web, fleet, layout, {tuple(map(int, re.findall(r"pixel: \[(\d+), (\d+)\]", line)[0]))
                                            for line in lines if "pixel:" in line}, ping)
    return "\n".join(lines) + "\n"


def _fill(web: DemoWeb, fleet: bool, layout: str, taken: Set[Tuple[int, int]], ping: bool) -> List[str]:
    """A target of every kind in turn on every free pixel: HTTP endpoints, loopback addresses to ping, and
    (with the fleet) EC2 instances and CloudWatch alarms."""
    width, height = PHYSICAL[layout]
    kinds = [f"http: 'http://127.0.0.1:{web.port}/web'", f"http: 'http://127.0.0.1:{web.port}/shop'",
             f"http: {{url: 'http://127.0.0.1:{web.port}/api', slow: 500ms}}"] + (["ping: 127.0.0.{n}"] if ping else [])
    if fleet:
        kinds += ["ec2: {name: web-2}", "ec2: {tags: {Role: worker}}", "cloudwatch: {prefix: api-}",
                  "cloudwatch: lambda-concurrency"]
    lines, n = [], 0
    for y in range(height):
        for x in range(width):
            if (x, y) in taken:
                continue
            kind = kinds[n % len(kinds)].replace("{n}", str(2 + n % 250))
            lines.append(f"  fill-{n}: {{pixel: [{x}, {y}], {kind}}}")
            n += 1
    return lines


def _may_ping() -> bool:
    """Whether this user may send ICMP echoes (root, CAP_NET_RAW, or net.ipv4.ping_group_range); says so if not."""
    from statusboard.net.echo import probe_mode
    if probe_mode() is not None:
        return True
    log.warning("demo: this user may not ping (not root, and not in net.ipv4.ping_group_range): the localhost "
                "pixel says so, and a filled board has no pinged pixels")
    return False


def _start_when_checked(runner: Runner, fleet: Any, limit: float = 30.0) -> None:
    """Start the fleet's schedule once the board has checked it: its first transitional state (web-2 stopping,
    a second long at --speed 4) shows however long the board took to start (boto3, moto, a busy machine)."""
    first = next((t.name for t in runner.board.targets if t.kind == "ec2"), None)

    def wait() -> None:
        end = time.monotonic() + limit
        while first is not None and time.monotonic() < end and not fleet._stop.is_set():
            seen = runner.table.latest().get(first)
            if seen is not None and seen.mono is not None:
                break
            time.sleep(0.05)
        fleet.run()

    threading.Thread(target=wait, name="demo-fleet-start", daemon=True).start()


def run_demo(display_name: str = "terminal", speed: float = 1.0, seconds: Optional[float] = None,
             record: Optional[str] = None, options: Optional[Dict[str, Any]] = None, layout: str = "hat",
             page: int = 0) -> int:
    """Start the world, run the board on it (until Ctrl-C, or for `seconds`), and stop everything it started."""
    ours = logging.getLogger("statusboard")
    level = ours.level
    work = Path(tempfile.mkdtemp(prefix="statusboard-demo-"))
    web = DemoWeb(speed)
    fleet = None
    stores: Optional[Stores] = None
    try:
        try:
            from statusboard.demo.fleet import Fleet
            logging.getLogger("werkzeug").setLevel(logging.WARNING)   # moto's server logs every request
            logging.getLogger("botocore").setLevel(logging.WARNING)   # and botocore where each endpoint came from
            fleet = Fleet(work, speed)
        except ImportError:
            log.warning("demo: moto is not installed, so the demo has no EC2 fleet "
                        "(pip install -e '.[demo]' adds it)")
        ping = _may_ping()
        stores = Stores(work, web.port, speed)
        if stores.missing:
            log.warning("demo: left out %s", stores.missing)
        path = work / "demo.yaml"
        page = page or free_port()
        path.write_text(board_text(web, speed, fleet is not None, layout, ping, stores, page))
        board = parse(path.read_text(), str(path))
        display = open_display(display_name, board.display, record=record, **(options or {}))
        # Its files (the state file, the history the page draws) in its own folder, gone when it ends.
        os.environ.update({"RUNTIME_DIRECTORY": str(work / "run"), "STATE_DIRECTORY": str(work / "lib")})
        runner = Runner(board, display, keep_files=True)
        try:
            handle_signals(runner)
            if fleet is not None:
                _start_when_checked(runner, fleet)
            if seconds is not None:   # a daemon: Ctrl-C before the end must not wait for it
                timer = threading.Timer(seconds, runner.stop)
                timer.daemon = True
                timer.start()
            log.info("demo board: %s; its page: http://127.0.0.1:%d/", path, page)
            runner.run()
        finally:
            # Checks still in flight as the demo's own world goes away would warn about it: not news.
            ours.setLevel(logging.ERROR)
            runner.display.close()
        return 0
    finally:
        if fleet is not None:
            fleet.stop()
        if stores is not None:
            stores.stop()
        web.stop()
        shutil.rmtree(work, ignore_errors=True)   # its board file and its AWS profiles
        ours.setLevel(level)
