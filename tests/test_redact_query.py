"""A URL's query parameters named like secrets (?token=, &api_key=, ...) are shown as *** wherever the board
shows the URL, and still sent as written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from statusboard.text import redact
from tests.conftest import ROOT


def statusboard(*args):
    return subprocess.run([sys.executable, "-m", "statusboard", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)


@pytest.mark.parametrize("url, shown", [
    ("http://h/x?token=SECRET&page=2", "http://h/x?token=***&page=2"),
    ("https://u:SECRET@h/?a=1&api_key=SECRET#top", "https://u:***@h/?a=1&api_key=***#top"),
    ("http://h/?X-Amz-Signature=SECRET&X-Amz-Expires=60", "http://h/?X-Amz-Signature=***&X-Amz-Expires=60"),
    ("http://h/?Access_Token=SECRET", "http://h/?Access_Token=***"),
    ("http://h/?client_secret=SECRET&sig=SECRET", "http://h/?client_secret=***&sig=***"),
    ("GET http://h/?apikey=SECRET failed: 401", "GET http://h/?apikey=*** failed: 401"),
    ("http://h/?monkey=1&keys=2&author=me", "http://h/?monkey=1&keys=2&author=me"),   # not named like secrets
])
def test_redact_masks_the_values_of_query_parameters_named_like_secrets(url, shown):
    assert redact(url) == shown
    assert redact(redact(url)) == shown


def test_check_never_shows_a_token_in_a_query_string(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(
        "targets:\n"
        "  api:   {pixel: [0, 0], http: 'http://127.0.0.1:9/health?token=SECRET1&verbose=1'}\n"
        "  prom:  {pixel: [1, 0], prometheus: {url: 'http://127.0.0.1:9/?api_key=SECRET2', query: up,"
        " above: {warn: 1, critical: 2}}}\n"
        "  flux:  {pixel: [2, 0], influxdb: {url: 'http://127.0.0.1:9/?auth=SECRET3', database: db,"
        " query: 'SELECT last(v) FROM m', above: {warn: 1, critical: 2}}}\n")
    done = statusboard("check", "-c", str(config))
    assert done.returncode == 0, done.stderr
    assert "SECRET" not in done.stdout + done.stderr, done.stdout   # before: ?token=SECRET1 in the layout
    assert "http://127.0.0.1:9/health?token=***&verbose=1" in done.stdout, done.stdout
    assert "http://127.0.0.1:9/?api_key=***" in done.stdout and "http://127.0.0.1:9/?auth=***" in done.stdout


class _NeedsToken(BaseHTTPRequestHandler):
    def do_GET(self) -> None:   # noqa: N802 - http.server's name
        self.send_response(200 if self.path.endswith("?token=SECRET") else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_the_board_still_sends_the_token_it_never_shows(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NeedsToken)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        config = tmp_path / "config.yaml"
        config.write_text(f"targets:\n  api: {{pixel: [0, 0], http: "
                          f"'http://127.0.0.1:{server.server_address[1]}/health?token=SECRET'}}\n")
        done = statusboard("run", "--once", "--json", "--display", "fake", "-c", str(config))
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0, done.stderr
    assert [t["state"] for t in json.loads(done.stdout)["targets"]] == ["up"], done.stdout
    assert "SECRET" not in done.stdout + done.stderr
