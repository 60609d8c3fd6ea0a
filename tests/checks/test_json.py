"""A value from an HTTP JSON API as a pixel (`http: {url, json: {path, above | below | equals}}`), against a real
server on 127.0.0.1; and the threshold model every number kind shares."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from statusboard.errors import ConfigError
from statusboard.kinds.http import HttpCheck
from tests.conftest import board_from


def check(web, body, rule, status=200, timeout="2s"):
    """One check of an http target whose URL answers `body` (a JSON document, or text)."""
    text = body if isinstance(body, str) else json.dumps(body)
    url = f"http://127.0.0.1:{web.port}/echo?{urlencode({'status': status, 'body': text})}"
    board = board_from(f"targets: {{t: {{pixel: [0, 0], timeout: {timeout}, http: {{url: '{url}', json: {rule}}}}}}}\n")
    obs = HttpCheck().observe(board.targets[0])
    return obs.state, obs.detail


VIEWERS = "{path: stream.viewers, above: {warn: 800, critical: 950}, unit: viewers}"
BITRATE = "{path: 'ingest[0].kbps', below: {warn: 2500, critical: 1000}, unit: kbit/s}"


@pytest.mark.parametrize("viewers, state, detail", [
    (420, "ok", "420 viewers"),
    (800, "warning", "800 viewers (over warning 800 viewers)"),
    (1843, "critical", "1,843 viewers (over critical 950 viewers)"),
    (None, "no-data", "stream.viewers is null: no value yet"),
    ("many", "unknown", 'not a number: stream.viewers is "many"'),
])
def test_a_number_in_a_json_answer_against_thresholds_above(web, viewers, state, detail):
    assert check(web, {"stream": {"viewers": viewers}}, VIEWERS) == (state, detail)


@pytest.mark.parametrize("kbps, state, detail", [
    (4000, "ok", "4,000 kbit/s"),
    (2500, "warning", "2,500 kbit/s (under warning 2,500 kbit/s)"),
    (1843.5, "warning", "1,843.5 kbit/s (under warning 2,500 kbit/s)"),
    (900, "critical", "900 kbit/s (under critical 1,000 kbit/s)"),
])
def test_a_number_in_a_list_below_a_floor_is_starving(web, kbps, state, detail):
    assert check(web, {"ingest": [{"kbps": kbps}, {"kbps": 9999}]}, BITRATE) == (state, detail)


def test_a_status_mapped_by_what_it_equals(web):
    rule = "{path: status, equals: {ok: up, degraded: slow, 'true': up}}"
    assert check(web, {"status": "degraded"}, rule) == ("slow", "status is degraded")
    assert check(web, {"status": "ok"}, rule) == ("up", "status is ok")
    assert check(web, {"status": "on fire"}, rule) == ("unknown", "status is on fire, which the target's equals does "
                                                                  "not map")


def test_what_cannot_be_read_is_unknown_and_says_why(web):
    assert check(web, {"stream": {}}, VIEWERS) == ("unknown", "no stream.viewers in the answer (there: )")
    assert check(web, "<html>maintenance</html>", VIEWERS)[1].endswith(", not JSON")
    assert check(web, '{"stream": {"viewers": NaN}}', VIEWERS) == (
        "unknown", "the value is nan (not a number the thresholds can judge)")
    assert check(web, {"stream": {"viewers": 1}}, VIEWERS, status=500)[0] == "down", "an error page is no value"


def test_an_answer_of_megabytes_is_capped_and_unknown(web):
    url = f"http://127.0.0.1:{web.port}/big"
    board = board_from(f"targets: {{t: {{pixel: [0, 0], http: {{url: '{url}', json: {VIEWERS}}}}}}}\n")
    obs = HttpCheck().observe(board.targets[0])
    assert (obs.state, obs.detail) == ("unknown", obs.detail) and "an answer over 1 MB is not read as JSON" in obs.detail


@pytest.mark.parametrize("rule, message", [
    ("{path: a, above: {warn: 5}, below: {warn: 1}}", "give the thresholds in one direction"),
    ("{path: a, above: {warn: 900, critical: 800}}", "warn (900) is above critical (800)"),
    ("{path: a, below: {warn: 1000, critical: 2500}}", "warn (1000) is below critical (2500)"),
    ("{path: a, above: {warn: lots}}", "expected a number, got 'lots'"),
    ("{path: a, above: {}}", "give warn, critical or both"),
    ("{path: a, above: {warn: null}}", "give warn, critical or both"),
    ("{path: 'a..b', above: {warn: 1}}", "expected a path like stream.viewers"),
    ("{path: a, equals: {x: sideways}}", "unknown state 'sideways'"),
    ("{path: a}", "give the thresholds in one direction"),
])
def test_check_refuses_thresholds_that_cannot_work_with_the_line(rule, message):
    with pytest.raises(ConfigError) as info:
        board_from(f"targets:\n  t: {{pixel: [0, 0], http: {{url: 'http://127.0.0.1:1/', json: {rule}}}}}\n")
    said = [str(p) for p in info.value.problems]
    assert any(message in p and p.startswith("test.yaml:2: targets.t.http.json") for p in said), said
    assert len(said) == 1, said   # one mistake, one line (a threshold that is no number is not also "missing")
