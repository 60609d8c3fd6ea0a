"""Plain HTTP on http.client (net/plainhttp.py) against real servers on 127.0.0.1: the same request bytes and the
same verdicts as urllib3's, which still takes https, proxies and the URLs it would rewrite."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from typing import Dict, List

import pytest

from statusboard.kinds.http import HttpCheck
from tests.conftest import ROOT, board_from
from tests.servers import Acceptor


class Recorder(Acceptor):
    """Answers each request with the raw answer its path names (ANSWERS), and keeps the raw requests."""

    ANSWERS: Dict[str, bytes] = {
        "/same-length-twice": b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nContent-Length: 6\r\n\r\nneedle",
        "/lengths-in-one": b"HTTP/1.1 200 OK\r\nContent-Length: 6, 7\r\n\r\nneedle",
        "/length-not-a-number": b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nContent-Length: x\r\n\r\nneedle",
        "/two-locations": b"HTTP/1.1 302 Found\r\nLocation: /a\r\nLocation: /b\r\nContent-Length: 0\r\n\r\n",
        "/chunk-size-not-hex": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
        "/no-status-line": b"needle",
    }

    def __init__(self) -> None:
        self.requests: List[bytes] = []
        self.lock = threading.Lock()
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        """Read one request, answer it, close."""
        with conn:
            conn.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                more = conn.recv(4096)
                if not more:
                    return
                data += more
            with self.lock:
                self.requests.append(data)
            path = data.split(b" ")[1].decode().split("?")[0]
            conn.sendall(self.ANSWERS.get(path, b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nneedle"))
            conn.shutdown(socket.SHUT_WR)


@pytest.fixture
def recorder():
    server = Recorder()
    yield server
    server.listener.close()


def observe(url, **extra):
    spec = json.dumps(url if not extra else {"url": url, **extra})
    target = board_from(f"targets: {{t: {{pixel: [0, 0], timeout: 2s, http: {spec}}}}}\n").targets[0]
    return HttpCheck().observe(target)


def test_a_url_urllib3_would_rewrite_goes_through_urllib3_and_is_sent_rewritten(recorder):
    """Dot segments removed, a lower-case escape upper-cased, a character outside the URL set escaped: as urllib3
    sends it (plain http takes only URLs that need none of it)."""
    assert observe(f"http://127.0.0.1:{recorder.port}/a/./b/../c?x=%2f&y=\u00e9").state == "up"
    assert observe(f"http://127.0.0.1:{recorder.port}/a/c?x=%2F&y=%C3%A9").state == "up"
    lines = [r.split(b"\r\n")[0] for r in recorder.requests]
    assert lines == [b"GET /a/c?x=%2F&y=%C3%A9 HTTP/1.1"] * 2


def test_plain_http_and_urllib3_send_the_same_request(recorder):
    """The same headers, in the same order, byte for byte (the first through urllib3, which removes its dot
    segment; the second on http.client)."""
    url = f"http://us%40er:pa%3Ass@127.0.0.1:{recorder.port}"
    assert observe(f"{url}/./x?q=1").state == "up"
    assert observe(f"{url}/x?q=1").state == "up"
    first, second = recorder.requests
    assert first == second
    assert first.startswith(b"GET /x?q=1 HTTP/1.1\r\nHost: 127.0.0.1:") and b"Authorization: Basic " in first


@pytest.mark.parametrize("path, state, detail", [
    ("/same-length-twice", "up", "HTTP 200"),
    ("/lengths-in-one", "down", "not a valid HTTP answer: Content-Length contained multiple unmatching values (6, 7)"),
    ("/length-not-a-number", "up", "HTTP 200"),   # the length unknown: the body ends with the connection
    ("/two-locations", "up", "HTTP 200"),          # followed to "/a, /b", as urllib3 joins them
    ("/chunk-size-not-hex", "down", "the answer broke off mid-body"),
    ("/no-status-line", "down", "not a valid HTTP answer: needle"),
])
def test_framing_follows_urllib3s_rules_on_plain_http(recorder, path, state, detail):
    result = observe(f"http://127.0.0.1:{recorder.port}{path}", contains="needle")
    assert (result.state, result.detail.split(" in ")[0]) == (state, detail)


def test_the_redirect_with_two_locations_asks_for_both_joined(recorder):
    observe(f"http://127.0.0.1:{recorder.port}/two-locations")
    assert recorder.requests[-1].split(b"\r\n")[0] == b"GET /a,%20/b HTTP/1.1"


def test_a_board_of_plain_http_targets_loads_no_urllib3(web):
    """Only an https check (or a proxy, or a URL urllib3 rewrites) loads it, at the first such check."""
    code = f"""
import sys
from statusboard.net.ask import Asker
asker = Asker()
answer, why = asker.get("http://127.0.0.1:{web.port}/redirect", "u", 2.0, None)
assert why is None and answer.status == 200, why
plain = sorted(m for m in sys.modules if m.split(".")[0] in ("urllib3", "requests"))
asker.get("http://127.0.0.1:{web.port}/a/../ok", "u", 2.0, None)
print(plain, "urllib3" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["[]", "True"]



def test_an_answers_headers_read_as_urllib3s_do():
    """By name in any case; a name given twice reads as its values joined by ", "; each name once, as first spelt."""
    import http.client
    import io
    from statusboard.net.plainhttp import Headers
    message = http.client.parse_headers(io.BytesIO(b"Content-Type: a\r\nX-A: 1\r\ncontent-type: b\r\nZ: 2\r\n\r\n"))
    headers = Headers(message)
    assert headers.get("CONTENT-TYPE") == "a, b" and headers.get("missing") is None
    assert dict(headers) == {"Content-Type": "a, b", "X-A": "1", "Z": "2"} and len(headers) == 3
