"""`prometheus:` targets against a real Prometheus (Debian's package) that the test starts on 127.0.0.1,
scraping an exporter the test runs."""

from __future__ import annotations

from typing import Iterator, Tuple

import pytest

from statusboard.kinds.prometheus import PrometheusCheck
from tests import prometheus
from tests.conftest import board_from, wait_for

SKIP = prometheus.why_not()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Tuple[prometheus.Prometheus, prometheus.Exporter]]:
    if SKIP:
        pytest.skip(SKIP)
    exporter = prometheus.Exporter()
    exporter.samples = {'stream_viewers{channel="news"}': 420, 'stream_viewers{channel="sport"}': 1843,
                        'queue_depth{queue="mail"}': 3}
    prom = prometheus.Prometheus(tmp_path_factory.mktemp("prometheus"), exporter)
    wait_for(lambda: len(prom.value("stream_viewers")) == 2, timeout=30, what="the first scrape")
    yield prom, exporter
    prom.stop()
    exporter.stop()


def ask(prom, query, thresholds="above: {warn: 800, critical: 950}, unit: viewers", url=None):
    board = board_from(f"targets: {{t: {{pixel: [0, 0], timeout: 3s, prometheus: "
                       f"{{url: '{url or prom.url}', query: '{query}', {thresholds}}}}}}}\n")
    obs = PrometheusCheck().observe(board.targets[0])
    return obs.state, obs.detail


def test_one_series_against_its_thresholds(server):
    prom, _ = server
    assert ask(prom, 'stream_viewers{channel="news"}') == ("ok", "420 viewers")
    assert ask(prom, 'sum(stream_viewers)') == ("critical", "2,263 viewers (over critical 950 viewers)")
    assert ask(prom, "scalar(queue_depth)", "above: {warn: 3}") == ("warning", "3 (over warning 3)")


def test_of_several_series_the_worst_is_shown_and_named(server):
    prom, _ = server
    state, detail = ask(prom, "stream_viewers")
    assert state == "critical"
    assert detail == ('1,843 viewers (over critical 950 viewers); the worst of 2 series: '
                      '{channel="sport", instance="127.0.0.1:%d", job="test"}' % server[1].port)
    low = ask(prom, "stream_viewers", "below: {warn: 500, critical: 100}")
    assert low[0] == "warning" and low[1].startswith("420 (under warning 500); the worst of 2 series: "
                                                     '{channel="news"')


def test_a_query_that_matches_nothing_is_no_data(server):
    prom, _ = server
    assert ask(prom, 'stream_viewers{channel="weather"}') == ("no-data", "no series: the query matched nothing now")


def test_a_query_prometheus_refuses_is_unknown_with_its_error(server):
    prom, _ = server
    state, detail = ask(prom, "sum(stream_viewers")
    assert state == "unknown" and detail.startswith("Prometheus refused the query (bad_data): ")
    assert "\n" not in detail
    assert ask(prom, "stream_viewers[5m]")[1] == ("the query gives a range of points: ask for one value "
                                                 "(no [5m] at the end)")


def test_a_value_that_is_not_a_number_is_unknown(server):
    prom, _ = server
    state, detail = ask(prom, "sum(stream_viewers) / 0 - sum(stream_viewers) / 0")   # Inf - Inf: NaN
    assert (state, detail) == ("unknown", "the value is nan (not a number the thresholds can judge)")


def test_a_server_that_is_not_there_is_unknown_and_says_so(server, refused_port):
    prom, _ = server
    state, detail = ask(prom, "up", url=f"http://127.0.0.1:{refused_port}")
    assert (state, detail) == ("unknown", "Prometheus: connection refused")
