"""`influxdb:` targets against a real InfluxDB 1.x (Debian's package) that the test starts on 127.0.0.1, with
authentication on: credentials from a file or the environment, never config.yaml."""

from __future__ import annotations

import time
from typing import Iterator

import pytest

from statusboard.errors import ConfigError
from statusboard.kinds.influxdb import ENV_PASSWORD, ENV_USER, InfluxCheck
from tests import influx
from tests.conftest import board_from

SKIP = influx.why_not()
DELAYS = "SELECT mean(latency) FROM network_delays WHERE time > now() - 5m"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[influx.Influx]:
    if SKIP:
        pytest.skip(SKIP)
    db = influx.Influx(tmp_path_factory.mktemp("influxdb"))
    now = int(time.time())
    db.write("".join(f"network_delays,link=lon-fra latency={ms} {now - 60 * i}\n"
                     for i, ms in enumerate((180, 220, 260))))   # mean 220 ms over the last five minutes
    yield db
    db.stop()


def ask(db, query=DELAYS, thresholds="above: {warn: 150, critical: 300}, unit: ms", extra="", url=None):
    board = board_from(f"targets: {{t: {{pixel: [0, 0], timeout: 3s, influxdb: {{url: '{url or db.url}', "
                       f"database: telemetry, query: \"{query}\", {thresholds}{extra}}}}}}}\n")
    obs = InfluxCheck().observe(board.targets[0])
    return obs.state, obs.detail


@pytest.fixture
def logged_in(monkeypatch):
    monkeypatch.setenv(ENV_USER, influx.ADMIN)
    monkeypatch.setenv(ENV_PASSWORD, influx.PASSWORD)


def test_the_mean_delay_against_its_thresholds(server, logged_in):
    assert ask(server) == ("warning", "220 ms (over warning 150 ms)")
    assert ask(server, thresholds="above: {warn: 250, critical: 300}, unit: ms") == ("ok", "220 ms")
    assert ask(server, thresholds="below: {critical: 500}, unit: ms") == ("critical", "220 ms (under critical 500 ms)")


def test_credentials_from_a_file(server, tmp_path):
    secret = tmp_path / "influxdb.secret"
    secret.write_text(f"{influx.ADMIN}\n{influx.PASSWORD}\n")
    assert ask(server, extra=f", credentials: '{secret}'")[0] == "warning"
    secret.write_text(f"{influx.ADMIN}\nwrong\n")
    assert ask(server, extra=f", credentials: '{secret}'") == (
        "unknown", "InfluxDB refused the credentials (HTTP 401): see influxdb.credentials")


def test_no_points_in_the_window_is_no_data(server, logged_in):
    assert ask(server, "SELECT mean(latency) FROM network_delays WHERE time > now() - 5m AND link = 'nowhere'") == (
        "no-data", "no points: the query found nothing in its time range")


def test_a_query_influxdb_refuses_is_unknown_with_its_error(server, logged_in):
    state, detail = ask(server, "SELECT mean(latency FROM network_delays")
    assert state == "unknown" and detail.startswith("InfluxDB refused the query (HTTP 400): error parsing query")


def test_credentials_never_in_config_yaml(server):
    with pytest.raises(ConfigError) as info:
        board_from(f"targets: {{t: {{pixel: [0, 0], influxdb: {{url: '{server.url}', database: telemetry, "
                   f"query: 'SELECT 1', above: {{warn: 1}}, password: hunter2}}}}}}\n")
    assert "config.yaml never holds InfluxDB credentials" in str(info.value.problems[0])
    assert "hunter2" not in str(info.value.problems[0])


def test_a_server_that_is_not_there_is_unknown(server, refused_port, logged_in):
    assert ask(server, url=f"http://127.0.0.1:{refused_port}") == ("unknown", "InfluxDB: connection refused")
