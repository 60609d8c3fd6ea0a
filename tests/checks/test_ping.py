"""Ping checks with real ICMP: loopback answers, a silent host in a test netns does not, names fail clearly."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from typing import Iterator

import pytest

from statusboard.kinds.ping import NOT_ALLOWED, PingCheck, PingSpec, judge
from statusboard.net.icmp import probe_mode
from tests import netns
from tests.conftest import board_from

NETNS_SKIP = netns.why_not()


def target(ping, timeout="2s"):
    board = board_from(f"targets: {{t: {{pixel: [0, 0], timeout: {timeout}, ping: {json.dumps(ping)}}}}}\n")
    return board.targets[0]


@pytest.fixture
def namespace() -> Iterator[netns.Namespace]:
    if NETNS_SKIP:
        pytest.skip(NETNS_SKIP)
    ns = netns.Namespace()
    yield ns
    ns.close()


def test_loopback_answers():
    if probe_mode() is None:
        pytest.skip("this machine allows neither raw nor unprivileged ICMP sockets")
    result = PingCheck().observe(target({"host": "127.0.0.1", "count": 3}))
    assert result.state == "up" and result.detail.startswith("3/3 replies, ")


def test_slow_threshold_on_loopback():
    if probe_mode() is None:
        pytest.skip("this machine allows neither raw nor unprivileged ICMP sockets")
    result = PingCheck().observe(target({"host": "127.0.0.1", "count": 2, "slow": "0.001ms"}))
    assert result.state == "slow" and "(slow: over 0 ms)" in result.detail


def test_silent_host_in_a_namespace_is_down_within_the_timeout(namespace):
    address = namespace.silent_host()
    start = time.monotonic()
    result = PingCheck().observe(target({"host": address, "count": 3}, timeout="1.5s"))
    took = time.monotonic() - start
    assert (result.state, result.detail) == ("down", "3/3 lost")
    assert took < 2.5


def test_unresolvable_name_is_down_and_says_so(namespace):
    """Inside a bare namespace a DNS query has no route out, so the name fails at once and nothing leaves."""
    code = ("import json; from statusboard.kinds.ping import PingCheck; from tests.conftest import board_from;"
            "t = board_from('targets: {t: {pixel: [0, 0], ping: no-such-host.invalid}}').targets[0];"
            "o = PingCheck().observe(t); print(json.dumps([o.state, o.detail]))")
    assert namespace.python(code) == ["down", "cannot resolve no-such-host.invalid"]


def test_http_unresolvable_name_is_down_and_says_so(namespace):
    code = ("import json; from statusboard.kinds.http import HttpCheck; from tests.conftest import board_from;"
            "t = board_from('targets: {t: {pixel: [0, 0], http: \"http://no-such-host.invalid/\"}}').targets[0];"
            "o = HttpCheck().observe(t); print(json.dumps([o.state, o.detail]))")
    assert namespace.python(code) == ["down", "DNS: cannot resolve no-such-host.invalid"]


def test_a_host_without_a_route_is_down_and_says_why_no_request_was_sent(namespace):
    """In a bare namespace (loopback alone) 10.0.0.0/8 has no route: the kernel refuses each echo request, and the
    pixel says why, in the kernel's words."""
    code = ("import json; from statusboard.kinds.ping import PingCheck; from tests.conftest import board_from;"
            "t = board_from('targets: {t: {pixel: [0, 0], timeout: 1s, ping: 10.9.8.7}}').targets[0];"
            "o = PingCheck().observe(t); print(json.dumps([o.state, o.detail]))")
    assert namespace.python(code) == ["down", "no echo request could be sent: network is unreachable"]


def test_no_icmp_permission_gives_unknown_with_advice(namespace):
    """Without CAP_NET_RAW and with ping sockets closed (a new netns's default), the pixel says how to fix it."""
    if subprocess.run(["which", "setpriv"], capture_output=True).returncode != 0:
        pytest.skip("setpriv (util-linux) is not installed")
    code = ("import json; from statusboard.kinds.ping import PingCheck; from statusboard.net.icmp import probe_mode;"
            "from tests.conftest import board_from;"
            "t = board_from('targets: {t: {pixel: [0, 0], ping: 127.0.0.1}}').targets[0];"
            "o = PingCheck().observe(t); print(json.dumps([probe_mode(), o.state, o.detail]))")
    drop = ("setpriv", "--inh-caps=-net_raw", "--bounding-set=-net_raw")
    assert namespace.python(code, *drop) == [None, "unknown", NOT_ALLOWED]


def test_judge_loss_and_rtt():
    spec = PingSpec("h", count=4, loss=0.5)
    assert judge(spec, 4, 4, 1.0) == ("up", "4/4 replies, 1.0 ms")
    assert judge(spec, 4, 3, 1.0) == ("slow", "1/4 lost, 1.0 ms")
    assert judge(spec, 4, 2, 1.0) == ("down", "2/4 lost")
    assert judge(spec, 4, 0, 0.0) == ("down", "4/4 lost")


def test_many_pings_at_once_each_get_their_own_replies():
    """Every raw socket sees every ICMP packet; each check must still count only its own replies."""
    if probe_mode() is None:
        pytest.skip("this machine allows neither raw nor unprivileged ICMP sockets")
    import threading
    check = PingCheck()
    results = []
    targets = [target({"host": f"127.0.0.{i + 1}", "count": 3}) for i in range(24)]
    threads = [threading.Thread(target=lambda t=t: results.append(check.observe(t))) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 24
    assert all(r.state == "up" and r.detail.startswith("3/3 replies") for r in results), results


def test_a_sweep_of_64_hosts_with_8_silent_ends_within_the_timeout(namespace):
    """One sweep, one ICMP socket: 56 loopback addresses answer, 8 targets on a host that ignores pings are
    down, and the whole sweep ends by its timeout (plus 0.1 s)."""
    silent = namespace.silent_host()
    lines = ["defaults: {timeout: 1.5s}", "targets:"]
    for i in range(64):
        host = silent if i % 8 == 7 else f"127.0.0.{i + 1}"
        lines.append(f"  t{i}: {{pixel: [{i % 8}, {i // 8}], ping: {host}}}")
    targets = board_from("\n".join(lines) + "\n").targets
    check = PingCheck()
    check.mode()
    start = time.monotonic()
    results = check.observe_batch(targets, start + 1.5)
    took = time.monotonic() - start
    assert took <= 1.6, f"the sweep took {took:.2f} s"
    states = {r.target: (r.state, r.detail) for r in results}
    assert all(states[f"t{i}"] == ("down", "3/3 lost") for i in range(7, 64, 8))
    assert all(states[f"t{i}"][0] == "up" and states[f"t{i}"][1].startswith("3/3 replies")
               for i in range(64) if i % 8 != 7), states


def test_a_reply_counts_only_for_the_request_it_answers(namespace):
    """Two sweeps at once (two interval/timeout groups), one to silent hosts in a test netns and one to live
    ones, while a system `ping -6` floods ::1 beside them: a silent host never borrows a reply meant for someone
    else (a sweep's, or the flood's, which a raw ICMPv6 socket sees too), in any round."""
    if probe_mode() is not True:
        pytest.skip("raw ICMP sockets need root (the service's mode); this machine does not allow them")
    if shutil.which("ping") is None:
        pytest.skip("iputils' ping is not installed (tests/run.sh installs it)")
    silent4, silent6 = namespace.silent_host(), namespace.silent_host6()
    board = board_from(f"""
        targets:
          quiet4: {{pixel: [0, 0], interval: 4s, timeout: 1.5s, ping: {{host: "{silent4}", count: 4}}}}
          quiet6: {{pixel: [1, 0], interval: 4s, timeout: 1.5s, ping: {{host: "{silent6}", count: 4}}}}
          live4: {{pixel: [2, 0], interval: 5s, timeout: 1.5s, ping: {{host: 127.0.0.1, count: 4}}}}
          live6: {{pixel: [3, 0], interval: 5s, timeout: 1.5s, ping: {{host: "::1", count: 4}}}}
        """)
    quiet, live = list(board.targets[:2]), list(board.targets[2:])
    check = PingCheck(mode=True)
    assert check.group(quiet[0]) != check.group(live[0]), "two groups: two sweeps"
    flood = subprocess.Popen(["ping", "-6", "-f", "-q", "-s", "56", "::1"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    try:
        time.sleep(0.3)
        assert flood.poll() is None, flood.stderr.read()
        for round_ in range(4):
            results = {}

            def sweep(targets):
                for obs in check.observe_batch(targets):
                    results[obs.target] = obs
            threads = [threading.Thread(target=sweep, args=(group,)) for group in (quiet, live)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(10)
            assert (results["quiet4"].state, results["quiet4"].detail) == ("down", "4/4 lost"), round_
            assert (results["quiet6"].state, results["quiet6"].detail) == ("down", "4/4 lost"), round_
            assert results["live4"].state == "up" and results["live6"].state == "up", (round_, results)
    finally:
        flood.terminate()
        flood.wait(5)


@pytest.mark.parametrize("value", ["'ops:hunter2@gateway.example.com'", "{host: 'ops:hunter2@gateway.example.com'}"])
def test_a_host_with_a_password_is_refused_without_showing_it(value):
    from statusboard.errors import ConfigError
    with pytest.raises(ConfigError) as info:
        board_from(f"targets:\n  g: {{pixel: [0, 0], ping: {value}}}\n")
    said = "\n".join(str(p) for p in info.value.problems)
    assert "test.yaml:2: targets.g.ping" in said and "***@gateway.example.com" in said, said
    assert "hunter2" not in said and "ops:" not in said, said
