"""config.yaml: the sample validates, and every kind of mistake is named with its file, line and place."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from statusboard.errors import ConfigError
from statusboard.kinds import load, parse
from statusboard.kinds.cloudwatch import AlarmSpec
from statusboard.kinds.ec2 import Ec2Spec
from statusboard.kinds.http import HttpSpec
from statusboard.kinds.ping import PingSpec
from tests.conftest import ROOT, board_from


def problems(text: str) -> list:
    with pytest.raises(ConfigError) as info:
        board_from(text)
    return [str(p) for p in info.value.problems]


def test_sample_config_validates():
    board = load(str(ROOT / "config.yaml"))
    kinds = {t.name: t.kind for t in board.targets}
    assert kinds["web-1"] == "ec2" and kinds["site"] == "http" and kinds["router"] == "ping"
    assert board.shape == (8, 8)
    assert board.colour("running") == (0, 0, 255)
    assert board.colour("stopping") == (0xC0, 0x80, 0x20)


def test_short_and_long_forms_and_defaults():
    board = board_from("""
        display: {layout: phat, rotation: 180, brightness: 0.2}
        mqtt: {url: "mqtt://127.0.0.1:1883"}
        defaults: {interval: 1m, timeout: 800ms, fail_after: 3}
        targets:
          a: {pixel: [7, 3], http: "http://127.0.0.1:1/x"}
          b: {pixel: [0, 0], ping: {host: localhost, count: 5, slow: 50ms, loss: 40%}, interval: 10s}
          c: {pixel: [1, 0], ec2: {id: i-0123456789abcdef0, region: eu-west-1}}
          d: {pixel: [2, 0], mqtt: ci/main}
          e: {pixel: [3, 0], mqtt: ci/nightly, fail_after: 2}
    """)
    a, b, c, d, e = board.targets
    assert (d.fail_after, e.fail_after) == (1, 2), "a pushed state is shown as it comes, unless the target says"
    assert a.spec == HttpSpec("http://127.0.0.1:1/x")
    assert (a.interval, a.timeout, a.fail_after, a.stale_after) == (60.0, 0.8, 3, 180.0)
    assert b.spec == PingSpec("localhost", 5, 0.05, 0.4) and b.interval == 10.0 and b.stale_after == 30.0
    assert c.spec == Ec2Spec(instance_id="i-0123456789abcdef0", region="eu-west-1")
    assert board.shape == (8, 4)


def test_ec2_selectors_and_aws_defaults():
    board = board_from("""
        aws: {region: eu-west-1, profile: ops}
        targets:
          a: {pixel: [0, 0], ec2: {name: web-3, status_checks: true}}
          b: {pixel: [1, 0], ec2: {tags: {Role: web, Env: prod}, region: us-east-1}}
    """)
    a, b = board.targets
    assert a.spec == Ec2Spec(name="web-3", status_checks=True)
    assert b.spec == Ec2Spec(tags=(("Env", "prod"), ("Role", "web")), region="us-east-1")
    assert (board.aws.region, board.aws.profile) == ("eu-west-1", "ops")
    assert b.spec.describe() == "tagged Env=prod, Role=web"


def test_cloudwatch_selectors():
    board = board_from("""
        aws: {region: eu-west-1}
        targets:
          a: {pixel: [0, 0], cloudwatch: lambda-concurrency}
          b: {pixel: [1, 0], cloudwatch: {prefix: health-, region: us-east-1, profile: ops}}
          c: {pixel: [2, 0], cloudwatch: {names: [api-5xx, api-latency, api-5xx]}}
    """)
    a, b, c = (t.spec for t in board.targets)
    assert a == AlarmSpec(name="lambda-concurrency")
    assert b == AlarmSpec(prefix="health-", region="us-east-1", profile="ops")
    assert c.names == ("api-5xx", "api-latency"), "a name listed twice is one alarm"
    assert b.describe() == "starting with health-"


def test_the_layout_picks_its_own_driver():
    hd = board_from("display: {layout: hd}\ntargets: {a: {pixel: [15, 15], ping: 127.0.0.1}}\n")
    mini = board_from("display: {layout: mini, rotation: 90}\ntargets: {a: {pixel: [6, 16], ping: 127.0.0.1}}\n")
    assert (hd.display.driver, hd.shape) == ("unicornhathd", (16, 16))
    assert (mini.display.driver, mini.shape) == ("unicornhatmini", (7, 17))
    preview = board_from("display: {layout: hd, driver: window}\ntargets: {a: {pixel: [0, 0], ping: h}}\n")
    assert preview.display.driver == "window", "a preview draws any layout"


def test_mqtt_section_and_targets():
    import certifi   # a PEM file of CA certificates that exists (a missing ca_file is a config problem)
    board = board_from(f"""
        mqtt: {{url: 'mqtts://broker.lan', board: desk, ca_file: '{certifi.where()}'}}
        targets:
          a: {{pixel: [0, 0], mqtt: statusboard/office/web-1}}
          b: {{pixel: [1, 0], mqtt: {{topic: home/door, payload: {{ON: up, OFF: down, 'ajar': slow}}}}}}
    """)
    assert (board.mqtt.host, board.mqtt.port, board.mqtt.tls) == ("broker.lan", 8883, True)
    assert board.mqtt.topic("web-1") == "statusboard/desk/web-1" and board.mqtt.client_id == "statusboard-desk"
    assert board.mqtt.topic("web 1") != board.mqtt.topic("web_1"), "two names, two topics"
    payload = dict(board.targets[1].spec.payload)
    assert payload["ON"] == payload["on"] == "up" and payload["OFF"] == "down" and payload["ajar"] == "slow", \
        "YAML reads ON and OFF as booleans: the payloads are matched as written"


def test_rotated_phat_is_four_wide():
    board = board_from("""
        display: {layout: phat, rotation: 90}
        targets: {a: {pixel: [3, 7], ping: 127.0.0.1}}
    """)
    assert board.shape == (4, 8)


# (YAML, expected text in one problem): each names the file and line.
CORPUS = [
    ("targets:\n  a: {pixel: [0, 0], ping: h}\n\tb: 1\n", "test.yaml:3: YAML syntax error"),
    ("targets:\n  a:\n    pixel: [0, 0]\n   http: http://x/\n", "test.yaml:4: YAML syntax error"),
    ("targets:\n  a: {pixel: [0, 0], ping: 127.0.0.1\n", "test.yaml:2: YAML syntax error: the { on this line is never "
     "closed"),
    ("targets:\n  a: {pixel: [0, 0], ping: h\n  b: {pixel: [1, 0], ping: g}\n",
     "test.yaml:2: YAML syntax error: the { on this line is not closed before line 3"),
    ("targets:\n  a: {pixel: [0, 0, ping: h}\n",
     "test.yaml:2: YAML syntax error: the [ at column 14 is not closed before the } at column 28 "
     "(expected ',' or ']')"),
    ("targets:\n  a: {pixel: [0, 0], ping: h\x00}\n",
     "test.yaml:2: a control character (U+0000) at column 29: a config holds only text"),
    ("targets:\n  a: {pixel: [0, 0], smtp: mail.example.com}\n",
     "test.yaml:2: targets.a.smtp: 'smtp' is not a kind of check the board knows; give the target one of http:"),
    ("defaults:\n  intervall: 30s\ntargets:\n  a: {pixel: [0, 0], ping: h}\n",
     "test.yaml:2: defaults.intervall: unknown key 'intervall'; did you mean 'interval'?"),
    ("targets:\n  a: {pixel: [0, 0], ping: {host: h, cont: 3}}\n",
     "test.yaml:2: targets.a.ping.cont: unknown key 'cont'; did you mean 'count'?"),
    ("targets:\n  a: {pixel: [0, 0], ping: h}\n  b: {pixel: [0, 0], ping: g}\n",
     "test.yaml:3: targets.b.pixel: pixel [0, 0] is already taken by target 'a' (line 2)"),
    ("targets:\n  a: {pixel: [0, 0], ping: h}\n  a: {pixel: [1, 0], ping: g}\n",
     "test.yaml:3: targets.a: duplicate key 'a' (first at line 2)"),
    ("display: {layout: phat}\ntargets:\n  a: {pixel: [0, 5], ping: h}\n",
     "test.yaml:3: targets.a.pixel: [0, 5] is outside the phat 8x4 board: x goes 0-7, y goes 0-3"),
    ("targets:\n  a: {pixel: [0, 0]}\n", "test.yaml:2: targets.a: no check: give the target one of"),
    ("targets:\n  a: {pixel: [0, 0], ping: h, http: 'http://x/'}\n",
     "test.yaml:2: targets.a.http: two checks (ping and http)"),
    ("defaults: {timeout: 5 seconds}\ntargets:\n  a: {pixel: [0, 0], ping: h}\n",
     "test.yaml:1: defaults.timeout: expected a duration like 30s, 800ms, 5m or 1h, got '5 seconds'"),
    ("palette: {running: bleu}\ntargets:\n  a: {pixel: [0, 0], ping: h}\n",
     "test.yaml:1: palette.running: expected a colour"),
    ("palette: {runing: blue}\ntargets:\n  a: {pixel: [0, 0], ping: h}\n",
     "test.yaml:1: palette.runing: unknown state 'runing'"),
    ("display: {brightness: 1.5}\ntargets:\n  a: {pixel: [0, 0], ping: h}\n",
     "test.yaml:1: display.brightness: expected a number from 0 to 1, got 1.5"),
    ("display: {rotation: 45}\ntargets:\n  a: {pixel: [0, 0], ping: h}\n",
     "test.yaml:1: display.rotation: expected 0, 90, 180 or 270, got 45"),
    ("display: {driver: lcd}\ntargets:\n  a: {pixel: [0, 0], ping: h}\n",
     "test.yaml:1: display.driver: unknown display 'lcd'; choose one of unicornhat, unicornhathd, unicornhatmini, terminal, window, fake"),
    ("display: {layout: hd, driver: unicornhat}\ntargets:\n  a: {pixel: [0, 0], ping: h}\n",
     "test.yaml:1: display.driver: the unicornhat driver does not draw the hd layout (Unicorn HAT HD): use driver "
     "unicornhathd"),
    ("display: {layout: mini}\ntargets:\n  a: {pixel: [17, 0], ping: h}\n",
     "test.yaml:3: targets.a.pixel: [17, 0] is outside the mini 17x7 board: x goes 0-16, y goes 0-6"),
    ("display: {layout: square}\ntargets:\n  a: {pixel: [0, 0], ping: h}\n",
     "test.yaml:1: display.layout: expected hat (8x8), phat (8x4), hd (16x16) or mini (17x7), got 'square'"),
    ("targets:\n  a: {pixel: [0, 0], http: 'ftp://example/'}\n",
     "test.yaml:2: targets.a.http: expected an http:// or https:// URL, got 'ftp://example/'"),
    ("targets:\n  a: {pixel: [0, 0], http: 'http://[::1/'}\n",
     "test.yaml:2: targets.a.http: not a valid URL (an IPv6 address in [ ] is not closed or not valid): "
     "'http://[::1/'"),
    ("targets:\n  a: {pixel: [0, 0], http: 'http://localhost:99999/'}\n",
     "test.yaml:2: targets.a.http: not a valid URL (its port is not from 0 to 65535): 'http://localhost:99999/'"),
    ("targets:\n  a: {pixel: [0, 0], http: 'http://\u2603.example/'}\n",
     "test.yaml:2: targets.a.http: the host name '\u2603.example' is not a valid international domain name (IDNA "
     "2008: Codepoint U+2603 at position 1 of '\u2603' not allowed), so no request can be sent to it"),
    ("targets:\n  a: {pixel: [0, 0], htp: 'http://x/'}\n",
     "test.yaml:2: targets.a.htp: unknown key 'htp'; did you mean http:?"),
    ('targets:\n  "a\\ud800": {pixel: [0, 0], ping: h}\n',
     "test.yaml:2: targets: 'a\\ud800' holds a lone surrogate (a \\ud800 to \\udfff escape on its own), which is "
     "not text"),
    ('targets:\n  a:\n    pixel: [0, 0]\n    http: {url: "http://x/", json: {path: a, above: {warn: 1}, '
     'unit: "\\udc80C"}}\n',
     "test.yaml:4: targets.a.http.json.unit: '\\udc80C' holds a lone surrogate"),
    ("targets:\n  a: {pixel: [0, 0], ec2: i-12345}\n",
     "test.yaml:2: targets.a.ec2: expected an EC2 instance id like i-0123456789abcdef0, got 'i-12345'"),
    ("targets:\n  a:\n    pixel: [0, 0]\n    http:\n      url: http://x/\n      slow: fast\n",
     "test.yaml:6: targets.a.http.slow: expected a duration"),
    ("- just\n- a list\n", "test.yaml:1: top level: expected a mapping"),
    ("display: {}\n", "test.yaml:1: targets: no targets"),
    ("targets:\n  a: {pixel: [0, 0], ping: h, timeout: 40s}\n",
     "test.yaml:2: targets.a.timeout: timeout (40 s) is longer than interval (30 s)"),
    ("targets:\n  a: {pixel: [0, 0], ping: h, fail_after: 0}\n",
     "test.yaml:2: targets.a.fail_after: must be from 1 to 100, got 0"),
    ("targets:\n  a: {pixel: 3, ping: h}\n", "test.yaml:2: targets.a.pixel: expected [x, y], got 3"),
    ("targets:\n  a: {pixel: [0, 0], ec2: {id: i-0123456789abcdef0, name: web}}\n",
     "test.yaml:2: targets.a.ec2: give exactly one of id, name or tags (found id and name)"),
    ("targets:\n  a: {pixel: [0, 0], ec2: {tags: [web]}}\n", "test.yaml:2: targets.a.ec2.tags: expected tags"),
    ("targets:\n  a: {pixel: [0, 0], ec2: {name: web, region: Ireland}}\n",
     "test.yaml:2: targets.a.ec2.region: expected an AWS region like eu-west-1, got 'Ireland'"),
    ("targets:\n  a: {pixel: [0, 0], cloudwatch: {name: cpu, prefix: api-}}\n",
     "test.yaml:2: targets.a.cloudwatch: give exactly one of name, prefix or names (found name and prefix)"),
    ("targets:\n  a: {pixel: [0, 0], cloudwatch: {names: []}}\n",
     "test.yaml:2: targets.a.cloudwatch.names: expected a list of 1 to 100 alarm names, got []"),
    ("targets:\n  a:\n    pixel: [0, 0]\n    cloudwatch: {prefix: api-, regoin: us-east-1}\n",
     "test.yaml:4: targets.a.cloudwatch.regoin: unknown key 'regoin'; did you mean 'region'?"),
    ("mqtt: {url: 'http://broker'}\ntargets:\n  a: {pixel: [0, 0], ping: h}\n",
     "test.yaml:1: mqtt.url: expected a broker URL like mqtt://host:1883 or mqtts://host:8883, got 'http://broker'"),
    ("mqtt: {url: 'mqtt://board:hunter2@broker'}\ntargets:\n  a: {pixel: [0, 0], ping: h}\n",
     "test.yaml:1: mqtt.url: config.yaml never holds MQTT credentials"),
    ("targets:\n  a: {pixel: [0, 0], mqtt: home/door}\n",
     "test.yaml:2: targets.a.mqtt: an mqtt target needs the broker: add an mqtt section with its url"),
    ("mqtt: {url: 'mqtt://broker'}\ntargets:\n  a: {pixel: [0, 0], mqtt: 'home/#'}\n",
     "test.yaml:3: targets.a.mqtt: expected an MQTT topic without wildcards"),
    ("mqtt: {url: 'mqtt://broker'}\ntargets:\n  a: {pixel: [0, 0], mqtt: {topic: t, payload: {ON: upp}}}\n",
     "test.yaml:3: targets.a.mqtt.payload: payload ON/yes/true: unknown state 'upp'"),
    ("aws:\n  region: eu-west-1\n  secret_key: abc\ntargets:\n  a: {pixel: [0, 0], ec2: {name: web}}\n",
     "test.yaml:3: aws.secret_key: config.yaml never holds AWS keys"),
    ("palette: {up: off}\ntargets:\n  a: {pixel: [0, 0], ping: h}\n",
     "test.yaml:1: palette.up: got false: YAML reads a bare off (or no) as false; write \"off\" in quotes"),
    ("display: true\ntargets:\n  a: {pixel: [0, 0], ping: h}\n",
     "test.yaml:1: display: expected a mapping of keys, got true/false (True)"),
    ("palette: 42\ntargets:\n  a: {pixel: [0, 0], ping: h}\n",
     "test.yaml:1: palette: expected a palette's name (default, colour-blind, color-blind) or a mapping of state "
     "to colour, got 42"),
]


@pytest.mark.parametrize("text, expected", CORPUS, ids=[e.split(": ", 2)[-1][:40] for _, e in CORPUS])
def test_error_corpus(text, expected):
    found = problems(text)
    assert any(p.startswith(expected) for p in found), found


def test_a_kinds_key_mistyped_is_named_and_no_other_problem_is_made_of_it():
    assert problems("targets:\n  a: {pixel: [0, 0], pnig: h}\n") == [
        "test.yaml:2: targets.a.pnig: unknown key 'pnig'; did you mean ping:?"]


def test_a_valid_international_host_name_is_taken():
    board = board_from("targets:\n  a: {pixel: [0, 0], http: 'https://b\u00fccher.example/'}\n")
    assert board.targets[0].spec.url == "https://b\u00fccher.example/"


def test_yaml_mistakes_come_with_a_hint():
    assert problems("targets:\n  a: {pixel: [0, 0], ping: h}\n\tb: 1\n")[0].endswith(
        "(YAML takes no tabs: indent with spaces)")
    assert problems("targets:\n  a:\n    pixel: [0, 0]\n   http: http://x/\n")[0].endswith(
        "(check the indentation of this line and the ones above it)")


def test_every_problem_is_listed_not_only_the_first():
    found = problems("""
        display: {rotation: 45, brightnes: 1}
        targets:
          a: {pixel: [9, 9], ping: h}
          b: {pixel: [1, 1], http: 'nope'}
    """)
    assert len(found) == 4, found
    assert [p.split(":")[1] for p in found] == ["2", "2", "4", "5"]


def test_empty_file(tmp_path: Path):
    path = tmp_path / "config.yaml"
    path.write_text("# only a comment\n")
    with pytest.raises(ConfigError, match="config.yaml: the file is empty"):
        load(str(path))


def test_no_config_given_and_none_here_says_where_else_it_looked(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        load("config.yaml")   # the default where /etc/statusboard/config.yaml is not
    assert str(info.value.problems[0]) == ("config.yaml: file not found (nor /etc/statusboard/config.yaml, the "
                                           "service's: give one with -c FILE)")


def test_missing_and_unreadable_files(tmp_path: Path):
    with pytest.raises(ConfigError, match="nothere.yaml: file not found"):
        load(str(tmp_path / "nothere.yaml"))
    with pytest.raises(ConfigError, match="is a directory"):
        load(str(tmp_path))
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"targets:\n  a: \xff\xfe\n")
    with pytest.raises(ConfigError, match="binary.yaml:2: not UTF-8 text"):
        load(str(binary))
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)   # nothing ever writes to it: reading would wait for ever
    with pytest.raises(ConfigError, match="fifo.yaml: is not a regular file"):
        load(str(fifo))
    with pytest.raises(ConfigError, match="/dev/zero: is not a regular file"):
        load("/dev/zero")
    huge = tmp_path / "huge.yaml"
    huge.write_text("# " + "x" * 300_000 + "\n")
    with pytest.raises(ConfigError, match=r"huge.yaml: is larger than 256 KB \(a board's config is a few KB of text\)"):
        load(str(huge))
    secret = tmp_path / "secret.yaml"
    secret.write_text("targets: {}\n")
    secret.chmod(0)
    if os.geteuid() == 0:
        pytest.skip("root reads any file, so an unreadable file cannot be made here")
    with pytest.raises(ConfigError, match="cannot read: Permission denied"):
        load(str(secret))


def test_parse_returns_frozen_board():
    board = parse("targets: {a: {pixel: [0, 0], ping: h}}\n")
    with pytest.raises(AttributeError):
        board.targets[0].name = "b"  # type: ignore[misc]


BOMB = "".join(f"{a}: &{a} [{', '.join([f'*{b}'] * 9) if b else ', '.join(['lol'] * 9)}]\n"
               for a, b in zip("abcdefghi", ["", *"abcdefgh"]))
HOSTILE = [
    ("defaults: {interval: .inf}\ntargets:\n  a: {pixel: [0, 0], ping: h}\n",
     "test.yaml:1: defaults.interval: a duration must be above zero and finite"),
    ("targets:\n  a: {pixel: [0, 0], ping: h, interval: .nan}\n",
     "test.yaml:2: targets.a.interval: a duration must be above zero and finite"),
    ("targets:\n  a: {pixel: [0, 0], ping: h, stale_after: 30d}\n", "test.yaml:2: targets.a.stale_after: expected"),
    ("targets:\n  a: {pixel: [0, 0], ping: h, interval: 1000000}\n",
     "test.yaml:2: targets.a.interval: a duration must be at most 7 days"),
    ("x: &r [*r]\n", "test.yaml:1: x[0]: a YAML alias refers to a node that contains it"),
    (BOMB + "targets:\n  a: {pixel: [0, 0], ping: h}\n",
     "test.yaml:1: the file holds or expands to more than 10000 values"),
    ("a: " + "[" * 5000 + "]" * 5000 + "\n", "test.yaml:1: YAML nested too deeply"),
    ("a: " + "[" * 40 + "]" * 40 + "\n", "test.yaml:1: a[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"),
    ('targets:\n  "web\\e]0;x\\a": {pixel: [0, 0], ping: h}\n',
     "test.yaml:2: targets.web\\x1b]0;x\\x07: a target name must be printable text"),
    ('targets:\n  a: {pixel: [0, 0], ping: h, interval: "1' + " " * 100_000 + 'x"}\n',
     "test.yaml:2: targets.a.interval: expected a duration like 30s"),
    ("targets:\n  a: {pixel: [0, 0], ping: h, interval: 0.000001, timeout: 0.000001}\n",
     "test.yaml:2: targets.a.interval: must be at least 100ms"),
    ("display: {layout: {a: 1}}\ntargets:\n  a: {pixel: [0, 0], ping: h}\n",
     "test.yaml:1: display.layout: expected hat (8x8)"),
    ("display: {rotation: [90]}\ntargets:\n  a: {pixel: [0, 0], ping: h}\n",
     "test.yaml:1: display.rotation: expected 0, 90, 180 or 270"),
    ('targets:\n  a: {pixel: [0, 0], http: "http://x/\\r\\nHost: y"}\n',
     "test.yaml:2: targets.a.http: a URL cannot hold whitespace or a control character"),
    ('targets:\n  a: {pixel: [0, 0], http: "http://x/\\e[31mred"}\n',
     "test.yaml:2: targets.a.http: a URL cannot hold whitespace or a control character"),
    ('targets:\n  a: {pixel: [0, 0], http: "http://a b/x"}\n',
     "test.yaml:2: targets.a.http: a URL cannot hold a space"),
    ("x: [" + ", ".join(["1"] * 100_000) + "]\n", "test.yaml:1: the file holds or expands to more than 10000 values"),
    ("targets:\n  a:\n    pixel: [0, 0]\n    ping 127.0.0.1\n    interval: 5s\n",
     "test.yaml:4: YAML syntax error: while scanning a simple key could not find expected ':' (a key needs a colon"),
    ("targets:\n  a:\n    pixel: [0, 0]\n    http: http://x/?q=a: b\n",
     "test.yaml:4: YAML syntax error: mapping values are not allowed here (this line is indented deeper than the "
     "key above it, or a value holds ': ' and needs quotes)"),
]


@pytest.mark.parametrize("text, expected", HOSTILE, ids=[e.split(": ", 2)[-1][:40] for _, e in HOSTILE])
def test_hostile_input_is_a_clear_refusal_and_quick(text, expected):
    start = time.thread_time()   # this thread's CPU time: the work done, however busy the machine is
    found = problems(text)
    took = time.thread_time() - start
    assert took < 1.0, f"refused after {took:.2f} s of CPU: an alias bomb must be refused, not expanded"
    assert any(p.startswith(expected) for p in found), found
    assert all("\x1b" not in p and "\x07" not in p for p in found)
