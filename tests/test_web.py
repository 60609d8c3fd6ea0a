"""The board's web page, API, event stream and /metrics, served by a running board on 127.0.0.1: read-only,
live within a second, no secret shown, bounded against hostile clients, and scraped by a real Prometheus."""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import List, Optional, Tuple

import pytest
import requests

from statusboard.daemon import Runner
from statusboard.demo.stores import free_port
from statusboard.display.fake import FakeDisplay
from statusboard.kinds import parse
from tests import prometheus as prom
from tests.conftest import wait_for
from tests.servers import Switch


def board_text(port: int, *targets: str, interval: str = "0.3s", hosts: str = "") -> str:
    return "\n".join([f"web: {{listen: 127.0.0.1:{port}" + (f", hosts: {hosts}" if hosts else "") + "}",
                      f"defaults: {{interval: {interval}, timeout: {interval}, fail_after: 1}}", "targets:"]
                     + [f"  {t}" for t in targets]) + "\n"


class Running:
    """A board with a web section, in a thread, for a with block; `url` is its page."""

    def __init__(self, *targets: str, interval: str = "0.3s", hosts: str = "") -> None:
        self.port = free_port()
        board = parse(board_text(self.port, *targets, interval=interval, hosts=hosts), "board.yaml")
        self.runner = Runner(board, FakeDisplay(board.display), keep_files=True)
        self.thread = threading.Thread(target=self.runner.run, daemon=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "Running":
        self.thread.start()
        wait_for(lambda: self.runner.outputs.web.server is not None, what="the page served")
        return self

    def __exit__(self, *exc: object) -> None:
        self.runner.stop()
        self.thread.join(15)
        assert not self.thread.is_alive()

    def state(self, name: str) -> str:
        return self.runner.table.status(name, time.monotonic()).state


class Events:
    """A Server-Sent Events client on a plain socket: every document received, with when it came."""

    def __init__(self, url: str) -> None:
        host, port = url.split("//")[1].split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.sock.sendall(b"GET /events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n")
        self.docs: List[Tuple[float, dict]] = []
        self.head = b""
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return
                buffer += data
                if not self.head and b"\r\n\r\n" in buffer:
                    self.head, buffer = buffer.split(b"\r\n\r\n", 1)
                while b"\n\n" in buffer:
                    event, buffer = buffer.split(b"\n\n", 1)
                    if event.startswith(b"data: "):
                        self.docs.append((time.monotonic(), json.loads(event[6:])))
        except OSError:
            return

    def first_with(self, name: str, state: str) -> Optional[float]:
        for at, doc in self.docs:
            if any(t["name"] == name and t["state"] == state for t in doc.get("targets", [])):
                return at
        return None

    def close(self) -> None:
        self.sock.close()


def test_the_page_and_its_api_are_served_read_only():
    site = Switch(200)
    try:
        with Running(f"site: {{pixel: [0, 0], http: '{site.url}'}}", "gone: {pixel: [1, 0], http: "
                     "'http://127.0.0.1:1/'}") as board:
            wait_for(lambda: board.state("gone") == "down" and board.state("site") == "up", what="both checked")
            page = requests.get(board.url + "/", timeout=5)
            assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
            csp = page.headers["Content-Security-Policy"]
            assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
            assert '<script src="/static/app.js"' in page.text and "<script>" not in page.text, "no inline script"
            assert requests.get(board.url + "/static/app.js", timeout=5).status_code == 200
            state = wait_for(lambda: (lambda d: d if len(d.get("targets", [])) == 2 and all(
                t["checked_at"] for t in d["targets"]) else None)(requests.get(board.url + "/api/state",
                                                                               timeout=5).json()), what="state")
            assert state["version"] == 2
            assert {t["name"]: t["state"] for t in state["targets"]} == {"site": "up", "gone": "down"}
            for method in ("POST", "PUT", "DELETE"):
                assert requests.request(method, board.url + "/api/state", timeout=5).status_code == 405
            assert requests.get(board.url + "/nothing-here", timeout=5).status_code == 404
            history = wait_for(lambda: requests.get(board.url + "/api/history?target=gone&since=1h",
                                                    timeout=5).json()["changes"], what="history")
            assert history[0]["state"] == "down" and history[0]["target"] == "gone"
    finally:
        site.stop()


def test_the_history_answer_has_each_targets_bar_and_uptime_and_one_targets_check_durations():
    site = Switch(200)
    try:
        with Running(f"site: {{pixel: [0, 0], http: '{site.url}'}}", "gone: {pixel: [1, 0], http: "
                     "'http://127.0.0.1:1/'}") as board:
            wait_for(lambda: board.state("gone") == "down" and board.state("site") == "up", what="both checked")
            def summed() -> Optional[dict]:
                doc = requests.get(board.url + "/api/history?limit=0", timeout=5).json()
                known = [doc.get("targets", {}).get(n, {}).get("uptime", {}).get("30d") for n in ("site", "gone")]
                return doc if None not in known else None
            time.sleep(1.5)   # the history's writer keeps the changes once a second
            answer = wait_for(summed, what="the summary")
            assert answer["changes"] == [], "limit=0: the summary alone"
            assert answer["targets"]["site"]["uptime"]["24h"] == 1.0
            assert answer["targets"]["gone"]["uptime"] == {"24h": 0.0, "7d": 0.0, "30d": 0.0}
            bar = answer["targets"]["gone"]["bar"]
            assert len(bar) == 48 and answer["states"][bar[-1]] == "down" and bar[0] == -1
            one = requests.get(board.url + "/api/history?target=site", timeout=5).json()
            assert list(one["targets"]) == ["site"] and one["changes"][0]["state"] == "up"
            assert one["took"] and 0 <= one["took"][0][1] < 1, "the check's duration, in seconds"
            assert requests.get(board.url + "/api/history?limit=x", timeout=5).status_code == 400
    finally:
        site.stop()


def test_a_change_reaches_the_event_stream_within_a_second():
    site = Switch(200)
    try:
        with Running(f"site: {{pixel: [0, 0], http: '{site.url}'}}") as board:
            wait_for(lambda: board.state("site") == "up", what="up")
            events = Events(board.url)
            try:
                wait_for(lambda: events.first_with("site", "up"), what="the first document")
                assert b"text/event-stream" in events.head
                for status, state in ((503, "down"), (200, "up"), (503, "down")):
                    events.docs.clear()
                    site.status = status
                    wait_for(lambda: board.state("site") == state, what=state)
                    seen_on_board = time.monotonic()
                    came = wait_for(lambda: events.first_with("site", state), timeout=5, what=f"{state} streamed")
                    assert came - seen_on_board < 1.0, f"{came - seen_on_board:.2f} s after the board showed it"
            finally:
                events.close()
    finally:
        site.stop()


def test_no_secret_reaches_the_page_the_api_or_the_metrics():
    site = Switch(503)
    secret = "s3cret-Pa55"
    try:
        url = site.url.replace("http://", f"http://admin:{secret}@")
        with Running(f"site: {{pixel: [0, 0], http: '{url}'}}") as board:
            wait_for(lambda: board.state("site") == "down", what="checked")
            events = Events(board.url)
            try:
                wait_for(lambda: events.docs, what="a document")
                said = [requests.get(board.url + path, timeout=5).text for path in
                        ("/api/state", "/metrics", "/api/history?since=1h", "/")] + [json.dumps(events.docs)]
            finally:
                events.close()
        assert all(secret not in text for text in said)
    finally:
        site.stop()


def rss_kb() -> int:
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("VmRSS:")).split()[1])


def test_idle_slow_and_never_reading_clients_do_not_hold_up_the_board():
    site = Switch(200)
    opened: List[socket.socket] = []
    try:
        with Running(f"site: {{pixel: [0, 0], http: '{site.url}'}}", interval="0.2s") as board:
            wait_for(lambda: board.state("site") == "up", what="up")
            host, port = "127.0.0.1", board.port
            before = rss_kb()
            for _ in range(200):                      # idle: connect, say nothing
                opened.append(socket.create_connection((host, port), timeout=5))
            for _ in range(50):                       # event streams that never read
                sock = socket.socket()
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                sock.connect((host, port))
                sock.sendall(b"GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n")
                opened.append(sock)
            slow = socket.create_connection((host, port), timeout=5)   # one byte a second
            opened.append(slow)
            stop = threading.Event()

            def drip() -> None:
                for byte in b"GET /api/state HTTP/1.1\r\nHost: localhost\r\n\r\n":
                    if stop.wait(1.0):
                        return
                    try:
                        slow.send(bytes([byte]))
                    except OSError:
                        return
            threading.Thread(target=drip, daemon=True).start()
            checked = board.runner.table.latest()["site"].mono
            for flip in range(12):                    # documents pile up for the clients that never read
                site.status = 503 if flip % 2 == 0 else 200
                time.sleep(0.25)
            latest = board.runner.table.latest()["site"].mono
            assert latest - checked > 2.0, "the board kept checking on time"
            started = time.monotonic()
            answer = requests.get(board.url + "/api/state", timeout=5)
            assert answer.status_code == 200 and time.monotonic() - started < 2.0, "a person is still served"
            grew = (rss_kb() - before) / 1024
            assert grew < 20, f"memory grew {grew:.1f} MB"
            assert board.runner.outputs.web.server.clients <= 256
            stop.set()
    finally:
        for sock in opened:
            sock.close()
        site.stop()


def test_metrics_are_scraped_and_queried_back_by_a_real_prometheus(tmp_path):
    if prom.why_not():
        pytest.skip(prom.why_not())
    site = Switch(200)
    try:
        with Running(f"site: {{pixel: [0, 0], http: '{site.url}'}}",
                     "gone: {pixel: [1, 0], http: 'http://127.0.0.1:1/'}") as board:
            wait_for(lambda: board.state("gone") == "down", what="checked")
            server = prom.Prometheus.__new__(prom.Prometheus)
            from statusboard.demo.stores import start_prometheus, stop_process
            server.proc, server.url = start_prometheus(tmp_path, board.port, job="statusboard")
            try:
                up = wait_for(lambda: server.value('statusboard_target_up{target="site"}'), timeout=30,
                              what="a scrape")
                assert up[0]["value"][1] == "1" and up[0]["metric"]["kind"] == "http"
                down = server.value('statusboard_target_state{target="gone", state="down"}')
                assert down[0]["value"][1] == "1"
                assert server.value('statusboard_target_state{target="gone", state="up"}')[0]["value"][1] == "0"
                took = server.value('statusboard_target_check_duration_seconds{target="site"}')
                assert 0 <= float(took[0]["value"][1]) < 1
                assert server.value("statusboard_reloads_total")[0]["value"][1] == "0"
                assert server.value("statusboard_check_workers_busy"), "the board's own"
            finally:
                stop_process(server.proc)
    finally:
        site.stop()


def test_a_port_in_use_leaves_the_board_running_and_a_reload_moves_the_page(tmp_path, caplog):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    busy = taken.getsockname()[1]
    config = tmp_path / "board.yaml"
    config.write_text(board_text(busy, "gone: {pixel: [0, 0], http: 'http://127.0.0.1:1/'}"))
    board = parse(config.read_text(), str(config))
    runner = Runner(board, FakeDisplay(board.display), keep_files=True)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: runner.table.status("gone", time.monotonic()).state == "down", what="checking")

        def said() -> bool:   # the page is made after the first frame: the check may be done before it tries
            return any(f"cannot listen on 127.0.0.1:{busy}" in r.getMessage() and "goes on without its page"
                       in r.getMessage() for r in caplog.records if r.name == "statusboard.web.output")
        wait_for(said, what="the busy port said")
        free = free_port()
        config.write_text(board_text(free, "gone: {pixel: [0, 0], http: 'http://127.0.0.1:1/'}"))
        runner.request_reload()
        answer = wait_for(lambda: _get(f"http://127.0.0.1:{free}/api/state"), what="the page on its new port")
        assert answer.json()["targets"][0]["name"] == "gone"
    finally:
        runner.stop()
        thread.join(15)
        taken.close()


def _get(url: str) -> Optional[requests.Response]:
    try:
        return requests.get(url, timeout=2)
    except requests.RequestException:
        return None


def ask(port: int, head: bytes, source: str = "127.0.0.1") -> bytes:
    """A raw request's answer (its status line and headers, and the start of its body)."""
    with socket.socket() as sock:
        sock.settimeout(5)
        sock.bind((source, 0))
        sock.connect(("127.0.0.1", port))
        sock.sendall(head)
        answer = b""
        while b"\r\n\r\n" not in answer:
            data = sock.recv(4096)
            if not data:
                break
            answer += data
        return answer


def test_only_requests_naming_the_board_are_answered():
    """DNS rebinding: a page elsewhere that points its own name at the board must not read it."""
    from statusboard.web.hosts import machine_names
    with Running("gone: {pixel: [0, 0], http: 'http://127.0.0.1:1/'}", hosts="[board.example.org]") as board:
        port = board.port

        def status(*headers: str, target: str = "/api/state") -> int:
            head = f"GET {target} HTTP/1.1\r\n" + "".join(h + "\r\n" for h in headers) + "\r\n"
            return int(ask(port, head.encode()).split(b" ")[1])
        wait_for(lambda: status(f"Host: 127.0.0.1:{port}") == 200, what="the state")
        for host in (f"127.0.0.1:{port}", "localhost", f"localhost:{port}", f"[::1]:{port}", "board.example.org",
                     f"Board.Example.Org.:{port}", "pi.localhost", *machine_names()):
            assert status(f"Host: {host}") == 200, host
        assert status(f"Host: localhost:{port + 1}") == 200, "a tunnel's port (ssh -L 9000:127.0.0.1:8080)"
        for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1:99999", "board.example.org.evil",
                     "localhost@evil.example", "", f"127.0.0.1:{port} x"):
            assert status(f"Host: {host}") in (400, 421), host
        assert status("Host: evil.example") == 421
        assert status() == 400, "no Host"
        assert status(f"Host: 127.0.0.1:{port}", "Host: evil.example") == 400, "two Hosts"
        assert status(f"Host: 127.0.0.1:{port}", target="http://evil.example/api/state") == 421, "an absolute URL"
        assert status(f"Host: 127.0.0.1:{port}", target=f"http://localhost:{port}/api/state") == 200
        assert status("Host: evil.example", target="/events") == 421, "nor the event stream"
        assert b"web.hosts" in ask(port, b"GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n")


def test_web_hosts_are_checked_where_they_are_written():
    from statusboard.errors import ConfigError
    for bad in ("['http://board.example.org/']", "[board.example.org:8080]", "[-x.example]", "{a: b}"):
        with pytest.raises(ConfigError) as info:
            parse(board_text(8080, "gone: {pixel: [0, 0], http: 'http://127.0.0.1:1/'}", hosts=bad), "board.yaml")
        said = [str(p) for p in info.value.problems]
        assert len(said) == 1 and "board.yaml:1" in said[0] and "web.hosts" in said[0], said
    board = parse(board_text(8080, "gone: {pixel: [0, 0], http: 'http://127.0.0.1:1/'}",
                             hosts="[Board.Example.org, 192.168.1.20]"), "board.yaml")
    assert board.web.hosts == ("board.example.org", "192.168.1.20")


def open_streams(port: int, count: int, source: str) -> List[socket.socket]:
    """Event streams from one address, each read by nobody (a client that holds them)."""
    opened = []
    for _ in range(count):
        sock = socket.socket()
        sock.bind((source, 0))
        sock.connect(("127.0.0.1", port))
        sock.sendall(f"GET /events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        opened.append(sock)
    return opened


def first_document(port: int, source: str) -> bytes:
    with socket.socket() as sock:
        sock.settimeout(5)
        sock.bind((source, 0))
        sock.connect(("127.0.0.1", port))
        sock.sendall(f"GET /events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        got = b""
        while b"data: {" not in got:
            data = sock.recv(65536)
            if not data:
                break
            got += data
        return got


def test_one_client_holding_every_connection_locks_nobody_out():
    from statusboard.web.server import MAX_CLIENTS, PER_ADDRESS
    opened: List[socket.socket] = []
    try:
        with Running("gone: {pixel: [0, 0], http: 'http://127.0.0.1:1/'}") as board:
            wait_for(lambda: board.state("gone") == "down", what="checked")
            server = board.runner.outputs.web.server
            opened += open_streams(board.port, MAX_CLIENTS, "127.0.0.2")     # one client, every stream it can
            wait_for(lambda: server.evicted >= MAX_CLIENTS - PER_ADDRESS, what="the streams past the limit cut")
            held = server._held.get("127.0.0.2", {})
            assert len(held) <= PER_ADDRESS, f"one address holds {len(held)} connections"
            started = time.monotonic()
            assert ask(board.port, f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{board.port}\r\n\r\n".encode()
                       ).startswith(b"HTTP/1.1 200"), "another client gets the page"
            assert b"data: {" in first_document(board.port, "127.0.0.1"), "and its live board"
            assert b"data: {" in first_document(board.port, "127.0.0.2"), "a new page of that client gets in too"
            assert time.monotonic() - started < 5
            for source in ("127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7", "127.0.0.8",
                           "127.0.0.9", "127.0.0.10", "127.0.0.11"):   # many clients: the whole server full
                opened += open_streams(board.port, PER_ADDRESS, source)
            wait_for(lambda: server.clients <= MAX_CLIENTS, what="at most MAX_CLIENTS")
            assert b"data: {" in first_document(board.port, "127.0.0.1"), "room for a new page when full"
            assert server.clients <= MAX_CLIENTS
    finally:
        for sock in opened:
            sock.close()


def test_an_event_stream_carries_a_heartbeat_on_a_quiet_board():
    from statusboard.web.server import HEARTBEAT
    with Running("gone: {pixel: [0, 0], http: 'http://127.0.0.1:1/'}", interval="1h") as board:
        wait_for(lambda: board.state("gone") == "down", what="checked")
        with socket.create_connection(("127.0.0.1", board.port), timeout=HEARTBEAT + 5) as sock:
            sock.sendall(f"GET /events HTTP/1.1\r\nHost: localhost:{board.port}\r\n\r\n".encode())
            got, started = b"", time.monotonic()
            while got.count(b"event: heartbeat") < 2:
                got += sock.recv(65536)
            assert time.monotonic() - started < 2 * HEARTBEAT + 3, "a heartbeat every few seconds"
            beat = got.split(b"event: heartbeat\ndata: ")[1].split(b"\n")[0]
            assert abs(float(beat) - time.time()) < 2 * HEARTBEAT + 3, "with the board's time"


def test_a_page_that_does_not_stop_in_time_is_abandoned_not_fatal(caplog):
    from statusboard.web.server import STOP_WAIT, WebServer
    server = WebServer("127.0.0.1", 0, {})
    server.start()
    opened = socket.create_connection(("127.0.0.1", server.port))   # a page open meanwhile
    server._loop.call_soon_threadsafe(time.sleep, 6)   # its loop stuck (as it was under a reload storm)
    time.sleep(0.1)
    started = time.monotonic()
    server.stop()                                      # raised TimeoutError after 5 s
    assert time.monotonic() - started < STOP_WAIT * 2 + 0.5
    assert any("did not stop" in r.getMessage() and "abandoned" in r.getMessage() for r in caplog.records)
    server._thread.join(10)                            # once unstuck, it ends on its own
    assert not server._thread.is_alive()
    opened.close()


def test_sigterm_ends_a_board_with_open_pages_within_two_seconds_even_in_a_reload_storm(tmp_path, python):
    import os
    import signal
    import subprocess
    config = tmp_path / "board.yaml"
    target = "gone: {pixel: [0, 0], http: 'http://127.0.0.1:1/'}"
    ports = [free_port(), free_port()]
    config.write_text(board_text(ports[0], target))
    proc = subprocess.Popen([*python, "run", "--display", "fake", "-c", str(config)], stderr=subprocess.PIPE)
    opened: List[socket.socket] = []
    try:
        wait_for(lambda: _get(f"http://127.0.0.1:{ports[0]}/api/state"), timeout=30, what="the page")
        for turn in range(6):                   # the port moves at every reload, with 30 pages open
            port = ports[turn % 2]
            wait_for(lambda: _get(f"http://127.0.0.1:{port}/api/state"), timeout=30, what="the page moved")
            opened += open_streams(port, 30, "127.0.0.1")
            config.write_text(board_text(ports[(turn + 1) % 2], target, interval=f"0.{3 + turn % 2}s"))
            proc.send_signal(signal.SIGHUP)
            time.sleep(0.3)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=10)
        took = time.monotonic() - started
        said = proc.stderr.read().decode()
        assert code == 0 and "Traceback" not in said, said[-2000:]
        assert took < 2.0, f"SIGTERM took {took:.2f} s"
    finally:
        for sock in opened:
            sock.close()
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
