"""`statusboard discover` as a person runs it: against moto's server (EC2 in two regions, alarms, IVS channels) and a
real Prometheus, each round trip ending in `check` and `run --once` showing every discovered thing's own state; the
owner's bytes compared before and after; and every fault it must meet with a message and nothing lost."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Optional, Set

import pytest

from tests.conftest import ROOT

ENV = {"PYTHONPATH": str(ROOT)}


def discover(config: Path, *argv: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    """`statusboard discover ARGV -c CONFIG`, as a person types it."""
    return subprocess.run([sys.executable, "-m", "statusboard", "discover", *argv, "-c", str(config)],
                          capture_output=True, text=True, cwd=config.parent, timeout=timeout,
                          env={**os.environ, **ENV, **env})


def once(config: Path) -> Dict[str, dict]:
    """Every target's pixel, state and detail after one round of the real board (`run --once --json`)."""
    done = subprocess.run([sys.executable, "-m", "statusboard", "run", "--once", "--json", "--display", "fake", "-c",
                           str(config)], capture_output=True, text=True, timeout=120, env={**os.environ, **ENV})
    assert done.returncode == 0, done.stderr
    return {t["name"]: t for t in json.loads(done.stdout)["targets"]}


def check(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "statusboard", "check", "-c", str(config)], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **ENV})


def appended(before: bytes, after: bytes) -> str:
    """What was added to the owner's file; fails unless every byte the owner wrote is there, in order."""
    at = next((i for i, (a, b) in enumerate(zip(before, after)) if a != b), len(before))
    added = len(after) - len(before)
    assert added > 0, "nothing was added"
    assert after[:at] == before[:at] and after[at + added:] == before[at:], "the owner's bytes changed"
    return after[at:at + added].decode("utf-8")


def write(path: Path, text: str, mode: int = 0o644) -> bytes:
    path.write_bytes(text.encode("utf-8"))
    path.chmod(mode)
    return path.read_bytes()


def ec2(region: str = "eu-west-1"):
    import boto3
    return boto3.client("ec2", region_name=region)


def launch(region: str, name: Optional[str] = None, **tags: str) -> str:
    from tests import aws
    every = {**({"Name": name} if name is not None else {}), **tags}
    return aws.launch(ec2(region), 1, every or None)[0]


# ---------------------------------------------------------------------------------------------------- EC2

def test_ec2_in_two_regions_round_trip(cloud, tmp_path):
    web1, web2, bare = launch("eu-west-1", "web-1"), launch("eu-west-1", "web-2"), launch("eu-west-1")
    ec2().stop_instances(InstanceIds=[web2])
    gone = launch("eu-west-1", "old")
    ec2().terminate_instances(InstanceIds=[gone])
    far, db = launch("us-east-1", "web-1"), launch("us-east-1", "db")
    ec2("us-east-1").stop_instances(InstanceIds=[db])
    config = tmp_path / "config.yaml"
    before = write(config, "# my board\naws: {region: eu-west-1}\ntargets:\n"
                           "  web-1:  {pixel: [0, 0], ec2: {name: web-1}}   # mine\n")

    shown = discover(config, "ec2", "--region", "eu-west-1", "--region", "us-east-1")
    assert shown.returncode == 0, shown.stderr
    assert "EC2 eu-west-1: 3 instances (1 terminated, left out)" in shown.stdout
    assert "EC2 us-east-1: 2 instances" in shown.stdout
    assert "1 on the board already, not added again: web-1" in shown.stdout
    assert "[1,0] web-2" in shown.stdout, "the board as check draws it"
    assert config.read_bytes() == before and not (tmp_path / "config.yaml.bak").exists(), "a preview changes nothing"

    done = discover(config, "ec2", "--region", "eu-west-1", "--region", "us-east-1", "--apply")
    assert done.returncode == 0, done.stderr
    added = appended(before, config.read_bytes())
    assert (tmp_path / "config.yaml.bak").read_bytes() == before
    lines = [line.strip() for line in added.splitlines()]
    assert lines[0].startswith("# statusboard discover ec2, 20")
    assert f"web-2: {{pixel: [1, 0], ec2: {{name: web-2}}}}   # {web2}, eu-west-1" in lines
    assert f"{bare}: {{pixel: [2, 0], ec2: {bare}}}   # no Name tag, eu-west-1" in lines
    assert f"db: {{pixel: [3, 0], ec2: {{name: db, region: us-east-1}}}}   # {db}, us-east-1" in lines
    assert (f"web-1-us-east-1: {{pixel: [4, 0], ec2: {{name: web-1, region: us-east-1}}}}   # {far}, us-east-1"
            in lines), "a name the board has already gets its region"
    assert "old" not in added

    assert check(config).returncode == 0
    states = once(config)
    assert {n: (t["pixel"], t["state"]) for n, t in states.items()} == {
        "web-1": ([0, 0], "running"), "web-2": ([1, 0], "stopped"), bare: ([2, 0], "running"),
        "db": ([3, 0], "stopped"), "web-1-us-east-1": ([4, 0], "running")}
    assert states["web-1-us-east-1"]["detail"] == f"{far} running" and states["web-1"]["detail"] == f"{web1} running"

    again = discover(config, "ec2", "--region", "eu-west-1", "--region", "us-east-1", "--apply")
    assert again.returncode == 0 and "nothing new to add" in again.stdout, "nothing is added twice"
    assert appended(before, config.read_bytes()) == added


def test_group_by_a_tag_is_one_pixel_a_value_that_follows_replacements(cloud, tmp_path):
    for _ in range(3):
        launch("eu-west-1", None, Role="web")
    (db,) = [launch("eu-west-1", None, Role="db")]
    launch("eu-west-1", "loose")
    config = tmp_path / "config.yaml"
    before = write(config, "display: {layout: phat}\ntargets:\n")
    done = discover(config, "ec2", "--group-by", "Role", "--apply")
    assert done.returncode == 0, done.stderr
    assert "left out: 1 instance in eu-west-1 has no Role tag" in done.stdout
    added = appended(before, config.read_bytes())
    assert "  db: {pixel: [0, 0], ec2: {tags: {Role: db}}}   # 1 instance with Role=db, eu-west-1" in added
    assert "  web: {pixel: [1, 0], ec2: {tags: {Role: web}}}   # 3 instances with Role=web, eu-west-1" in added
    assert check(config).returncode == 0
    ec2().terminate_instances(InstanceIds=[db])
    replacement = launch("eu-west-1", None, Role="db")
    states = once(config)
    assert (states["web"]["state"], states["web"]["detail"]) == ("running", "3 of 3 running")
    assert (states["db"]["state"], states["db"]["detail"]) == ("running", f"{replacement} running")


def test_names_with_yaml_special_characters_are_quoted_and_read_back(cloud, tmp_path):
    names = ["web: 1", "#hash", "yes", "- dash", "it's \"quoted\"", "{x}, [y]", "café ☕", "null", "1.5", "a\tb"]
    ids = {name: launch("eu-west-1", name) for name in names}
    config = tmp_path / "config.yaml"
    before = write(config, "targets:\n  x: {pixel: [7, 7], http: 'http://127.0.0.1:1/'}\n")
    done = discover(config, "ec2", "--region", "eu-west-1", "--apply")
    assert done.returncode == 0, done.stderr
    appended(before, config.read_bytes())
    states = once(config)
    shown = {n: t for n, t in states.items() if n != "x"}
    assert len(shown) == len(names)
    for name in names:
        wanted = name.replace("\t", " ")   # a target's name is one printable line; the selector is the tag itself
        assert shown[wanted]["state"] == "running" and shown[wanted]["detail"] == f"{ids[name]} running", name


class Fleet(ThreadingHTTPServer):
    """An EC2 endpoint on 127.0.0.1 holding `count` running instances named node-0000 on, answering DescribeInstances
    in AWS's pages (MaxResults instances each, chained by NextToken) in EC2's own XML, for botocore's parser.

    moto pages DescribeInstances by reservation, and making 5,000 instances in it takes minutes here (measured:
    56 s for 2,000, then 40 s for one DescribeInstances of them, at a load of 9), so this serves the pages itself."""

    daemon_threads = True

    def __init__(self, count: int) -> None:
        from urllib.parse import parse_qs
        self.asked: list = []
        fleet = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                query = parse_qs(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())
                size = int(query.get("MaxResults", ["1000"])[0])
                start = int(query.get("NextToken", ["0"])[0])
                fleet.asked.append((size, start))
                items = "".join(
                    f"<item><instanceId>i-{n:017x}</instanceId><instanceState><code>16</code><name>running</name>"
                    f"</instanceState><tagSet><item><key>Name</key><value>node-{n:04d}</value></item></tagSet></item>"
                    for n in range(start, min(start + size, count)))
                token = f"<nextToken>{start + size}</nextToken>" if start + size < count else ""
                body = (f'<?xml version="1.0" encoding="UTF-8"?><DescribeInstancesResponse '
                        f'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><reservationSet>'
                        f"<item><reservationId>r-1</reservationId><ownerId>123456789012</ownerId><instancesSet>{items}"
                        f"</instancesSet></item></reservationSet>{token}</DescribeInstancesResponse>").encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


def test_5000_instances_are_read_in_pages_and_placed_up_to_the_free_pixels(tmp_path, monkeypatch):
    from tests import aws
    fleet = Fleet(5000)
    for key, value in aws.env(f"http://127.0.0.1:{fleet.server_address[1]}").items():
        monkeypatch.setenv(key, value)
    try:
        config = tmp_path / "config.yaml"
        before = write(config, "targets:\n  x: {pixel: [0, 0], http: 'http://127.0.0.1:1/'}\n")
        refused = discover(config, "ec2", "--region", "eu-west-1", "--apply")
        assert refused.returncode == 1, refused.stderr
        assert "EC2 eu-west-1: 5000 instances" in refused.stdout
        assert ("5000 new targets and 63 free pixels from row 0 of the 8x8 board: 4937 could not be placed, so none "
                "were (--partial places the first 63)") in refused.stderr
        assert config.read_bytes() == before and not (tmp_path / "config.yaml.bak").exists()
        assert fleet.asked == [(1000, 0), (1000, 1000), (1000, 2000), (1000, 3000), (1000, 4000)], "every page"
        placed = discover(config, "ec2", "--region", "eu-west-1", "--apply", "--partial")
        assert placed.returncode == 0, placed.stderr
        assert "4937 more could not be placed" in placed.stdout
        added = appended(before, config.read_bytes()).splitlines()
        assert len(added) == 1 + 63
        assert added[-1] == ("  node-0062: {pixel: [7, 7], ec2: {name: node-0062, region: eu-west-1}}   "
                             "# i-0000000000000003e, eu-west-1")
    finally:
        fleet.shutdown()
        fleet.server_close()


# ---------------------------------------------------------------------------------------------------- CloudWatch, IVS

def alarm(name: str, state: Optional[str] = None, region: str = "eu-west-1") -> None:
    import boto3
    client = boto3.client("cloudwatch", region_name=region)
    client.put_metric_alarm(AlarmName=name, MetricName="Errors", Namespace="App", Statistic="Sum", Period=60,
                            EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold")
    if state:
        client.set_alarm_state(AlarmName=name, StateValue=state, StateReason=f"set to {state} by the test")


def test_cloudwatch_alarms_one_pixel_each_or_one_per_prefix(cloud, tmp_path):
    alarm("api-5xx", "ALARM")
    alarm("api-latency", "OK")
    alarm("db-cpu", "INSUFFICIENT_DATA")
    alarm("lonely", "OK")
    config = tmp_path / "config.yaml"
    before = write(config, "aws: {region: eu-west-1}\ntargets:\n  mine: {pixel: [0, 0], cloudwatch: db-cpu}\n")
    done = discover(config, "cloudwatch", "--apply")
    assert done.returncode == 0, done.stderr
    added = appended(before, config.read_bytes())
    assert "  api-5xx: {pixel: [1, 0], cloudwatch: api-5xx}   # alarm, eu-west-1" in added
    assert "db-cpu" not in added, "an alarm the board shows already"
    assert check(config).returncode == 0
    states = once(config)
    assert {n: t["state"] for n, t in states.items()} == {"mine": "insufficient-data", "api-5xx": "alarm",
                                                          "api-latency": "ok", "lonely": "ok"}

    grouped = tmp_path / "grouped.yaml"
    before = write(grouped, "aws: {region: eu-west-1}\ntargets:\n")
    done = discover(grouped, "cloudwatch", "--group-prefix", "--apply")
    assert done.returncode == 0, done.stderr
    added = appended(before, grouped.read_bytes())
    assert "  api: {pixel: [0, 0], cloudwatch: {prefix: api-}}   # 2 alarms (alarm, ok), eu-west-1" in added
    states = once(grouped)
    assert {n: t["state"] for n, t in states.items()} == {"api": "alarm", "db": "insufficient-data", "lonely": "ok"}
    assert states["api"]["detail"].startswith("1 of 2 ok, 1 alarm; api-5xx ALARM for ")

    alarm("api-new")
    again = discover(grouped, "cloudwatch", "--apply")
    assert "5 on the board already" in again.stdout, "an alarm a prefix pixel takes in is on the board"
    assert "api-new" not in grouped.read_text()


def test_ivs_channels_by_name_or_by_arn_when_names_repeat(cloud, tmp_path):
    import boto3
    client = boto3.client("ivs", region_name="eu-west-1")
    stage = client.create_channel(name="main-stage")["channel"]["arn"]
    twins = sorted(client.create_channel(name="twin")["channel"]["arn"] for _ in range(2))
    config = tmp_path / "config.yaml"
    before = write(config, "aws: {region: eu-west-1}\ntargets:\n")
    done = discover(config, "ivs", "--apply")
    assert done.returncode == 0, done.stderr
    added = appended(before, config.read_bytes())
    assert f"  main-stage: {{pixel: [0, 0], ivs: main-stage}}   # {stage}, offline" in added
    assert f"ivs: '{twins[0]}'" in added and f"ivs: '{twins[1]}'" in added
    from tests.checks.test_ivs import stream
    cloud.streams["eu-west-1"] = [stream(stage, viewers=12, minutes=3)]
    assert check(config).returncode == 0
    states = once(config)
    assert (states["main-stage"]["state"], states["main-stage"]["detail"]) == \
        ("live", "live: 12 viewers, live for 3 min")
    assert [t["state"] for n, t in states.items() if n.startswith("twin-")] == ["offline", "offline"]


# ---------------------------------------------------------------------------------------------------- Prometheus

@pytest.fixture
def prometheus(tmp_path):
    """A real Prometheus scraping two jobs: `app` (an exporter that answers, on two addresses) and `gone` (a port
    nobody listens on)."""
    from statusboard.demo.stores import free_port, launch, stop_process
    from tests.prometheus import Exporter, why_not
    if why_not():
        pytest.skip(why_not())
    exporter = Exporter()
    exporter.samples["app_requests_total"] = 1
    port, dead = free_port(), free_port()
    folder = tmp_path / "prometheus"
    folder.mkdir()
    (folder / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\nscrape_configs:\n"
        f"  - job_name: app\n    static_configs: [{{targets: ['127.0.0.1:{exporter.port}', "
        f"'localhost:{exporter.port}']}}]\n"
        f"  - job_name: gone\n    static_configs: [{{targets: ['127.0.0.1:{dead}']}}]\n")
    proc, url = launch(["prometheus", f"--config.file={folder / 'prometheus.yml'}",
                        f"--storage.tsdb.path={folder / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
                        "--log.level=error"], port, "/-/ready", 200)
    import requests
    end = time.monotonic() + 60
    while time.monotonic() < end:
        got = requests.get(f"{url}/api/v1/query", params={"query": "up"}, timeout=5).json()["data"]["result"]
        if len(got) == 3:
            break
        time.sleep(0.3)
    yield url, exporter.port, dead
    stop_process(proc)
    exporter.stop()


def test_prometheus_jobs_round_trip(prometheus, tmp_path):
    prometheus, port, dead = prometheus
    config = tmp_path / "config.yaml"
    before = write(config, "targets:\n")
    done = discover(config, "prometheus", prometheus, "--apply")
    assert done.returncode == 0, done.stderr
    assert f"Prometheus {prometheus}: 3 up series, 2 jobs" in done.stdout
    added = appended(before, config.read_bytes())
    assert (f"  app: {{pixel: [0, 0], prometheus: {{url: '{prometheus}', query: 'up{{job=\"app\"}}', "
            f"below: {{critical: 0.5}}}}}}   # 2 up series, {prometheus}") in added
    assert check(config).returncode == 0
    states = once(config)
    assert (states["app"]["state"], states["gone"]["state"]) == ("ok", "critical")

    each = tmp_path / "each.yaml"
    before = write(each, "targets:\n")
    done = discover(each, "prometheus", prometheus, "--per-instance", "--apply")
    assert done.returncode == 0, done.stderr
    states = once(each)
    assert sorted((n, t["state"]) for n, t in states.items()) == [
        (f"app 127.0.0.1:{port}", "ok"), (f"app localhost:{port}", "ok"), (f"gone 127.0.0.1:{dead}", "critical")]
    assert f'query: \'up{{job="gone", instance="127.0.0.1:{dead}"}}\'' in each.read_text()


def test_a_server_that_is_not_prometheus_is_named(web, tmp_path):
    config = tmp_path / "config.yaml"
    before = write(config, "targets:\n")
    done = discover(config, "prometheus", f"http://127.0.0.1:{web.port}/ok", "--apply")
    assert done.returncode == 1
    assert "not the answer of a Prometheus server's /api/v1/query" in done.stderr
    assert "Traceback" not in done.stderr and config.read_bytes() == before


# ---------------------------------------------------------------------------------------------------- the owner's bytes

SAMPLE = (ROOT / "config.yaml").read_text(encoding="utf-8")
URLS = "# two services\nhttp://127.0.0.1:1/health  svc\n\nhttp://127.0.0.1:1/web\n"
SHAPES = {
    "the sample, targets last": SAMPLE,
    "targets before another section": ("display: {layout: hat}\ntargets:\n"
                                       "  a: {pixel: [0, 0], http: 'http://127.0.0.1:1/a'}\n"
                                       "  b:\n    pixel: [1, 0]\n    ping: {host: 127.0.0.1}   # nested\n\n"
                                       "# history of changes\nhistory: {keep: 30d}\n"),
    "CRLF and no newline at the end": "display: {layout: phat}\r\ntargets:\r\n  a: {pixel: [0, 0], ping: 127.0.0.1}",
    "anchors and aliases": ("defaults: {interval: &often 10s}\ntargets:\n  a: {pixel: [0, 0], interval: *often, "
                            "http: &site 'http://127.0.0.1:1/a'}\n  b: {pixel: [1, 0], http: *site}\n"),
    "an empty targets section, then another": "targets:   # none yet\n\naws: {region: eu-west-1}\n",
    "no targets section": "# just the display\ndisplay: {layout: hd}\n",
    "an empty file": "",
    "a byte order mark and unicode": ("\ufeff# café ☕ board\ntargets:\n  ☕: {pixel: [0, 0], ping: 127.0.0.1}\n"
                                      "# the end"),
    "a comment last, without a newline": "targets:\n  a: {pixel: [0, 0], ping: 127.0.0.1}\n# the end",
    "deeper indentation": "targets:\n      a: {pixel: [0, 0], ping: 127.0.0.1}\n",
    "an explicit document end, then a comment": ("---\ntargets:\n  a: {pixel: [0, 0], ping: 127.0.0.1}\n...\n"
                                                 "# outside the document\n"),
    "a document end and no targets": "%YAML 1.1\n---\ndisplay: {layout: hat}\n...",
    "a block scalar's last line like a comment, then another section": (
        "targets:\n  a:\n    pixel: [0, 0]\n    http:\n      url: http://127.0.0.1:1/\n      contains: |\n"
        "        ok\n        # not a comment\ndisplay: {layout: hat}\n"),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_the_owners_bytes_never_change(shape, tmp_path):
    config = tmp_path / "config.yaml"
    before = write(config, SHAPES[shape], 0o640)
    (tmp_path / "urls.txt").write_text(URLS)
    done = discover(config, "http", "urls.txt", "--apply")
    assert done.returncode == 0, done.stdout + done.stderr
    added = appended(before, config.read_bytes())
    assert "svc: {pixel: [" in added and "http: 'http://127.0.0.1:1/health'}   # urls.txt line 2" in added
    assert ("\r\n" in added) == ("\r\n" in SHAPES[shape]), "new lines end as the owner's do"
    assert (tmp_path / "config.yaml.bak").read_bytes() == before
    assert stat.S_IMODE((tmp_path / "config.yaml.bak").stat().st_mode) == 0o640
    assert stat.S_IMODE(config.stat().st_mode) == 0o640
    checked = check(config)
    assert checked.returncode == 0, checked.stderr
    assert " svc " in checked.stdout and " 127.0.0.1:1/web " in checked.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.yaml", "config.yaml.bak", "urls.txt"], \
        "no temporary file is left behind"


def test_an_owner_and_mode_are_kept_in_the_file_and_its_backup(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("only root can give a file another owner")
    config = tmp_path / "config.yaml"
    before = write(config, "targets:\n", 0o600)
    os.chown(config, 1234, 5678)
    (tmp_path / "urls.txt").write_text(URLS)
    done = discover(config, "http", "urls.txt", "--apply")
    assert done.returncode == 0, done.stderr
    for path in (config, tmp_path / "config.yaml.bak"):
        info = path.stat()
        assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (1234, 5678, 0o600), path
    appended(before, config.read_bytes())


def test_what_the_board_shows_is_not_added_twice_and_too_few_pixels_place_none(tmp_path):
    config = tmp_path / "config.yaml"
    before = write(config, "display: {layout: phat}\ntargets:\n  mine: {pixel: [0, 0], http: 'http://127.0.0.1:1/0'}\n")
    (tmp_path / "urls.txt").write_text("".join(f"http://127.0.0.1:1/{n}\n" for n in range(40)))
    refused = discover(config, "http", "urls.txt", "--apply")
    assert refused.returncode == 1
    assert "1 on the board already, not added again: 127.0.0.1:1/0" in refused.stdout
    assert ("39 new targets and 31 free pixels from row 0 of the 8x4 board: 8 could not be placed, so none were "
            "(--partial places the first 31)") in refused.stderr
    assert config.read_bytes() == before and not (tmp_path / "config.yaml.bak").exists()
    from_row = discover(config, "http", "urls.txt", "--row", "3", "--partial")
    assert from_row.returncode == 0 and "31 more could not be placed" in from_row.stdout
    assert "8 new targets" in from_row.stdout and "[0,3] 127.0.0.1:1/1 " in from_row.stdout
    placed = discover(config, "http", "urls.txt", "--apply", "--partial")
    assert placed.returncode == 0, placed.stderr
    assert "8 more could not be placed" in placed.stdout
    added = appended(before, config.read_bytes())
    assert "'127.0.0.1:1/31': {pixel: [7, 3]" in added and "/32" not in added
    again = discover(config, "http", "urls.txt", "--apply")
    assert again.returncode == 1 and "8 could not be placed, so none were" in again.stderr
    assert "32 on the board already" in again.stdout


# ---------------------------------------------------------------------------------------------------- faults

class Front(ThreadingHTTPServer):
    """An AWS endpoint on 127.0.0.1 in front of moto: requests signed for a region in `silent` are never answered,
    and actions in `denied` get AWS's refusal (in the protocol the request spoke); the rest are forwarded."""

    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        import requests

        from statusboard.demo.awsfront import error_body
        from tests.aws import action_of
        self.silent: Set[str] = set()
        self.denied: Set[str] = set()
        self.done = threading.Event()
        front = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                auth = self.headers.get("Authorization", "")
                region = auth.split("/")[2] if auth.count("/") >= 3 else "?"
                target = self.headers.get("X-Amz-Target")
                action = action_of({"PATH_INFO": self.path, "HTTP_X_AMZ_TARGET": target or ""}, body)
                if region in front.silent:
                    front.done.wait(60)
                    self.close_connection = True
                    return
                if action in front.denied:
                    message = f"User: arn:aws:iam::123456789012:user/board is not authorized to perform {action}"
                    if self.path == f"/{action}":   # REST JSON (IVS)
                        data = json.dumps({"message": message}).encode()
                        headers = {"Content-Type": "application/json", "x-amzn-ErrorType": "AccessDeniedException"}
                    else:
                        data, headers = error_body(self.path, target, "UnauthorizedOperation", message)
                    status = 403
                else:
                    sent = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                    answer = requests.post(upstream + self.path, data=body, headers=sent, timeout=30)
                    status, data = answer.status_code, answer.content
                    headers = {k: v for k, v in answer.headers.items()
                               if k.lower() in ("content-type", "smithy-protocol", "x-amzn-requestid")}
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.done.set()
        self.shutdown()
        self.server_close()


@pytest.fixture
def front(cloud, monkeypatch):
    server = Front(cloud.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
    yield server
    server.stop()


def test_a_region_that_does_not_answer_is_named_in_time_and_nothing_is_written(front, tmp_path):
    launch("eu-west-1", "web-1")
    front.silent.add("ap-south-1")
    config = tmp_path / "config.yaml"
    before = write(config, "targets:\n")
    began = time.monotonic()
    done = discover(config, "ec2", "--region", "eu-west-1", "--region", "ap-south-1", "--timeout", "2", "--apply")
    took = time.monotonic() - began
    assert done.returncode == 1
    assert ("statusboard: EC2, ap-south-1: no answer from the EC2 endpoint for ap-south-1 within 2 s"
            in done.stderr), done.stderr
    assert "EC2 eu-west-1: 1 instance" in done.stdout and "web-1: {pixel: [0, 0]" in done.stdout
    assert "nothing written: 1 of the places asked did not answer" in done.stderr
    assert config.read_bytes() == before and not (tmp_path / "config.yaml.bak").exists()
    assert took < 30, f"{took:.1f} s: the deadline holds (2 s and the start of two Pythons)"


def test_access_denied_names_the_action_as_the_board_does(front, tmp_path):
    import boto3
    boto3.client("ivs", region_name="eu-west-1").create_channel(name="main-stage")
    front.denied.add("ListStreams")
    config = tmp_path / "config.yaml"
    before = write(config, "aws: {region: eu-west-1}\ntargets:\n")
    done = discover(config, "ivs", "--apply")
    assert done.returncode == 1
    assert done.stderr.strip() == ("statusboard: IVS, eu-west-1: AWS error AccessDeniedException: the board's AWS "
                                   "identity needs ivs:ListStreams (README: the IAM policy)")
    front.denied = {"DescribeInstances"}
    denied = discover(config, "ec2", "--apply")
    assert denied.returncode == 1 and ("AWS error UnauthorizedOperation: the board's AWS identity needs "
                                       "ec2:DescribeInstances") in denied.stderr
    assert config.read_bytes() == before


def test_no_credentials_says_where_boto3_looked(cloud, monkeypatch, tmp_path):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    config = tmp_path / "config.yaml"
    before = write(config, "aws: {region: eu-west-1}\ntargets:\n")
    done = discover(config, "cloudwatch", "--apply")
    assert done.returncode == 1
    assert done.stderr.startswith("statusboard: CloudWatch, eu-west-1: no AWS credentials found (boto3 looked in")
    assert "Traceback" not in done.stderr and config.read_bytes() == before and cloud.calls == {}


def test_a_config_that_does_not_parse_is_refused_before_asking_anyone(cloud, tmp_path):
    config = tmp_path / "config.yaml"
    before = write(config, "targets:\n  a: {pixel: [0, 0], http: 'http://127.0.0.1:1/'\n  b: 1\n")
    done = discover(config, "ec2", "--apply")
    assert done.returncode == 2
    assert f"{config}:2: YAML syntax error: the {{ on this line is not closed" in done.stderr and "Traceback" not in done.stderr
    assert config.read_bytes() == before and not (tmp_path / "config.yaml.bak").exists() and cloud.calls == {}
    missing = discover(tmp_path / "nothing.yaml", "ec2")
    assert missing.returncode == 2 and "nothing.yaml: file not found" in missing.stderr


def test_a_read_only_file_is_left_alone(tmp_path):
    config = tmp_path / "config.yaml"
    before = write(config, "targets:\n", 0o444)
    (tmp_path / "urls.txt").write_text(URLS)
    done = discover(config, "http", "urls.txt", "--apply")
    assert done.returncode == 1
    assert done.stderr.strip() == f"statusboard: {config} is read-only (mode 0444): nothing written; make it " \
                                  "writable first if it should change"
    assert config.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["config.yaml", "urls.txt"]


def test_a_read_only_file_system_is_left_alone(tmp_path):
    config = tmp_path / "board" / "config.yaml"
    config.parent.mkdir()
    before = write(config, "targets:\n")
    (tmp_path / "urls.txt").write_text(URLS)
    command = (f"mount --bind -o ro {config.parent} {config.parent} && exec {sys.executable} -m statusboard "
               f"discover http {tmp_path / 'urls.txt'} --apply -c {config}")
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", command],
                          capture_output=True, text=True, timeout=120, env={**os.environ, **ENV})
    if "mount" in done.stderr and "statusboard" not in done.stderr:
        pytest.skip(f"no read-only bind mount here: {done.stderr.strip()}")
    assert done.returncode == 1
    assert done.stderr.strip() == f"statusboard: {config} is on a read-only file system: nothing written"
    assert config.read_bytes() == before and sorted(p.name for p in config.parent.iterdir()) == ["config.yaml"]


def test_targets_on_one_line_are_refused_with_the_line(tmp_path):
    config = tmp_path / "config.yaml"
    before = write(config, "display: {layout: hat}\ntargets: {a: {pixel: [0, 0], ping: 127.0.0.1}}\n")
    (tmp_path / "urls.txt").write_text(URLS)
    done = discover(config, "http", "urls.txt", "--apply")
    assert done.returncode == 1
    assert "line 2: targets is written on one line (targets: {a: {pixel: [0, 0], ping: 127.0.0.1}})" in done.stderr
    assert config.read_bytes() == before
    for empty in ("targets: {}\n", "targets: ~\n"):
        before = write(config, empty)
        done = discover(config, "http", "urls.txt", "--apply")
        assert done.returncode == 1 and done.stderr.strip() == (
            f"statusboard: line 1: targets is written on one line ({empty.strip()}): discover adds targets to a block "
            "mapping ('targets:' alone on its line, one target a line under it); write it so, or add the targets by "
            "hand")
        assert config.read_bytes() == before


def test_bad_arguments_and_a_bad_file_of_urls_are_usage_errors(tmp_path):
    config = tmp_path / "config.yaml"
    before = write(config, "display: {layout: phat}\ntargets:\n")
    (tmp_path / "urls.txt").write_text("http://127.0.0.1:1/ok\nftp://files.lan/\nhttp://host:99999/\n")
    bad = discover(config, "http", "urls.txt")
    assert bad.returncode == 2
    assert "2 lines of urls.txt are not a URL:" in bad.stderr
    assert "urls.txt:2: expected an http:// or https:// URL, got 'ftp://files.lan/'" in bad.stderr
    assert "urls.txt:3: not a valid URL (" in bad.stderr and "99999" in bad.stderr, "the http kind's own words"
    row = discover(config, "http", "urls.txt", "--row", "4")
    assert row.returncode == 2 and "--row 4: the phat board's rows are 0 to 3" in row.stderr
    region = discover(config, "ec2", "--region", "Mars-1")
    assert region.returncode == 2 and "--region: expected an AWS region like eu-west-1" in region.stderr
    missing = discover(config, "http", "nowhere.txt")
    assert missing.returncode == 2 and "cannot read nowhere.txt: No such file or directory" in missing.stderr
    assert config.read_bytes() == before


def test_a_password_in_a_url_is_written_but_never_shown(tmp_path):
    config = tmp_path / "config.yaml"
    before = write(config, "targets:\n")
    (tmp_path / "urls.txt").write_text("https://board:s3cret@127.0.0.1:1/status\n")
    done = discover(config, "http", "urls.txt", "--apply")
    assert done.returncode == 0, done.stderr
    assert "s3cret" not in done.stdout + done.stderr and "https://board:***@127.0.0.1:1/status" in done.stdout
    assert "http: 'https://board:s3cret@127.0.0.1:1/status'" in appended(before, config.read_bytes())


# ---------------------------------------------------------------------------------------------------- the running board

def test_apply_reloads_the_running_board(web, tmp_path):
    from tests.test_service import start, stop, targets
    from tests.conftest import wait_for
    config = tmp_path / "config.yaml"
    before = write(config, f"targets:\n  api: {{pixel: [0, 0], http: 'http://127.0.0.1:{web.port}/ok'}}\n")
    (tmp_path / "urls.txt").write_text(f"http://127.0.0.1:{web.port}/ok\nhttp://127.0.0.1:{web.port}/ok?two two\n")
    board = start(config, tmp_path / "frames.jsonl")
    try:
        wait_for(lambda: targets().get("api", {}).get("state") == "up", what="api up")
        done = discover(config, "http", "urls.txt", "--apply")
        assert done.returncode == 0, done.stderr
        assert f"reloaded {config}: 2 targets" in done.stdout
        assert "two: {pixel: [1, 0]" in appended(before, config.read_bytes())
        wait_for(lambda: targets().get("two", {}).get("state") == "up", what="the new pixel up on the running board")
    finally:
        stop(board)


HIDE_BOTO3 = "import sys; sys.modules['boto3'] = None; from statusboard.cli import main; sys.exit(main(sys.argv[1:]))"


def test_a_reload_the_board_refuses_puts_the_file_back(cloud, tmp_path, web):
    from tests.conftest import wait_for
    from tests.test_service import stop, targets
    launch("eu-west-1", "web-1")
    config = tmp_path / "config.yaml"
    before = write(config, f"aws: {{region: eu-west-1}}\ntargets:\n  api: {{pixel: [0, 0], http: "
                           f"'http://127.0.0.1:{web.port}/ok'}}\n", 0o600)
    # A board that cannot import boto3 refuses EC2 targets on reload (check, run here with boto3, passes them).
    board = subprocess.Popen([sys.executable, "-c", HIDE_BOTO3, "run", "-c", str(config), "--display", "fake"],
                             cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env={**os.environ, **ENV})
    try:
        wait_for(lambda: targets().get("api", {}).get("state") == "up", what="api up")
        done = discover(config, "ec2", "--apply")
        assert done.returncode == 1
        assert "reload refused" in done.stderr and "boto3" in done.stderr
        assert (f"statusboard: the running board refused the new config; {config} is back as it was, and the board "
                "runs on with it") in done.stderr
        assert config.read_bytes() == before and stat.S_IMODE(config.stat().st_mode) == 0o600
        assert board.poll() is None and list(targets()) == ["api"]
    finally:
        stop(board)


def test_every_kind_of_yaml_special_name_reads_back_as_itself(tmp_path):
    names = ["<<", "a: b", "#x", "yes", "No", "null", "~", "- x", "'q'", '"dq"', "{x}", "[y]", "&a", "*b", "!tag",
             "%p", "@at", "`bt`", "|", ">", "? q", "1e3", "0x10", "2026-01-01", "café ☕", "=", "a,b", "x #y"]
    config = tmp_path / "config.yaml"
    before = write(config, "display: {layout: hd}\ntargets:\n")
    (tmp_path / "urls.txt").write_text("".join(f"http://127.0.0.1:1/{n}  {name}\n" for n, name in enumerate(names)))
    done = discover(config, "http", "urls.txt", "--apply")
    assert done.returncode == 0, done.stderr
    appended(before, config.read_bytes())
    from statusboard.kinds import load
    board = load(str(config))
    assert [(t.name, t.spec.url) for t in board.targets] == [
        (name, f"http://127.0.0.1:1/{n}") for n, name in enumerate(names)]


def test_profiles_are_asked_and_named_where_they_differ_from_the_config(cloud, monkeypatch, tmp_path):
    web = launch("eu-west-1", "web")
    profiles = tmp_path / "aws-config"
    profiles.write_text("".join(f"[profile {p}]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
                                for p in ("desk", "ops")))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(profiles))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    config = tmp_path / "config.yaml"
    before = write(config, "aws: {region: eu-west-1, profile: desk}\ntargets:\n")
    done = discover(config, "ec2", "--profile", "ops", "--profile", "desk", "--apply")
    assert done.returncode == 0, done.stderr
    assert "EC2 eu-west-1 (profile ops): 1 instance" in done.stdout
    assert "EC2 eu-west-1 (profile desk): 1 instance" in done.stdout
    assert "1 found twice (through two profiles or regions), placed once: web" in done.stdout
    added = appended(before, config.read_bytes())
    assert f"  web: {{pixel: [0, 0], ec2: {{name: web, profile: ops}}}}   # {web}, eu-west-1" in added
    states = once(config)
    assert (states["web"]["state"], states["web"]["detail"]) == ("running", f"{web} running")
    missing = discover(config, "ec2", "--profile", "nobody")
    assert missing.returncode == 1
    assert missing.stderr.strip() == ("statusboard: EC2, eu-west-1 (profile nobody): AWS profile 'nobody' not found "
                                      "in ~/.aws/config or ~/.aws/credentials")


def test_without_c_it_edits_the_config_check_reads(tmp_path):
    if os.path.exists("/etc/statusboard/config.yaml"):
        pytest.skip("this machine has /etc/statusboard/config.yaml, which check would read")
    config = tmp_path / "config.yaml"
    before = write(config, "targets:\n")
    (tmp_path / "urls.txt").write_text(URLS)
    done = subprocess.run([sys.executable, "-m", "statusboard", "discover", "http", "urls.txt", "--apply"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120, env={**os.environ, **ENV})
    assert done.returncode == 0, done.stderr
    assert "written: config.yaml (the file as it was:" in done.stdout
    appended(before, config.read_bytes())


def test_a_result_check_refuses_is_never_written(tmp_path):
    # The owner's config is just under check's 256 KB; the new targets take it over, and check says no.
    config = tmp_path / "config.yaml"
    text = "targets:\n  a: {pixel: [0, 0], ping: 127.0.0.1}\n"
    text += "# " + "x" * 98 + "\n"
    text += ("#" * 99 + "\n") * ((256 * 1024 - len(text) - 40) // 100)
    before = write(config, text, 0o640)
    (tmp_path / "urls.txt").write_text(URLS)
    done = discover(config, "http", "urls.txt", "--apply")
    assert done.returncode == 1
    assert f"{config}: is larger than 256 KB" in done.stdout, "check's own words"
    assert f"statusboard: check refused the new {config} (above): nothing written" in done.stderr
    assert config.read_bytes() == before and stat.S_IMODE(config.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.yaml", "urls.txt"], "no backup, no temporary file"


def test_a_backup_that_cannot_be_written_leaves_everything_as_it_was(tmp_path):
    config = tmp_path / "config.yaml"
    before = write(config, "targets:\n")
    (tmp_path / "config.yaml.bak").mkdir()
    (tmp_path / "urls.txt").write_text(URLS)
    done = discover(config, "http", "urls.txt", "--apply")
    assert done.returncode == 1
    assert done.stderr.strip() == f"statusboard: cannot write the backup {config}.bak: Is a directory; nothing written"
    assert config.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.yaml", "config.yaml.bak", "urls.txt"]


def test_every_package_is_installed_with_the_rest():
    import re
    block = re.search(r"^packages = \[(.*?)\]", (ROOT / "pyproject.toml").read_text(), re.S | re.M)
    listed = set(re.findall(r'"(statusboard[\w.]*)"', block.group(1)))
    packages = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "statusboard").rglob("__init__.py")}
    assert packages <= listed, f"not installed by pip: {sorted(packages - listed)}"
