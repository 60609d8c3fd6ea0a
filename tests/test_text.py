"""Text from outside becomes valid where it enters, and every writer survives what it is handed: a lone surrogate
("\\ud800", which JSON may hold and UTF-8 may not) from a monitored server, an MQTT message, config.yaml or a kept
file written by an older release never crashes the board; and a URL that check refuses never shows its password.
The real board in a process of its own, real servers on 127.0.0.1, a real Mosquitto."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Dict, Iterator, List

import pytest
import requests

from statusboard.display.base import Frame, LegendEntry
from statusboard.display.terminal import TerminalDisplay
from statusboard.history import History, query
from statusboard.notify import Notifier
from statusboard import text
from statusboard.table import Status
from statusboard.vocabulary import Severity
from statusboard.web.document import json_answer
from tests.broker import Listener, Mosquitto, free_port
from tests.conftest import ROOT, board_from, wait_for
from tests.servers import Switch


def env() -> Dict[str, str]:
    """The environment of the test (its own state directories, set by a fixture) for the board's processes."""
    return {**os.environ, "PYTHONPATH": str(ROOT)}


REPLACEMENT = "\ufffd"
# What the servers answer, as bytes on the wire: JSON's \ud800 escape, a lone surrogate once read.
JSON_ANSWER = b'{"status": "\\ud800", "\\udfff": 1}'
PROMETHEUS_ANSWER = json.dumps({"status": "success", "data": {"resultType": "vector", "result": [
    {"metric": {"job": "\ud800"}, "value": [1.7e9, "9"]},
    {"metric": {"job": "fine"}, "value": [1.7e9, "1"]}]}}).encode()   # json.dumps writes it as \ud800
INFLUX_ANSWER = json.dumps({"results": [{"series": [{"name": "m", "columns": ["time", "\ud800"],
                                                     "values": [[1.7e9, None]]}]}]}).encode()
MQTT_MESSAGE = b'{"state": "up", "detail": "\\ud800 over MQTT"}'
NAMES = ("value", "label", "prom", "influx", "pushed")


def state_file() -> Path:
    return Path(os.environ["RUNTIME_DIRECTORY"]) / "state.json"


def kept_file() -> Path:
    return Path(os.environ["STATE_DIRECTORY"]) / "observations.json"


def shown(pid: int) -> Dict[str, dict]:
    """The targets in the state file of the board with this pid (none while another's file is there)."""
    try:
        doc = json.loads(state_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if doc.get("pid") != pid:
        return {}
    return {t["name"]: t for t in doc.get("targets", [])}


class Board:
    """`statusboard run` on the terminal display (its output a file: the plain drawing), stopped by SIGTERM."""

    def __init__(self, config: Path) -> None:
        self.out = (config.parent / f"terminal-{time.monotonic_ns()}.txt").open("w+b")
        self.proc = subprocess.Popen([sys.executable, "-m", "statusboard", "run", "-c", str(config), "--display",
                                      "terminal"], cwd=ROOT, env=env(), stdout=self.out, stderr=subprocess.PIPE,
                                     text=True, encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> tuple:
        """(exit code, what it wrote to the terminal, its log)."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
        try:
            _, err = self.proc.communicate(timeout=20)
        finally:
            self.proc.kill()
        self.out.seek(0)
        out = self.out.read().decode("utf-8")   # strict: the terminal was written valid UTF-8
        self.out.close()
        return self.proc.returncode, out, err


@pytest.fixture
def world(tmp_path) -> Iterator[dict]:
    pytest.importorskip("paho.mqtt", reason="paho-mqtt is not installed (the test extra installs it)")
    broker = Mosquitto(tmp_path)
    json_site, prom_site = Switch(200, JSON_ANSWER), Switch(200, PROMETHEUS_ANSWER)
    influx_site = Switch(200, INFLUX_ANSWER)
    listener = Listener(broker.port, "statusboard/#")
    web_port = free_port()
    config = tmp_path / "config.yaml"
    config.write_text(
        f"mqtt: {{url: 'mqtt://127.0.0.1:{broker.port}', board: desk}}\n"
        f"web: {{listen: '127.0.0.1:{web_port}'}}\n"
        "defaults: {interval: 1s, timeout: 1s, fail_after: 1}\n"
        "targets:\n"
        f"  value:  {{pixel: [0, 0], http: {{url: '{json_site.url}', json: {{path: status, equals: {{ok: up}}}}}}}}\n"
        f"  label:  {{pixel: [1, 0], http: {{url: '{json_site.url}', json: {{path: load, above: {{warn: 5}}}}}}}}\n"
        f"  prom:   {{pixel: [2, 0], prometheus: {{url: '{prom_site.url}', query: up, above: {{warn: 5}}}}}}\n"
        f"  influx: {{pixel: [4, 0], influxdb: {{url: '{influx_site.url}', database: d, query: 'SELECT x FROM m', "
        "above: {warn: 5}}}\n"
        "  pushed: {pixel: [3, 0], mqtt: lab/pushed}\n")
    listener.publish("lab/pushed", MQTT_MESSAGE, retain=True)
    yield {"config": config, "web": f"http://127.0.0.1:{web_port}", "listener": listener, "json": json_site,
           "prom": prom_site, "influx": influx_site}
    listener.stop()
    json_site.stop()
    prom_site.stop()
    influx_site.stop()
    broker.stop()


def test_lone_surrogates_from_servers_and_mqtt_are_shown_as_replacement_characters(world):
    """JSON's value and key, a Prometheus label, an InfluxDB column and an MQTT detail, each "\\ud800": the board
    keeps running with its page, terminal display, MQTT and history, and shows each pixel's detail with U+FFFD."""
    board = Board(world["config"])
    try:
        pid = board.proc.pid
        end = time.monotonic() + 30
        while not all(REPLACEMENT in shown(pid).get(n, {}).get("detail", "") for n in NAMES):
            assert time.monotonic() < end and board.alive(), shown(pid)
            time.sleep(0.05)
        details = shown(pid)
        assert details["value"]["detail"] == f"status is {REPLACEMENT}, which the target's equals does not map"
        assert details["label"]["detail"] == f"no load in the answer (there: status, {REPLACEMENT})"
        assert details["prom"]["detail"] == f'9 (over warning 5); the worst of 2 series: {{job="{REPLACEMENT}"}}'
        assert details["influx"]["detail"] == f"{REPLACEMENT} is null"
        assert details["pushed"]["detail"] == f"{REPLACEMENT} over MQTT"
        page = requests.get(f"{world['web']}/api/state", timeout=10)
        assert page.status_code == 200
        assert {t["name"]: t["detail"] for t in page.json()["targets"]} == {n: details[n]["detail"] for n in NAMES}
        published = wait_for(lambda: world["listener"].get("statusboard/desk/value"), what="the state published")
        assert REPLACEMENT in json.loads(published)["detail"]
        time.sleep(2.5)   # more rounds: every writer (history too, at most once a second) has had them
        assert board.alive()
    finally:
        code, out, err = board.stop()
    assert code == 0 and "Traceback" not in err, err
    assert f"status is {REPLACEMENT}" in out, "the terminal display shows it"
    history = subprocess.run([sys.executable, "-m", "statusboard", "history", "--json"], capture_output=True,
                             env=env(), cwd=ROOT, timeout=30, encoding="utf-8")
    assert history.returncode == 0, history.stderr
    assert any(REPLACEMENT in row["detail"] for row in json.loads(history.stdout)), history.stdout


def test_a_kept_file_holding_lone_surrogates_never_stops_a_restart(world):
    """A kept file as an older release wrote it ("\\ud800" escapes in its details), the servers fine: each of 5
    restarts runs, shows the kept details with U+FFFD until checked again, and stops cleanly."""
    world["json"].body = b'{"status": "ok", "load": 1}'
    world["prom"].body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {"job": "fine"}, "value": [1.7e9, "1"]}]}}).encode()
    world["influx"].body = b'{"results": [{"series": [{"name": "m", "columns": ["time", "x"], "values": [[1, 1]]}]}]}'
    world["listener"].publish("lab/pushed", b'{"state": "up", "detail": "fine"}', retain=True)
    first = Board(world["config"])
    wait_for(lambda: all(shown(first.proc.pid).get(n, {}).get("checked_at") for n in NAMES), timeout=30,
             what="a first round")
    assert first.stop()[0] == 0
    kept = json.loads(kept_file().read_text())
    assert {o["target"] for o in kept["observations"]} == set(NAMES)
    runs: List[tuple] = []
    for _ in range(5):
        for item in kept["observations"]:
            item["detail"] = "\ud800 kept by an older release"
        kept_file().write_text(json.dumps(kept))   # json.dumps writes \ud800 escapes, as releases before did
        assert "\\ud800" in kept_file().read_text()
        board = Board(world["config"])
        try:
            end = time.monotonic() + 30
            while not shown(board.proc.pid) and board.alive() and time.monotonic() < end:
                time.sleep(0.05)
            time.sleep(1.5)   # the kept details drawn, then each target checked again (fail_after 1)
            if board.alive():
                requests.get(f"{world['web']}/api/state", timeout=10).raise_for_status()
        finally:
            runs.append(board.stop())
    assert [code for code, _, _ in runs] == [0] * 5, [err for _, _, err in runs]
    assert all("Traceback" not in err for _, _, err in runs)
    assert any(f"{REPLACEMENT} kept by an older release" in out for _, out, _ in runs), "the kept detail was drawn"


@pytest.mark.parametrize("text, line", [
    ('targets:\n  "web\\ud800":\n    pixel: [0, 0]\n    ping: 127.0.0.1\n', 2),
    ('targets:\n  web:\n    pixel: [0, 0]\n    http:\n      url: http://127.0.0.1:1/\n'
     '      json: {path: a, above: {warn: 1}, unit: "\\udc80C"}\n', 6),
])
def test_check_refuses_a_lone_surrogate_in_config_yaml_with_its_line(tmp_path, text, line):
    config = tmp_path / "config.yaml"
    config.write_text(text)
    for command in (["check"], ["run", "--display", "fake", "--once"]):
        done = subprocess.run([sys.executable, "-m", "statusboard", *command, "-c", str(config)], capture_output=True,
                              env=env(), cwd=ROOT, timeout=30, encoding="utf-8", errors="replace")
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert f"config.yaml:{line}: " in done.stderr and "holds a lone surrogate" in done.stderr, done.stderr


# --- every writer survives what it is handed, even text no check lets through --------------------------------------

LONE = "x\ud800y"
SHOWN = "x\ufffdy"


@pytest.mark.parametrize("colour", [True, False])
def test_the_terminal_display_writes_a_lone_surrogate_as_a_replacement_character(colour):
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8")   # strict, as a terminal's stdout
    display = TerminalDisplay(SimpleNamespace(shape=(2, 1)), stream=stream, colour=colour)
    display.show(Frame((((255, 0, 0), (0, 0, 0)),), 1.0, (LegendEntry(0, 0, "api", "down", LONE, (255, 0, 0)),)))
    stream.flush()
    assert SHOWN in raw.getvalue().decode("utf-8")


def test_history_writes_a_lone_surrogate_as_a_replacement_character(tmp_path):
    board = board_from("targets: {api: {pixel: [0, 0], ping: 127.0.0.1}}\n")
    history = History(tmp_path / "history.sqlite", retention=86400.0)
    status = Status("down", Severity.CRITICAL, LONE, time.time())
    history.update(SimpleNamespace(board=board, statuses={"api": status}, latest={}))
    history.close()
    assert history.broken is None
    assert [(c.target, c.state, c.detail) for c in query(tmp_path / "history.sqlite")] == [("api", "down", SHOWN)]


def test_the_page_and_systemd_get_a_lone_surrogate_as_a_replacement_character(tmp_path):
    assert json_answer({"detail": LONE})[2] == f'{{"detail":"{SHOWN}"}}'.encode("utf-8")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(tmp_path / "notify"))
        notifier = Notifier(str(tmp_path / "notify"))
        notifier.status(LONE)
        notifier.close()
        assert listener.recv(4096) == f"STATUS={SHOWN}".encode("utf-8")


def test_a_config_path_that_is_not_utf8_is_printed_on_a_strict_terminal(tmp_path):
    """A file name's bytes that are no UTF-8 (os.fsdecode makes them lone surrogates) on a terminal whose encoding
    is strict UTF-8, as on a Pi with LANG=en_GB.UTF-8."""
    config = os.path.join(os.fsencode(tmp_path), b"board\xff.yaml")
    Path(os.fsdecode(config)).write_text("targets: {api: {pixel: [0, 0], ping: 127.0.0.1}}\n")
    done = subprocess.run([sys.executable, "-m", "statusboard", "check", "-c", config], capture_output=True,
                          env={**env(), "PYTHONIOENCODING": "utf-8:strict"}, cwd=ROOT, timeout=30)
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr
    # The name is shown as every outside text is: the byte that is no UTF-8 as a replacement character.
    assert "board\ufffd.yaml: OK, 1 target".encode() in done.stdout, done.stdout


# --- secrets in a URL that check refuses --------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://admin:p#SECRET@127.0.0.1/",       # urlsplit reads a port 'p' and a fragment
    "http://admin:p/SECRET@127.0.0.1/",       # ... and a path
    "http://admin:p?SECRET@127.0.0.1/",       # ... and a query
    "http://user:p@SECRET@127.0.0.1:99999/",  # a password holding @, and a port out of range
    "http://user:SECRET@[::1/",               # an IPv6 address not closed
    "http://user:SECRET@127.0.0.1/a b",       # a space
    "http://user:SECRET x@127.0.0.1/",        # a space in the password
    "http://user:SECRET\\tx@127.0.0.1/",      # a tab in the password (YAML's escape, in double quotes)
    "ftp://user:SECRET@127.0.0.1/",           # not http
    "http://user:SECRET@\u2603.example/",     # a host name that is no IDNA
    "ftp://tok#SECRET@127.0.0.1/",            # a user name alone (a token)
])
def test_a_refused_url_never_shows_its_password(tmp_path, url):
    """check and the board's log refuse it with its line, the userinfo masked however the URL parses."""
    config = tmp_path / "config.yaml"
    config.write_text(f"targets:\n  api: {{pixel: [0, 0], http: \"{url}\"}}\n")
    for command in (["check"], ["-v", "run", "--display", "fake"]):
        done = subprocess.run([sys.executable, "-m", "statusboard", *command, "-c", str(config)], capture_output=True,
                              env=env(), cwd=ROOT, timeout=30, encoding="utf-8", errors="replace")
        said = done.stdout + done.stderr
        assert done.returncode == 2 and "config.yaml:2: targets.api.http: " in said, said
        assert "SECRET" not in said and "Traceback" not in said, said
        assert "***@" in said, said


def test_a_url_whose_userinfo_parses_as_a_fragment_is_still_masked_in_checks_layout(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("targets:\n  api: {pixel: [0, 0], http: 'http://tok#SECRET@127.0.0.1/'}\n")
    done = subprocess.run([sys.executable, "-m", "statusboard", "check", "-c", str(config)], capture_output=True,
                          env=env(), cwd=ROOT, timeout=30, text=True)
    assert done.returncode == 0 and "http://***@127.0.0.1/" in done.stdout and "SECRET" not in done.stdout


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
def test_a_detail_never_breaks_a_line_at_a_unicode_line_separator(separator):
    """A server's text with a line or paragraph separator stays one line in the journal and the terminal."""
    shown = text.printable(f"HTTP 200{separator}FAKE LOG LINE")
    assert len(shown.splitlines()) == 1 and separator not in shown
