"""Real servers on 127.0.0.1 for the tests: a web app with good and bad routes, a silent port, TLS."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator, Tuple


class Handler(BaseHTTPRequestHandler):
    """Routes: /ok /fail /notfound /slow /drip /drip-headers /loop /big /json."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, code: int, body: bytes = b"", headers: Tuple[Tuple[str, str], ...] = ()) -> None:
        self.send_response(code)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 - the http.server name
        """A POST (the EC2 API posts its queries) is answered as a GET of the same path."""
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        path = self.path.split("?")[0]
        try:
            if path == "/ok":
                self._send(200, b'{"status": "ok"}')
            elif path == "/fail":
                self._send(500, b"broken")
            elif path == "/notfound":
                self._send(404, b"no")
            elif path == "/slow":
                time.sleep(0.6)
                self._send(200, b"ok, slowly")
            elif path == "/loop":
                self._send(302, headers=(("Location", "/loop"),))
            elif path == "/big":
                self._send(200, b"x" * (3 * 1024 * 1024) + b"needle")
            elif path == "/drip":
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                for _ in range(1000):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.25)
            elif path == "/drip-headers":
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                for _ in range(1000):
                    self.wfile.write(b"X-Drip: y\r\n")
                    self.wfile.flush()
                    time.sleep(0.25)
            else:
                self._send(404, b"unknown route")
        except (BrokenPipeError, ConnectionResetError):
            pass


class Server(ThreadingHTTPServer):
    """The test web app on 127.0.0.1, on a free port."""

    daemon_threads = True
    request_queue_size = 1024   # many checks connect at once; the default backlog of 5 drops SYNs

    def __init__(self, context: "ssl.SSLContext | None" = None, handler: type = Handler) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        if context is not None:
            self.socket = context.wrap_socket(self.socket, server_side=True)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def handle_error(self, request: object, client_address: object) -> None:
        """A check that gave up (its deadline shut the socket) is expected here, not worth a traceback."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def silent_socket() -> socket.socket:
    """A port on 127.0.0.1 that completes the TCP handshake and never answers (nothing ever accepts)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


def refused_socket() -> socket.socket:
    """A port on 127.0.0.1 that is bound but not listening: every connection is refused."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def self_signed(directory: Path) -> Tuple[Path, Path]:
    """A self-signed certificate for localhost made with openssl."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                    "-days", "2", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def tls_server(directory: Path) -> Iterator[Server]:
    """The test web app over TLS with a self-signed certificate."""
    cert, key = self_signed(directory)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = Server(context)
    try:
        yield server
    finally:
        server.stop()
