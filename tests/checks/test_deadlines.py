"""Every check ends within its timeout, whatever the network does: a resolver that never answers, a host
whose addresses are dead, a dual-stack name with one dead family, an EC2 endpoint that drips or never answers,
a ping of many echoes. Name resolution is tested in network namespaces the tests make, whose /etc/resolv.conf
points at a resolver (on the namespace's own loopback) that never answers."""

from __future__ import annotations

import json
import textwrap
import time
from typing import Iterator

import pytest

from statusboard.kinds import make_checks
from statusboard.kinds.ping import PingCheck; from statusboard.net.icmp import probe_mode
from tests import aws, netns
from tests.conftest import board_from

NETNS_SKIP = netns.why_not()
MARGIN = 0.5   # what a check may take past its timeout: thread wake-ups, not network waits

# Runs in the namespace: a resolver that takes questions and never answers, then one check of the first target.
CHECK = """
import json, socket, sys, threading, time
from http.server import ThreadingHTTPServer
silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
silent.bind(("127.0.0.1", 53))
from tests.servers import Handler
class V6(ThreadingHTTPServer):
    address_family = socket.AF_INET6
web = V6(("::1", 8080), Handler)
threading.Thread(target=web.serve_forever, daemon=True).start()
from statusboard.kinds import parse
from statusboard.kinds import make_checks
board = parse({config!r})
target = board.targets[0]
check = make_checks([target.kind], aws=board.aws)[target.kind]
if hasattr(check, "client"):   # AWS: the client is made off the critical path; a check then has its whole timeout
    check.client(check.group(target))
start = time.monotonic()
obs = check.observe(target, start + target.timeout)
print(json.dumps({{"took": time.monotonic() - start, "state": obs.state, "detail": obs.detail}}))
"""
HOSTS = """127.0.0.1 localhost
::1 localhost
10.252.0.7 dead3.test
10.252.0.8 dead3.test
10.252.0.9 dead3.test
10.252.0.9 dual.test
::1 dual.test
"""


@pytest.fixture
def world() -> Iterator[netns.Namespace]:
    """A namespace whose resolver never answers, whose 10.252.0.0/24 swallows packets, and where IPv4 comes
    first in address order (so a dead IPv4 address is tried before a live IPv6 one)."""
    if NETNS_SKIP:
        pytest.skip(NETNS_SKIP)
    ns = netns.Namespace()
    ns.etc("resolv.conf", "nameserver 127.0.0.1\noptions timeout:5 attempts:2\n")
    ns.etc("hosts", HOSTS)
    ns.etc("gai.conf", "precedence ::ffff:0:0/96 100\n")
    ns.dead_net("10.252.0.0/24")
    yield ns
    ns.close()


def check_in(ns: netns.Namespace, config: str, **env: str) -> dict:
    return ns.python(CHECK.format(config=textwrap.dedent(config)), **env)


def test_http_to_a_name_the_resolver_never_answers_ends_in_time(world):
    got = check_in(world, "targets: {t: {pixel: [0, 0], timeout: 1s, http: 'http://never.test/'}}")
    assert got["took"] < 1 + MARGIN, got
    assert (got["state"], got["detail"]) == ("down", "DNS: no answer for never.test within 1 s")


# Runs in the namespace: the same silent resolver, and many checks of names it never answers, one after another.
MANY = """
import json, socket, threading, time
silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
silent.bind(("127.0.0.1", 53))
from statusboard.kinds import parse
from statusboard.kinds import make_checks
names = ["never.test"] * 40 + [f"n{i}.never.test" for i in range(40)]
board = parse("targets:\\n" + "".join(f"  t{i}: {{pixel: [{i % 16}, {i // 16}], timeout: 0.1s, interval: 1s, "
              f"http: 'http://{name}/'}}\\n" for i, name in enumerate(names)) + "display: {layout: hd}\\n")
check = make_checks(["http"])["http"]
states = set()
for target in board.targets:
    states.add(check.observe(target, time.monotonic() + target.timeout).state)
resolving = [t for t in threading.enumerate() if t.name == "resolver"]
print(json.dumps({"states": sorted(states), "resolving": len(resolving)}))
"""


def test_a_resolver_that_never_answers_holds_a_bounded_number_of_threads(world):
    got = world.python(MANY)
    assert got["states"] == ["down"]
    assert 1 <= got["resolving"] <= 16, got


LOCAL_NAMES = """
import json, socket, threading, time
from concurrent.futures import ThreadPoolExecutor
from statusboard.net.connect import resolve
silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
silent.bind(("127.0.0.1", 53))
def never(name):
    try:
        resolve(name, 80, time.monotonic() + 3)
    except OSError:
        pass
for i in range(3):   # names the resolver never answers hold three threads meanwhile
    threading.Thread(target=never, args=(f"never{i}.test",), daemon=True).start()
time.sleep(0.2)
names = [f"n{i}.test" for i in range(40)] * 2   # 40 names from the hosts file, each asked twice, many ports
with ThreadPoolExecutor(len(names)) as pool:
    got = list(pool.map(lambda n: resolve(names[n], 1000 + n, time.monotonic() + 2)[0][4], range(len(names))))
print(json.dumps({"got": got}))
"""


def test_many_names_asked_at_once_all_resolve(world):
    """The bound on resolver threads makes questions wait for room, never fail while the resolver answers them,
    even with names it never answers waiting beside them."""
    world.etc("hosts", HOSTS + "".join(f"127.0.0.{i + 1} n{i}.test\n" for i in range(40)))
    got = world.python(LOCAL_NAMES)["got"]
    assert got == [[f"127.0.0.{n % 40 + 1}", 1000 + n] for n in range(80)]


def test_ping_to_a_name_the_resolver_never_answers_ends_in_time(world):
    got = check_in(world, "targets: {t: {pixel: [0, 0], timeout: 1s, ping: never.test}}")
    assert got["took"] < 1 + MARGIN, got
    assert got["state"] == "down" and "cannot resolve never.test: no answer" in got["detail"]


def test_ec2_through_an_endpoint_name_that_never_resolves_ends_in_time(world):
    got = check_in(world, "aws: {region: eu-west-1}\n"
                          "targets: {t: {pixel: [0, 0], timeout: 1s, ec2: i-0123456789abcdef0}}",
                   **aws.env("http://never.test:4566"))
    assert got["took"] < 1 + MARGIN, got
    assert got["state"] == "unknown" and "within 1 s" in got["detail"], got


def test_a_name_with_three_dead_addresses_ends_in_time(world):
    got = check_in(world, "targets: {t: {pixel: [0, 0], timeout: 1.5s, http: 'http://dead3.test:8080/ok'}}")
    assert got["took"] < 1.5 + MARGIN, got
    assert got["state"] == "down" and "timeout" in got["detail"]


def test_a_dual_stack_name_with_a_dead_first_address_is_up(world):
    """RFC 8305: the next address is tried 250 ms after the first, which is left to go on."""
    got = check_in(world, "targets: {t: {pixel: [0, 0], timeout: 3s, http: 'http://dual.test:8080/ok'}}")
    assert (got["state"], got["took"] < 1.0) == ("up", True), got


def test_ec2_endpoint_that_drips_or_never_answers_ends_in_time(web, silent_port, monkeypatch):
    board = board_from("aws: {region: eu-west-1}\n"
                       "targets: {t: {pixel: [0, 0], timeout: 1s, ec2: i-0123456789abcdef0}}\n")
    for endpoint in (f"http://127.0.0.1:{web.port}/drip-headers", f"http://127.0.0.1:{silent_port}/"):
        for key, value in aws.env(endpoint).items():
            monkeypatch.setenv(key, value)
        check = make_checks(["ec2"], aws=board.aws)["ec2"]
        check.client(check.group(board.targets[0]), 1.0)   # botocore's model is loaded outside the deadline
        start = time.monotonic()
        obs = check.observe(board.targets[0], start + 1.0)
        took = time.monotonic() - start
        assert took < 1 + MARGIN, (endpoint, took)
        assert obs.state == "unknown" and "no answer from the EC2 endpoint for eu-west-1 within 1 s" in obs.detail


@pytest.mark.parametrize("kind, spec, label", [("ec2", "i-0123456789abcdef0", "EC2"),
                                               ("cloudwatch", "api-errors", "CloudWatch")])
def test_an_aws_endpoint_that_drips_its_answer_over_tls_ends_in_time(tmp_path, monkeypatch, kind, spec, label):
    """Real AWS is HTTPS: a TLS front that completes the handshake and then stalls must not hold the check."""
    from tests import servers
    board = board_from(f"aws: {{region: eu-west-1}}\ntargets: {{t: {{pixel: [0, 0], timeout: 1s, {kind}: {spec}}}}}\n")
    with servers.DrippingTLS(tmp_path) as drip:
        for key, value in aws.env(f"https://localhost:{drip.port}", AWS_CA_BUNDLE=str(drip.cert)).items():
            monkeypatch.setenv(key, value)
        check = make_checks([kind], aws=board.aws)[kind]
        check.client(check.group(board.targets[0]), 1.0)   # botocore's model is loaded outside the deadline
        start = time.monotonic()
        obs = check.observe(board.targets[0], start + 1.0)
        took = time.monotonic() - start
    assert took < 1 + MARGIN, took
    assert obs.state == "unknown" and f"no answer from the {label} endpoint for eu-west-1 within 1 s" in obs.detail


def test_an_http_target_that_drips_its_answer_over_tls_ends_in_time(tmp_path, monkeypatch):
    from statusboard.kinds.http import HttpCheck
    from tests import servers
    with servers.DrippingTLS(tmp_path) as drip:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(drip.cert))
        board = board_from(f"targets: {{t: {{pixel: [0, 0], timeout: 1s, http: 'https://localhost:{drip.port}/'}}}}\n")
        start = time.monotonic()
        obs = HttpCheck().observe(board.targets[0], start + 1.0)
        took = time.monotonic() - start
    assert took < 1 + MARGIN, took
    assert (obs.state, obs.detail) == ("down", "timeout: no complete answer within 1 s")


def test_many_echoes_to_a_silent_host_end_within_the_timeout():
    if NETNS_SKIP:
        pytest.skip(NETNS_SKIP)
    if probe_mode() is None:
        pytest.skip("this machine allows neither raw nor unprivileged ICMP sockets")
    ns = netns.Namespace()
    try:
        address = ns.silent_host()
        board = board_from(f"targets: {{t: {{pixel: [0, 0], timeout: 1s, ping: {{host: {address}, count: 20}}}}}}\n")
        start = time.monotonic()
        obs = PingCheck().observe(board.targets[0], start + 1.0)
        took = time.monotonic() - start
    finally:
        ns.close()
    assert took < 1 + MARGIN, took
    assert obs.state == "down" and obs.detail == "20/20 lost"


def test_many_echoes_to_loopback_all_answer_within_the_timeout():
    if probe_mode() is None:
        pytest.skip("this machine allows neither raw nor unprivileged ICMP sockets")
    board = board_from("targets: {t: {pixel: [0, 0], timeout: 1s, ping: {host: 127.0.0.1, count: 20}}}\n")
    start = time.monotonic()
    obs = PingCheck().observe(board.targets[0], start + 1.0)
    assert time.monotonic() - start < 1 + MARGIN
    assert obs.state == "up" and obs.detail.startswith("20/20 replies"), json.dumps(obs.detail)


def test_an_https_target_with_a_ca_bundle_that_is_a_fifo_ends_in_time_with_the_reason(tmp_path, monkeypatch):
    import os

    from statusboard.kinds.http import HttpCheck
    fifo = tmp_path / "ca.pem"
    os.mkfifo(fifo)   # nothing writes to it: ssl would wait for ever to read it
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fifo))
    board = board_from("targets: {t: {pixel: [0, 0], timeout: 1s, http: 'https://localhost:1/'}}\n")
    start = time.monotonic()
    obs = HttpCheck().observe(board.targets[0], start + 1.0)
    assert time.monotonic() - start < 1 + MARGIN
    assert obs.detail == f"the CA bundle {fifo} is not a regular file (a pipe, socket or device): it is not read"
