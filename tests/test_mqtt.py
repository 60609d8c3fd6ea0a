"""MQTT against a real Mosquitto started by each test on 127.0.0.1: states out (retained, availability, last
will, Home Assistant discovery), pixels in (another board's JSON, a payload map, `statusboard push`), a password
file, TLS from a test CA, and a broker that is away and comes back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

pytest.importorskip("paho.mqtt", reason="paho-mqtt is not installed (the test extra installs it)")

from statusboard.kinds import parse  # noqa: E402
from statusboard.daemon import Runner  # noqa: E402
from statusboard.display.fake import FakeDisplay  # noqa: E402
from tests.broker import Listener, Mosquitto, TestCA  # noqa: E402
from tests.conftest import ROOT, wait_for  # noqa: E402


def board_text(port, *targets, mqtt="", scheme="mqtt", board="desk",
               defaults="interval: 1s, timeout: 1s, fail_after: 1"):
    lines = [f"mqtt: {{url: '{scheme}://127.0.0.1:{port}', board: {board}{', ' + mqtt if mqtt else ''}}}",
             f"defaults: {{{defaults}}}", "targets:"]
    lines += [f"  {t}" for t in targets]
    return "\n".join(lines) + "\n"


class Running:
    """A Runner on a fake display, in a thread, for the length of a with block."""

    def __init__(self, text, path="board.yaml"):
        self.runner = Runner(parse(text, path), FakeDisplay(parse(text, path).display))
        self.thread = threading.Thread(target=self.runner.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self.runner

    def __exit__(self, *exc):
        self.runner.stop()
        self.thread.join(10)
        assert not self.thread.is_alive()


def state_of(runner, name):
    return runner.table.status(name, time.monotonic())


def test_states_go_out_retained_with_availability_and_discovery(tmp_path, web, refused_port):
    broker = Mosquitto(tmp_path)
    try:
        text = board_text(broker.port, f"api: {{pixel: [0, 0], http: 'http://127.0.0.1:{web.port}/ok'}}",
                          f"db:  {{pixel: [1, 0], http: 'http://127.0.0.1:{refused_port}/'}}")
        with Running(text):
            watch = Listener(broker.port, "statusboard/#", "homeassistant/#")
            wait_for(lambda: b'"up"' in (watch.get("statusboard/desk/api") or b"")
                     and b'"down"' in (watch.get("statusboard/desk/db") or b""), what="both states published")
            api = json.loads(watch.get("statusboard/desk/api"))
            assert api["state"] == "up" and api["severity"] == "ok" and api["colour"] == "#00ff00"
            assert api["detail"].startswith("HTTP 200 in") and isinstance(api["checked_at"], float)
            assert json.loads(watch.get("statusboard/desk/db"))["state"] == "down"
            assert watch.get("statusboard/desk/availability") == b"online"
            config = json.loads(watch.get("homeassistant/sensor/statusboard_desk/api/config"))
            assert config["state_topic"] == "statusboard/desk/api"
            assert config["value_template"] == "{{ value_json.state }}"
            assert config["availability_topic"] == "statusboard/desk/availability"
            assert config["unique_id"] == "statusboard__desk__api"
            assert config["device"]["identifiers"] == ["statusboard_desk"], "one device, one entity per target"
            watch.stop()
        late = Listener(broker.port, "statusboard/#")   # a client that comes later sees the retained states
        wait_for(lambda: late.get("statusboard/desk/availability") == b"offline", what="offline on a clean stop")
        assert json.loads(late.get("statusboard/desk/api"))["state"] == "up"
        late.stop()
    finally:
        broker.stop()


def test_a_judged_number_goes_out_as_the_sensors_value_and_unit_attributes(tmp_path, web):
    broker = Mosquitto(tmp_path)
    try:
        stats = f"http://127.0.0.1:{web.port}/echo?body=%7B%22viewers%22%3A870%7D"   # {"viewers":870}
        text = board_text(broker.port, f"api: {{pixel: [0, 0], http: 'http://127.0.0.1:{web.port}/ok'}}",
                          f"viewers: {{pixel: [1, 0], http: {{url: '{stats}', json: {{path: viewers, "
                          "above: {warn: 800, critical: 950}, unit: viewers}}}")
        with Running(text):
            watch = Listener(broker.port, "statusboard/#")
            wait_for(lambda: b'"warning"' in (watch.get("statusboard/desk/viewers") or b"")
                     and b'"up"' in (watch.get("statusboard/desk/api") or b""), what="both states published")
            viewers = json.loads(watch.get("statusboard/desk/viewers"))
            assert (viewers["value"], viewers["unit"]) == (870, "viewers")
            assert viewers["detail"] == "870 viewers (over warning 800 viewers)"
            assert "value" not in json.loads(watch.get("statusboard/desk/api")), "no number, no value"
            watch.stop()
    finally:
        broker.stop()


def test_the_last_will_says_offline_when_the_board_dies(tmp_path, web):
    broker = Mosquitto(tmp_path)
    config = tmp_path / "board.yaml"
    config.write_text(board_text(broker.port, f"api: {{pixel: [0, 0], http: 'http://127.0.0.1:{web.port}/ok'}}"))
    watch = Listener(broker.port, "statusboard/#")
    proc = subprocess.Popen([sys.executable, "-m", "statusboard", "run", "--display", "fake", "-c", str(config)],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "RUNTIME_DIRECTORY": str(tmp_path),
                                           "STATE_DIRECTORY": str(tmp_path)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: watch.get("statusboard/desk/availability") == b"online", what="online")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        wait_for(lambda: watch.get("statusboard/desk/availability") == b"offline", what="the last will")
    finally:
        if proc.poll() is None:
            proc.kill()
        watch.stop()
        broker.stop()


def test_one_board_checks_another_shows(tmp_path, web):
    """Board `office` shows board `desk`'s api over MQTT; when desk stops, office says its publisher is offline."""
    broker = Mosquitto(tmp_path)
    try:
        desk = board_text(broker.port, f"api: {{pixel: [0, 0], http: 'http://127.0.0.1:{web.port}/ok'}}")
        office = board_text(broker.port, "api: {pixel: [3, 3], mqtt: statusboard/desk/api}", board="office")
        with Running(office) as shower:
            with Running(desk):
                wait_for(lambda: state_of(shower, "api").state == "up", what="desk's api up on the office board")
                assert state_of(shower, "api").detail.startswith("HTTP 200 in")
            wait_for(lambda: state_of(shower, "api").state == "unknown", what="desk gone")
            assert state_of(shower, "api").detail == "the publisher is offline (statusboard/desk/availability)"
    finally:
        broker.stop()


def test_a_payload_map_a_json_field_staleness_and_push(tmp_path):
    broker = Mosquitto(tmp_path)
    try:
        text = board_text(broker.port,
                          "door: {pixel: [0, 0], stale_after: 2s, mqtt: {topic: home/door, payload: {ON: up, OFF: down}}}",
                          "ci:   {pixel: [1, 0], mqtt: {topic: ci/main, field: result, payload: {passed: up, failed: down}}}",
                          "job:  {pixel: [2, 0], mqtt: jobs/backup}", mqtt="publish: false",
                          defaults="interval: 30s, timeout: 1s, fail_after: 3")
        config = tmp_path / "board.yaml"
        config.write_text(text)
        sender = Listener(broker.port, "nothing")
        with Running(text, str(config)) as runner:
            wait_for(lambda: state_of(runner, "door").detail == "no message on home/door yet", what="waiting")
            sender.publish("home/door", b"OFF", retain=True)   # retained: the subscription may still be on its way
            wait_for(lambda: state_of(runner, "door").state == "down", timeout=3, what="OFF is down, at once")
            sender.publish("ci/main", b'{"result": "passed", "sha": "abc"}')
            wait_for(lambda: state_of(runner, "ci").state == "up", timeout=3, what="a JSON field mapped")
            sender.publish("home/door", b"AJAR")
            wait_for(lambda: state_of(runner, "door").state == "unknown", timeout=3, what="an unmapped payload")
            assert "the payload 'AJAR' is not in the target's payload map" in state_of(runner, "door").detail
            sender.publish("home/door", b"ON")
            wait_for(lambda: state_of(runner, "door").state == "up", timeout=3, what="ON")
            # One message is one observation, shown as it says: the defaults' fail_after 3 holds polled checks,
            # not a pushed state (the board that sent it did its own holding).
            sender.publish("home/door", b"OFF")
            wait_for(lambda: state_of(runner, "door").state == "down", timeout=3, what="OFF after ON, at once")
            sender.publish("home/door", b"ON")
            wait_for(lambda: state_of(runner, "door").state == "up", timeout=3, what="ON again")
            wait_for(lambda: state_of(runner, "door").state == "stale", timeout=5, what="no message for 2 s: stale")
            done = subprocess.run([sys.executable, "-m", "statusboard", "push", "job", "down", "--detail",
                                   "backup failed: disk full", "-c", str(config)], cwd=ROOT, capture_output=True,
                                  text=True, timeout=30, env={**os.environ, "PYTHONPATH": str(ROOT)})
            assert done.returncode == 0, done.stderr
            wait_for(lambda: state_of(runner, "job").state == "down", timeout=3, what="pushed from a script")
            assert state_of(runner, "job").detail == "backup failed: disk full"
        wrong = subprocess.run([sys.executable, "-m", "statusboard", "push", "door", "sideways", "-c", str(config)],
                               cwd=ROOT, capture_output=True, text=True, timeout=30,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert wrong.returncode == 2 and "unknown state 'sideways'" in wrong.stderr
        sender.stop()
    finally:
        broker.stop()


def test_a_topic_that_never_spoke_says_so_and_is_never_stale(tmp_path):
    """"No message yet" and "no broker" are facts of now, said again every interval: never a result grown old
    ("stale: no result for 2 min; last unknown" would say something false about the topic)."""
    broker = Mosquitto(tmp_path)
    try:
        text = board_text(broker.port, "quiet: {pixel: [0, 0], interval: 0.3s, timeout: 0.3s, mqtt: never/said}")
        with Running(text) as runner:
            wait_for(lambda: state_of(runner, "quiet").detail == "no message on never/said yet", what="subscribed")
            time.sleep(1.5)   # longer than stale_after (3 intervals: 0.9 s), with no message: that is the point
            assert (state_of(runner, "quiet").state, state_of(runner, "quiet").detail) == (
                "unknown", "no message on never/said yet")
            broker.stop()
            wait_for(lambda: "was lost" in state_of(runner, "quiet").detail, timeout=5, what="the broker gone")
            time.sleep(1.5)
            gone = state_of(runner, "quiet")
            assert gone.state == "unknown" and "MQTT broker" in gone.detail, gone
    finally:
        broker.stop()


def test_credentials_from_a_file_and_a_refusal_that_says_why(tmp_path, web):
    broker = Mosquitto(tmp_path, users={"board": "s3cret"})
    try:
        good, bad = tmp_path / "good", tmp_path / "bad"
        good.write_text("board\ns3cret\n")
        bad.write_text("board\nguess\n")
        target = "door: {pixel: [0, 0], mqtt: home/door}"
        with Running(board_text(broker.port, target, mqtt=f"credentials: '{bad}'")) as runner:
            wait_for(lambda: "refused the connection" in state_of(runner, "door").detail, what="the refusal")
            assert state_of(runner, "door").state == "unknown"
        with Running(board_text(broker.port, target, mqtt=f"credentials: '{good}'")) as runner:
            wait_for(lambda: state_of(runner, "door").detail == "no message on home/door yet", what="connected")
    finally:
        broker.stop()
    with pytest.raises(Exception) as refused:
        parse(board_text(1883, "door: {pixel: [0, 0], mqtt: home/door}", mqtt="password: hunter2"), "c.yaml")
    assert "c.yaml:1: mqtt.password: config.yaml never holds MQTT credentials" in str(refused.value.problems[0])


def test_tls_with_a_ca_file_and_a_certificate_that_fails(tmp_path):
    ca = TestCA(tmp_path)
    broker = Mosquitto(tmp_path, tls=ca)
    try:
        target = "door: {pixel: [0, 0], mqtt: home/door}"
        with Running(board_text(broker.port, target, scheme="mqtts", mqtt=f"ca_file: '{ca.ca}'")) as runner:
            wait_for(lambda: state_of(runner, "door").detail == "no message on home/door yet", what="TLS connected")
        with Running(board_text(broker.port, target, scheme="mqtts")) as runner:   # the system's CAs only
            wait_for(lambda: "certificate that failed verification" in state_of(runner, "door").detail,
                     what="an unknown CA refused")
    finally:
        broker.stop()


def test_a_broker_away_never_stops_the_board_and_is_found_again(tmp_path, web):
    broker = Mosquitto(tmp_path)
    broker.stop()
    try:
        text = board_text(broker.port, f"api: {{pixel: [0, 0], http: 'http://127.0.0.1:{web.port}/ok'}}",
                          "door: {pixel: [1, 0], mqtt: home/door, interval: 60s}")
        # The door is checked once a minute: every change of the link below shows at once all the same.
        with Running(text) as runner:
            wait_for(lambda: state_of(runner, "api").state == "up", what="the HTTP check goes on")
            wait_for(lambda: state_of(runner, "door").detail.endswith("connection refused"), what="the reason")
            assert state_of(runner, "door").state == "unknown"
            broker.start()
            watch = Listener(broker.port, "statusboard/#")
            wait_for(lambda: watch.get("statusboard/desk/api") is not None, timeout=20,
                     what="reconnected (backoff) and published the latest state")
            wait_for(lambda: state_of(runner, "door").detail == "no message on home/door yet", what="subscribed again")
            watch.stop()
            broker.stop()
            wait_for(lambda: "was lost" in state_of(runner, "door").detail, timeout=5, what="the broker gone again")
    finally:
        broker.stop()


def test_a_reload_that_renames_the_board_moves_its_topics(tmp_path, web):
    broker = Mosquitto(tmp_path)
    try:
        config = tmp_path / "board.yaml"
        target = f"api: {{pixel: [0, 0], http: 'http://127.0.0.1:{web.port}/ok'}}"
        config.write_text(board_text(broker.port, target))
        watch = Listener(broker.port, "statusboard/#", "homeassistant/#")
        with Running(config.read_text(), str(config)) as runner:
            wait_for(lambda: b'"up"' in (watch.get("statusboard/desk/api") or b""), what="published as desk")
            config.write_text(board_text(broker.port, target, board="den"))
            runner.request_reload()
            wait_for(lambda: b'"up"' in (watch.get("statusboard/den/api") or b""), what="published as den")
            wait_for(lambda: watch.get("statusboard/desk/availability") == b"offline", what="the old name offline")
            assert watch.get("statusboard/den/availability") == b"online"
            assert runner.last_reload["ok"]
        watch.stop()
    finally:
        broker.stop()


def test_a_hostile_message_is_unknown_and_names_that_differ_get_topics_that_differ(tmp_path):
    broker = Mosquitto(tmp_path)
    try:
        text = board_text(broker.port, "job: {pixel: [0, 0], mqtt: jobs/backup}",
                          "a+b: {pixel: [1, 0], ping: 127.0.0.1}", "a#b: {pixel: [2, 0], ping: 127.0.0.1}",
                          "a/b: {pixel: [3, 0], ping: 127.0.0.1}",
                          "secret: {pixel: [4, 0], http: 'http://monitor:S3cret@127.0.0.1:1/'}",
                          defaults="interval: 30s, timeout: 1s")
        listener = Listener(broker.port, "statusboard/desk/#")
        sender = Listener(broker.port, "nothing")
        with Running(text) as runner:
            sender.publish("jobs/backup", b'{"state": "up"}', retain=True)   # the subscription may be on its way
            wait_for(lambda: state_of(runner, "job").state == "up", timeout=5, what="up over MQTT")
            sender.publish("jobs/backup", b'{"a": ' + b"[" * 30_000 + b"]" * 30_000 + b"}")   # under 64 KB
            wait_for(lambda: state_of(runner, "job").state == "unknown", timeout=5, what="a message too deep to read")
            assert state_of(runner, "job").detail == "a JSON message nested too deeply to read"
            for name in ("a+b", "a#b", "a/b"):
                wait_for(lambda: state_of(runner, name).state == "up", timeout=10, what=f"{name} pinged")
            topics = {runner.board.mqtt.topic(name) for name in ("a+b", "a#b", "a/b")}
            assert len(topics) == 3, topics
            secret = runner.board.mqtt.topic("secret")
            wait_for(lambda: json.loads(listener.get(secret) or b"{}").get("state") == "down", timeout=5,
                     what="the target with a password checked")
            assert b"S3cret" not in listener.get(secret)
            for topic in topics:   # each target's own retained state: unknown at the start, then up
                wait_for(lambda: json.loads(listener.get(topic) or b"{}").get("state") == "up", timeout=5,
                         what=f"up on {topic}")
        (tmp_path / "board.yaml").write_text(text)
        check = subprocess.run([sys.executable, "-m", "statusboard", "check", "-c", str(tmp_path / "board.yaml")],
                               cwd=ROOT, capture_output=True, text=True, timeout=30,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
        for name in ("a+b", "a#b", "a/b"):
            assert f"'{name}' is published to {runner.board.mqtt.topic(name)}" in check.stdout, check.stdout
        listener.stop()
        sender.stop()
    finally:
        broker.stop()


def test_a_ca_file_missing_not_pem_a_device_or_a_fifo_is_a_config_problem_with_its_line(tmp_path):
    """Exit 2 (systemd then stops restarting, with the reason), from `check` and `run`; a FIFO is never waited on."""
    fifo = tmp_path / "fifo.pem"
    os.mkfifo(fifo)
    (tmp_path / "notes.txt").write_text("not a certificate\n")
    (tmp_path / "bad.pem").write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    cases = {tmp_path / "missing.pem": "no such file",
             tmp_path / "notes.txt": "is not a PEM file (no BEGIN CERTIFICATE line)",
             tmp_path / "bad.pem": "expected PEM certificates",
             "/dev/zero": "is not a regular file (a pipe, socket or device)",
             fifo: "is not a regular file (a pipe, socket or device)"}
    config = tmp_path / "board.yaml"
    for path, why in cases.items():
        config.write_text(board_text(1, "door: {pixel: [0, 0], mqtt: home/door}", scheme="mqtts",
                                     mqtt=f"ca_file: '{path}'"))
        for command in (["check"], ["run", "--once", "--display", "fake"]):
            got = subprocess.run([sys.executable, "-m", "statusboard", *command, "-c", str(config)], cwd=ROOT,
                                 capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
            said = got.stdout + got.stderr
            assert got.returncode == 2, (path, command, said)
            assert f"{config}:1: mqtt.ca_file:" in said and why in said, (path, command, said)
            assert "Traceback" not in said


def test_a_ca_file_that_became_a_fifo_after_the_check_is_a_reason_on_the_pixels(tmp_path):
    ca = TestCA(tmp_path)
    text = board_text(1, "door: {pixel: [0, 0], mqtt: home/door}", scheme="mqtts", mqtt=f"ca_file: '{ca.ca}'")
    board = parse(text, "board.yaml")
    ca.ca.unlink()
    os.mkfifo(ca.ca)
    runner = Runner(board, FakeDisplay(board.display))
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: "cannot use the MQTT CA file" in state_of(runner, "door").detail, what="the reason")
        assert "is not a regular file" in state_of(runner, "door").detail
    finally:
        runner.stop()
        thread.join(10)
    assert not thread.is_alive()


def test_topics_and_home_assistant_ids_are_unique_by_construction():
    from statusboard.config.mqtt import MqttSettings
    from statusboard.mqtt.payload import discovery
    settings = MqttSettings(host="127.0.0.1", port=1883, board="desk")
    names = ["availability", "x+y", "x_y-cb4c3a", "api", "a.b", "a_b"]
    topics = settings.topics(names)
    assert len(set(topics.values()) | {settings.availability}) == len(names) + 1, topics
    assert topics["api"] == "statusboard/desk/api" and topics["x+y"] == "statusboard/desk/x_y-cb4c3a"
    seen = set()
    for board, target in (("pi", "lab_web"), ("pi_lab", "web"), ("pi", "lab.web"), ("pi.lab", "web")):
        one = MqttSettings(host="127.0.0.1", port=1883, board=board)
        topic, document = discovery(one, target, one.topic(target))
        doc = json.loads(document)
        for key in (("topic", topic), ("unique_id", doc["unique_id"]), ("object_id", doc["object_id"])):
            assert key not in seen, (board, target, key)
            seen.add(key)
        assert all(c.isalnum() or c in "_-" for c in doc["object_id"]), doc["object_id"]


def test_a_target_named_availability_never_takes_the_boards_availability_topic(tmp_path):
    broker = Mosquitto(tmp_path)
    try:
        text = board_text(broker.port, "availability: {pixel: [0, 0], ping: 127.0.0.1}",
                          "x+y: {pixel: [1, 0], ping: 127.0.0.1}", "x_y-cb4c3a: {pixel: [2, 0], ping: 127.0.0.1}",
                          defaults="interval: 30s, timeout: 1s")
        watch = Listener(broker.port, "statusboard/#")
        with Running(text) as runner:
            topics = runner.board.mqtt.topics(t.name for t in runner.board.targets)
            for name, topic in topics.items():
                wait_for(lambda: json.loads(watch.get(topic) or b"{}").get("state") == "up", timeout=10,
                         what=f"{name} up on {topic}")
            assert watch.get("statusboard/desk/availability") == b"online"
            assert len(set(topics.values())) == 3
        watch.stop()
    finally:
        broker.stop()
    (tmp_path / "board.yaml").write_text(text)
    check = subprocess.run([sys.executable, "-m", "statusboard", "check", "-c", str(tmp_path / "board.yaml")],
                           cwd=ROOT, capture_output=True, text=True, timeout=30,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    for name in ("availability", "x+y", "x_y-cb4c3a"):
        assert f"'{name}' is published to {topics[name]}" in check.stdout, check.stdout


def test_push_refuses_what_a_board_would_not_take_with_the_limit(tmp_path):
    broker = Mosquitto(tmp_path)
    try:
        config = tmp_path / "board.yaml"
        config.write_text(board_text(broker.port, "job: {pixel: [0, 0], mqtt: jobs/backup}",
                                     "door: {pixel: [1, 0], mqtt: {topic: home/door, payload: {OPEN: down, SHUT: up}}}",
                                     mqtt="publish: false"))
        watch = Listener(broker.port, "jobs/#", "home/#")

        def push(*args):
            return subprocess.run([sys.executable, "-m", "statusboard", "push", *args, "-c", str(config)], cwd=ROOT,
                                  capture_output=True, text=True, timeout=30, env={**os.environ, "PYTHONPATH": str(ROOT)})
        huge = push("job", "down", "--detail", "x" * 120_000)
        assert huge.returncode == 2, huge.stdout + huge.stderr
        assert "a board reads at most 65536 bytes (64 KB) a message: shorten --detail" in huge.stderr
        unmapped = push("door", "slow")
        assert unmapped.returncode == 2 and "no payload means 'slow'" in unmapped.stderr, unmapped.stderr
        mapped = push("door", "down")   # the payload the target's map reads as down
        assert mapped.returncode == 0, mapped.stderr
        wait_for(lambda: watch.get("home/door") == b"OPEN", what="the mapped payload")
        assert watch.get("jobs/backup") is None, "the refused message never went out"
        watch.stop()
    finally:
        broker.stop()
