"""HTTP checks against real servers on 127.0.0.1: each failure gives `down` and says which failure it was."""

from __future__ import annotations

import base64
import dataclasses
import logging
import json
import time

import pytest

from statusboard.kinds.http import HttpCheck
from tests.conftest import board_from


def target(http, timeout="2s", **extra):
    spec = json.dumps(http if not extra else {"url": http, **extra})
    board = board_from(f"targets: {{t: {{pixel: [0, 0], timeout: {timeout}, http: {spec}}}}}\n")
    return board.targets[0]


def observe(t):
    return observe_with(HttpCheck(), t)


def observe_with(check, t):
    start = time.monotonic()
    result = check.observe(t)
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


def test_a_body_cut_short_or_framed_twice_is_down(web):
    cut, _ = observe(target(f"http://127.0.0.1:{web.port}/cut"))
    assert (cut.state, cut.detail) == ("down", "the answer broke off mid-body")
    twice, _ = observe(target(f"http://127.0.0.1:{web.port}/two-lengths"))
    assert twice.state == "down" and twice.detail.startswith("not a valid HTTP answer: "), twice.detail


@pytest.mark.parametrize("route", ["/gzip-gzip", "/multigzip"])
def test_stacked_and_multi_member_gzip_are_decoded(web, route):
    result, _ = observe(target(f"http://127.0.0.1:{web.port}{route}", contains="needle"))
    assert result.state == "up", result.detail


def test_a_deflate_body_that_is_not_deflate_is_down_in_one_line(web, caplog):
    caplog.set_level(logging.DEBUG, logger="statusboard")
    result, _ = observe(target(f"http://127.0.0.1:{web.port}/notdeflate"))
    assert (result.state, result.detail) == ("down", "the body's deflate encoding is broken")
    ours = [r for r in caplog.records if r.name.startswith("statusboard")]
    assert len(ours) <= 1 and not any(r.exc_info for r in ours) and "Traceback" not in caplog.text


def test_memory_stays_flat_over_a_thousand_checks_of_wandering_redirects(web):
    """Each check is redirected to a new 6 kB URL: nothing of it may be kept from one check to the next (a
    URL is kept in Python's own bounded cache of 128 parsed URLs); a 60 kB one is refused."""
    huge, _ = observe(target(f"http://127.0.0.1:{web.port}/wander?pad=60000"))
    assert (huge.state, huge.detail) == ("down", "a redirect to a URL of 58 KB (a check follows URLs of at most 8 KB)")
    import gc
    import tracemalloc
    t = target(f"http://127.0.0.1:{web.port}/wander", contains='"ok"')
    check = HttpCheck()
    for _ in range(20):   # what is made once (TLS contexts, imports) is made before measuring
        check.observe(t)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(1000):
            assert check.observe(t).state == "up"
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 5 * 1024 * 1024, f"{grown / 1e6:.1f} MB kept over 1,000 checks"


def test_credentials_go_to_their_host_and_no_other(web):
    """Basic credentials (UTF-8) from the URL: kept on a redirect within the host, dropped on one away."""
    here, _ = observe(target(f"http://us%C3%A9r:p%40ss@127.0.0.1:{web.port}/here", contains="authorization: Basic"))
    assert here.state == "up", here.detail
    expected = "authorization: Basic " + base64.b64encode("usér:p@ss".encode()).decode()
    assert observe(target(f"http://usér:p%40ss@127.0.0.1:{web.port}/auth", contains=expected))[0].state == "up"
    away, _ = observe(target(f"http://user:pass@127.0.0.1:{web.port}/away", contains="authorization: None"))
    assert away.state == "up", away.detail


@pytest.mark.parametrize("no_proxy", ["127.0.0.0/8", "127.0.0.1", ".0.0.1", "*"])
def test_no_proxy_in_every_form_requests_knows(proxy, web, monkeypatch, no_proxy):
    monkeypatch.setenv("http_proxy", proxy.url)
    monkeypatch.setenv("no_proxy", no_proxy)
    assert observe(target(f"http://127.0.0.1:{web.port}/ok"))[0].state == "up"
    assert proxy.seen == []


def test_no_proxy_names_an_ipv6_address(proxy, monkeypatch):
    import socket
    import threading
    from http.server import ThreadingHTTPServer

    from tests.servers import Handler

    class V6(ThreadingHTTPServer):
        address_family = socket.AF_INET6

    try:
        server = V6(("::1", 0), Handler)
    except OSError as exc:
        pytest.skip(f"no IPv6 loopback here: {exc}")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("http_proxy", proxy.url)
        monkeypatch.setenv("no_proxy", "::1")
        result, _ = observe(target(f"http://[::1]:{server.server_address[1]}/ok"))
    finally:
        server.shutdown()
        server.server_close()
    assert result.state == "up", result.detail
    assert proxy.seen == []


def test_an_international_name_is_asked_for_by_idna_2008_through_the_tunnel(tmp_path, refused_port, monkeypatch):
    """faß.example is xn--fa-hia.example under IDNA 2008; IDNA 2003 would make it fass.example, another host."""
    from tests import servers
    cert, key = servers.self_signed(tmp_path, alt_name="xn--fa-hia.example")
    server = servers.Server(servers.server_context(cert, key))
    tunnel = servers.Proxy(server.port, server.port)
    try:
        monkeypatch.setenv("https_proxy", tunnel.url)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
        result, _ = observe(target(f"https://faß.example:{refused_port}/ok", contains='"ok"'))
    finally:
        tunnel.stop()
        server.stop()
    assert result.state == "up", result.detail
    assert tunnel.seen == [("CONNECT", f"xn--fa-hia.example:{refused_port}")]


def test_a_name_with_its_trailing_dot_is_the_same_host(tls_web, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_web.cert))
    result, _ = observe(target(f"https://localhost.:{tls_web.port}/ok"))
    assert result.state == "up", result.detail


def test_a_ca_directory_is_a_ca_store(tls_web, tmp_path, monkeypatch):
    import shutil
    import subprocess
    store = tmp_path / "store"
    store.mkdir()
    shutil.copy(tls_web.cert, store / "test-ca.pem")
    subprocess.run(["openssl", "rehash", str(store)], check=True, capture_output=True)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(store))
    result, _ = observe(target(f"https://localhost:{tls_web.port}/ok"))
    assert result.state == "up", result.detail


def test_an_https_proxy_is_spoken_to_over_tls(web, tls_web, refused_port, tmp_path, monkeypatch):
    from tests import servers
    cert, key = servers.self_signed(tmp_path)
    secure = servers.Proxy(web.port, tls_web.port, context=servers.server_context(cert, key))
    try:
        monkeypatch.setenv("http_proxy", secure.url)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
        assert secure.url.startswith("https://localhost:")
        result, _ = observe(target(f"http://localhost:{refused_port}/ok", contains='"ok"'))
    finally:
        secure.stop()
    assert result.state == "up", result.detail
    assert secure.seen == [("GET", f"http://localhost:{refused_port}/ok")]


def test_a_socks_proxy_carries_the_check(web, refused_port, monkeypatch):
    pytest.importorskip("socks", reason="PySocks is not installed")
    from tests import servers
    relay = servers.Socks5(web.port)
    try:
        monkeypatch.setenv("all_proxy", relay.url)
        result, _ = observe(target(f"http://somewhere.test:{refused_port}/ok", contains='"ok"'))
    finally:
        relay.stop()
    assert result.state == "up", result.detail
    assert relay.seen == [("somewhere.test", refused_port)], "the proxy resolves the name (socks5h)"


def test_a_tls_server_that_drips_its_answer_is_cut_at_the_deadline(tmp_path):
    from tests import servers
    with servers.DrippingTLS(tmp_path) as drip:
        result, took = observe(target(f"https://localhost:{drip.port}/", timeout="1s", verify=False))
    assert result.state == "down" and result.detail == "timeout: no complete answer within 1 s"
    assert took < 1.5


@pytest.fixture
def tls_app(tmp_path, monkeypatch):
    """The web app over TLS, trusted, answering as SecondAsk does; `second` is set by the test."""
    from tests import servers
    cert, key = servers.self_signed(tmp_path)
    server = servers.Server(servers.server_context(cert, key), handler=servers.SecondAsk)
    server.second = None
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    yield server
    server.close_all()


def test_https_checks_keep_their_connection_for_a_while_then_open_a_new_one(tls_app, monkeypatch):
    from statusboard.net import httppool
    t = target(f"https://localhost:{tls_app.port}/ok", contains='"ok"')
    check = HttpCheck()
    assert all(check.observe(t).state == "up" for _ in range(10))
    assert tls_app.accepted == 1, "one TLS handshake for ten checks"
    monkeypatch.setattr(httppool, "REUSE_FOR", 0.0)   # every connection now too old to serve another check
    assert all(check.observe(t).state == "up" for _ in range(5))
    assert tls_app.accepted == 6, "a new visitor's connection, once a kept one has served its time"


def test_plain_http_checks_connect_afresh_every_time(web):
    t = target(f"http://127.0.0.1:{web.port}/ok")
    check = HttpCheck()
    before = web.accepted
    assert all(check.observe(t).state == "up" for _ in range(5))
    assert web.accepted - before == 5


def test_a_server_that_went_away_is_down_at_the_next_check(tls_app):
    t = target(f"https://localhost:{tls_app.port}/ok")
    check = HttpCheck()
    assert check.observe(t).state == "up"
    tls_app.close_all()
    result = check.observe(t)
    assert (result.state, result.detail) == ("down", "connection refused")


def test_a_kept_connection_dropped_as_it_is_used_is_asked_again_on_a_new_one(tls_app):
    tls_app.second = "close"   # the server's keep-alive timeout fires as the second check asks
    t = target(f"https://localhost:{tls_app.port}/ok")
    check = HttpCheck()
    assert check.observe(t).state == "up"
    second = check.observe(t)
    assert second.state == "up", second.detail
    assert tls_app.accepted == 2


def test_a_kept_connection_is_under_the_deadline_of_the_check_that_uses_it(tls_app):
    tls_app.second = "drip"
    t = target(f"https://localhost:{tls_app.port}/ok", timeout="1s")
    check = HttpCheck()
    assert check.observe(t).state == "up"
    result, took = observe_with(check, t)
    assert (result.state, result.detail) == ("down", "timeout: no complete answer within 1 s")
    assert took < 1.5


def test_a_host_name_no_request_can_be_sent_to_is_not_called_a_redirect():
    """check refuses it; a target made without check (as an older config was) says what is wrong with the URL."""
    target = board_from("targets: {t: {pixel: [0, 0], http: 'http://127.0.0.1:1/'}}\n").targets[0]
    snowman = dataclasses.replace(target, spec=dataclasses.replace(target.spec, url="http://\u2603.example/"))
    obs = HttpCheck().observe(snowman)
    assert (obs.state, obs.detail) == ("down", "not a URL the HTTP client can ask (its host name?)")
