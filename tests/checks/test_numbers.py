"""What a server answers where a number should be, and that no threshold can judge (an integer of 400 digits,
true, a list, an object, a bare number where Prometheus gives [time, "value"]): the pixel is unknown and says
why in words, never "the check itself failed" with a traceback in the log. Real servers on 127.0.0.1 (a
loopback server answers Prometheus' and InfluxDB's API with shapes a real server never sends)."""

from __future__ import annotations

import json
import logging
from typing import Any, Iterator

import pytest

from statusboard.daemon import Runner
from statusboard.display.fake import FakeDisplay
from tests.conftest import board_from
from tests.servers import Switch

BIG = 10 ** 400 - 1   # 400 nines: JSON holds it, a float does not
TOO_LARGE = "an integer of 400 digits, too large to judge"


@pytest.fixture
def site() -> Iterator[Switch]:
    server = Switch(200)
    yield server
    server.stop()


def once(check: str, answer: Any, site: Switch, caplog: pytest.LogCaptureFixture) -> tuple:
    """(state, detail) of one round of a target `t` whose server answers `answer`; the log has no error."""
    site.body = json.dumps(answer).encode()
    board = board_from(f"targets: {{t: {{pixel: [0, 0], timeout: 3s, {check}}}}}\n")
    with caplog.at_level(logging.DEBUG):
        status = Runner(board, FakeDisplay(board.display)).once()["t"]
    failed = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not failed, [r.getMessage() for r in failed]
    return status.state, status.detail


IN_API = ' in the series {job="api"}'


def prometheus(value: Any, kind: str = "vector") -> dict:
    result = [{"metric": {"job": "api"}, "value": value}] if kind == "vector" else value
    return {"status": "success", "data": {"resultType": kind, "result": result}}


def influx(values: Any) -> dict:
    return {"results": [{"statement_id": 0, "series": [{"name": "m", "columns": ["time", "mean"],
                                                        "values": values}]}]}


@pytest.mark.parametrize("value, detail", [
    (BIG, f"not a number: n is {TOO_LARGE}"),
    (-BIG, f"not a number: n is {TOO_LARGE}"),
    (True, "not a number: n is true"),
    ([1], "not a number: n is [1]"),
    ({"v": 1}, 'not a number: n is {"v": 1}'),
])
def test_a_json_value_no_threshold_can_judge(site, caplog, value, detail):
    check = f"http: {{url: '{site.url}', json: {{path: n, above: {{warn: 1}}}}}}"
    assert once(check, {"n": value}, site, caplog) == ("unknown", detail)


@pytest.mark.parametrize("answer, detail", [
    (prometheus([1.7e9, BIG]), f"not a number: the value is {TOO_LARGE}{IN_API}"),
    (prometheus([1.7e9, True]), f"not a number: the value is true{IN_API}"),
    (prometheus([1.7e9, "lots"]), f'not a number: the value is "lots"{IN_API}'),
    (prometheus(5), f'not a number: a sample is 5, where Prometheus gives [time, "value"]{IN_API}'),
    (prometheus([]), f'not a number: a sample is [], where Prometheus gives [time, "value"]{IN_API}'),
    (prometheus({"v": 1}), f'not a number: a sample is {{"v": 1}}, where Prometheus gives [time, "value"]{IN_API}'),
    (prometheus(True), f'not a number: a sample is true, where Prometheus gives [time, "value"]{IN_API}'),
    (prometheus(7, "scalar"), 'not a number: a sample is 7, where Prometheus gives [time, "value"]'),
    (prometheus([1.7e9, BIG], "scalar"), f"not a number: the value is {TOO_LARGE}"),
])
def test_a_prometheus_value_no_threshold_can_judge(site, caplog, answer, detail):
    check = f"prometheus: {{url: '{site.url}', query: up, above: {{warn: 1}}}}"
    assert once(check, answer, site, caplog) == ("unknown", detail)


def test_a_prometheus_value_that_is_a_number_is_still_judged(site, caplog):
    check = f"prometheus: {{url: '{site.url}', query: up, above: {{warn: 1}}}}"
    assert once(check, prometheus([1.7e9, "0.5"]), site, caplog) == ("ok", "0.5")


@pytest.mark.parametrize("values, detail", [
    ([[1.7e9, BIG]], f"not a number: mean is {TOO_LARGE}"),
    ([[1.7e9, True]], "not a number: mean is true"),
    (5, "not a number: the series' values are 5, where InfluxDB gives rows of [time, value]"),
    ({"a": 1}, 'not a number: the series\' values are {"a": 1}, where InfluxDB gives rows of [time, value]'),
    ([5], "not a number: the series' last row is 5, where InfluxDB gives rows of [time, value]"),
])
def test_an_influxdb_value_no_threshold_can_judge(site, caplog, values, detail):
    check = f"influxdb: {{url: '{site.url}', database: d, query: 'SELECT mean(x) FROM m', above: {{warn: 1}}}}"
    assert once(check, influx(values), site, caplog) == ("unknown", detail)
