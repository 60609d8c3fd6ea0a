"""/metrics in Prometheus' text format through prometheus_client, read from the newest snapshot at each scrape.

Per target (blackbox_exporter's probe_* as the model): statusboard_target_state{target,kind,state} (1 for the
state it shows, 0 for the others of its kind), statusboard_target_up (1 for a healthy state), the last check's
duration and time, and the number it was judged by; and the board's own: reloads, refused reloads, check
workers busy, missed rounds.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterator, Optional

from prometheus_client.core import CollectorRegistry, CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from statusboard.vocabulary import BOARD_STATES, Severity

Counters = Callable[[], Dict[str, float]]   # reloads, reloads_refused, workers_busy, missed_rounds


class BoardCollector:
    """Turns the newest snapshot (and the board's counters) into metric families at each scrape."""

    def __init__(self, snapshot: Callable[[], Optional[Any]], counters: Counters,
                 kind_states: Dict[str, Any]) -> None:
        self.snapshot = snapshot
        self.counters = counters
        self.kind_states = kind_states   # kind -> the states it can show (besides the board's own)

    def collect(self) -> Iterator[Metric]:
        """Every family, from the snapshot as it is now."""
        snap = self.snapshot()
        state = GaugeMetricFamily("statusboard_target_state", "1 for the state the target's pixel shows, 0 for "
                                  "the other states of its kind", labels=["target", "kind", "state"])
        up = GaugeMetricFamily("statusboard_target_up", "1 when the target's state is a healthy one",
                               labels=["target", "kind"])
        took = GaugeMetricFamily("statusboard_target_check_duration_seconds", "how long the last check took",
                                 labels=["target", "kind"])
        when = GaugeMetricFamily("statusboard_target_last_check_timestamp_seconds",
                                 "when the last check saw the target (Unix time)", labels=["target", "kind"])
        value = GaugeMetricFamily("statusboard_target_value", "the number the target's state was judged by",
                                  labels=["target", "kind", "unit"])
        if snap is not None:
            for target in snap.board.targets:
                status = snap.statuses.get(target.name)
                if status is None:
                    continue
                labels = [target.name, target.kind]
                for name in sorted(set(BOARD_STATES) | set(self.kind_states.get(target.kind, ())) | {status.state}):
                    state.add_metric(labels + [name], 1.0 if name == status.state else 0.0)
                up.add_metric(labels, 1.0 if status.severity == Severity.OK else 0.0)
                obs = snap.latest.get(target.name)
                if obs is not None and obs.took is not None:
                    took.add_metric(labels, obs.took)
                if status.checked_at is not None:
                    when.add_metric(labels, status.checked_at)
                if status.reading is not None:
                    value.add_metric(labels + [status.reading.unit], status.reading.value)
        yield from (state, up, took, when, value)
        counts = self.counters()
        for name, text in (("reloads", "config reloads asked for"),
                           ("reloads_refused", "reloads refused (the board ran on the config before)"),
                           ("missed_rounds", "times a check came due while its last run had not ended")):
            family = CounterMetricFamily(f"statusboard_{name}", text)
            family.add_metric([], counts.get(name, 0.0))
            yield family
        busy = GaugeMetricFamily("statusboard_check_workers_busy", "checks running or waiting for a worker now")
        busy.add_metric([], counts.get("workers_busy", 0.0))
        yield busy


def exposition(collector: BoardCollector) -> "tuple[str, bytes]":
    """(content type, body) of a scrape."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)   # type: ignore[arg-type]
    return CONTENT_TYPE_LATEST, generate_latest(registry)
