"""HTTP checks against real servers on 127.0.0.1: each failure gives `down` and says which failure it was."""

from __future__ import annotations

import base64
import json
import time

import pytest

from statusboard.checks.http import HttpCheck
from tests.conftest import board_from


def target(http, timeout="2s", **extra):
    spec = json.dumps(http if not extra else {"url": http, **extra})
    board = board_from(f"targets: {{t: {{pixel: [0, 0], timeout: {timeout}, http: {spec}}}}}\n")
    return board.targets[0]


def observe(t):
    start = time.monotonic()
    result = HttpCheck().observe(t)
    return result, time.monotonic() - start


def test_up(web):
    result, _ = observe(target(f"http://127.0.0.1:{web.port}/ok"))
    assert result.state == "up" and result.severity.value == "ok"
    assert result.detail.startswith("HTTP 200 in ") and result.detail.endswith(" ms")


def test_500_is_down(web):
    result, _ = observe(target(f"http://127.0.0.1:{web.port}/fail"))
    assert (result.state, result.detail.split(" in ")[0]) == ("down", "HTTP 500")


def test_expected_status_and_contains(web):
    base = f"http://127.0.0.1:{web.port}"
    assert observe(target(f"{base}/notfound", status=404))[0].state == "up"
    wrong = observe(target(f"{base}/ok", status=[201, 204]))[0]
    assert wrong.state == "down" and wrong.detail.endswith("(expected 201 or 204)")
    assert observe(target(f"{base}/ok", contains='"ok"'))[0].state == "up"
    lacking = observe(target(f"{base}/ok", contains="healthy"))[0]
    assert lacking.state == "down" and "the body lacks 'healthy'" in lacking.detail


def test_slow_threshold(web):
    result, _ = observe(target(f"http://127.0.0.1:{web.port}/slow", slow="200ms"))
    assert result.state == "slow" and "(slow: over 200 ms)" in result.detail


def test_never_answering_server_times_out_at_the_deadline(silent_port):
    result, took = observe(target(f"http://127.0.0.1:{silent_port}/", timeout="1s"))
    assert result.state == "down" and result.detail == "timeout: no complete answer within 1 s"
    assert 0.9 < took < 1.8


@pytest.mark.parametrize("route", ["/drip", "/drip-headers"])
def test_dripping_server_cannot_hold_a_check_past_its_timeout(web, route):
    """requests' timeout is per read; a byte every 0.25 s would never trip it. The deadline is total."""
    result, took = observe(target(f"http://127.0.0.1:{web.port}{route}", timeout="1s"))
    assert result.state == "down" and result.detail == "timeout: no complete answer within 1 s"
    assert took < 1.8


def test_a_tls_handshake_that_drips_ends_at_the_deadline():
    """A server that starts a TLS record and then sends a byte every 0.2 s: each read gets something, so only
    the check's deadline can end it."""
    import socket
    import threading
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drip():
        conn, _ = listener.accept()
        with conn:
            conn.sendall(b"\x16\x03\x03\x40\x00")   # a handshake record of 16 KB, to come
            while not stop.wait(0.2):
                try:
                    conn.sendall(b"\x02")
                except OSError:
                    return

    threading.Thread(target=drip, daemon=True).start()
    try:
        result, took = observe(target(f"https://127.0.0.1:{listener.getsockname()[1]}/", timeout="1s"))
    finally:
        stop.set()
        listener.close()
    assert result.state == "down" and result.detail == "timeout: no complete answer within 1 s"
    assert took < 1.8


def test_refused(refused_port):
    result, took = observe(target(f"http://127.0.0.1:{refused_port}/"))
    assert (result.state, result.detail) == ("down", "connection refused") and took < 1


def test_redirect_loop(web):
    result, _ = observe(target(f"http://127.0.0.1:{web.port}/loop"))
    assert (result.state, result.detail) == ("down", "redirect loop: too many redirects")


def test_body_read_is_capped(web):
    """The needle sits after 3 MB; only the first 1 MB is read."""
    result, _ = observe(target(f"http://127.0.0.1:{web.port}/big", contains="needle"))
    assert result.state == "down" and "lacks 'needle'" in result.detail


def test_self_signed_tls_fails_unless_verify_false(tls_web):
    url = f"https://localhost:{tls_web.port}/ok"
    strict, _ = observe(target(url))
    assert strict.state == "down" and strict.detail.startswith("TLS error: ")
    assert "self-signed certificate" in strict.detail or "self signed certificate" in strict.detail
    relaxed, _ = observe(target(url, verify=False))
    assert relaxed.state == "up", relaxed.detail


def test_a_trusted_certificate_is_accepted_only_for_the_names_in_its_alt_names(tls_web, tmp_path, monkeypatch):
    """As browsers hold: a certificate that names its host only in the common name does not name it."""
    from tests import servers
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_web.cert))
    assert observe(target(f"https://localhost:{tls_web.port}/ok"))[0].state == "up"
    old_style = servers.tls_server(tmp_path, alt_name=False)
    server = next(old_style)
    try:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.cert))
        result, _ = observe(target(f"https://localhost:{server.port}/ok"))
    finally:
        old_style.close()
    assert result.state == "down" and result.detail.startswith("TLS error: Hostname mismatch"), result.detail


def test_no_threads_left_behind(web, silent_port):
    import threading
    before = threading.active_count()
    for _ in range(3):
        observe(target(f"http://127.0.0.1:{silent_port}/", timeout="0.3s"))
        observe(target(f"http://127.0.0.1:{web.port}/ok"))
    time.sleep(0.1)
    assert threading.active_count() <= before + 1


def test_a_relative_redirect_is_followed(web):
    result, _ = observe(target(f"http://127.0.0.1:{web.port}/redirect", contains='"ok"'))
    assert result.state == "up" and result.detail.startswith("HTTP 200 in "), result.detail


def test_a_chunked_body_is_read_whole(web):
    assert observe(target(f"http://127.0.0.1:{web.port}/chunked", contains="the needle"))[0].state == "up"


@pytest.mark.parametrize("route", ["/gzip", "/deflate", "/rawdeflate"])
def test_compressed_bodies_are_searched_decompressed(web, route):
    result, _ = observe(target(f"http://127.0.0.1:{web.port}{route}", contains="needle"))
    assert result.state == "up", result.detail


def test_a_decompression_bomb_stops_at_the_cap(web):
    """512 MB of zeros in half a megabyte of gzip: only the first 1 MB is produced, quickly and in little memory."""
    import resource
    from tests import servers
    servers.bomb()   # made before the clock starts
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result, took = observe(target(f"http://127.0.0.1:{web.port}/bomb", contains="needle"))
    assert result.state == "down" and "lacks 'needle'" in result.detail
    assert took < 1.5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 64 * 1024, "KB of peak memory"


def test_a_broken_encoding_or_a_hang_up_is_down_and_says_so(web):
    broken, _ = observe(target(f"http://127.0.0.1:{web.port}/badgzip"))
    assert (broken.state, broken.detail) == ("down", "the body's gzip encoding is broken")
    hangup, _ = observe(target(f"http://127.0.0.1:{web.port}/hangup"))
    assert (hangup.state, hangup.detail) == ("down", "the server closed the connection without an answer")


@pytest.fixture
def proxy(web, tls_web):
    from tests import servers
    server = servers.Proxy(web.port, tls_web.port)
    yield server
    server.stop()


def test_http_goes_through_the_proxy_the_environment_names(proxy, refused_port, monkeypatch):
    """The URL's own port refuses; only the proxy, which serves the web app, can make this check up."""
    monkeypatch.setenv("http_proxy", proxy.url.replace("://", "://board:s%40cret@"))
    result, _ = observe(target(f"http://localhost:{refused_port}/ok?x=1", contains='"ok"'))
    assert result.state == "up", result.detail
    assert proxy.seen == [("GET", f"http://localhost:{refused_port}/ok?x=1")]
    assert proxy.credentials == ["Basic " + base64.b64encode(b"board:s@cret").decode()]


def test_https_tunnels_through_the_proxy_and_verifies_the_server(proxy, tls_web, refused_port, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    url = f"https://localhost:{refused_port}/ok"
    strict, _ = observe(target(url))
    assert strict.state == "down" and "self-signed certificate" in strict.detail.replace("self signed", "self-signed")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_web.cert))
    trusted, _ = observe(target(url, contains='"ok"'))
    assert trusted.state == "up", trusted.detail
    assert proxy.seen == [("CONNECT", f"localhost:{refused_port}")] * 2


def test_no_proxy_goes_straight(proxy, web, monkeypatch):
    monkeypatch.setenv("http_proxy", proxy.url)
    monkeypatch.setenv("no_proxy", "localhost,127.0.0.1")
    assert observe(target(f"http://127.0.0.1:{web.port}/ok"))[0].state == "up"
    assert proxy.seen == []


def test_a_proxy_that_refuses_the_tunnel_is_named(web, refused_port, monkeypatch):
    from tests import servers
    closed = servers.Proxy(web.port, None)
    try:
        monkeypatch.setenv("https_proxy", closed.url)
        result, _ = observe(target(f"https://localhost:{refused_port}/ok"))
    finally:
        closed.stop()
    assert (result.state, result.detail) == ("down", "the proxy 127.0.0.1 answered 403 no tunnels here to CONNECT")
