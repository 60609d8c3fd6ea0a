"""Real servers on 127.0.0.1 for the tests: a web app with good and bad routes, a silent port, TLS."""

from __future__ import annotations

import gzip
import http.client
import itertools
import select
import socket
import ssl
import subprocess
import sys
import threading
import time
import zlib
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator, List, Optional, Tuple, Union
from urllib.parse import parse_qs, urlsplit

PAGE = b"<html>" + b"filler " * 2000 + b"needle</html>"
WANDERS = itertools.count()


@lru_cache(maxsize=None)
def bomb() -> bytes:
    """A gzip body of 1 KB-ish per MB: 512 MB of zeros, then a needle."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1024 * 1024)
    return b"".join([packer.compress(zeros) for _ in range(512)] + [packer.compress(b"needle"), packer.flush()])


class Handler(BaseHTTPRequestHandler):
    """Routes: /ok /echo /fail /notfound /slow /drip /drip-headers /loop /redirect /big /gzip /deflate /rawdeflate
    /badgzip /bomb /chunked /hangup /cut /two-lengths /gzip-gzip /multigzip /notdeflate /wander /away /auth."""

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
            elif path == "/echo":   # the body (and status) the query asks for: /echo?status=500&body=...
                asked = parse_qs(urlsplit(self.path).query)
                self._send(int(asked.get("status", ["200"])[0]), asked.get("body", [""])[0].encode(),
                           (("Content-Type", "application/json"),))
            elif path == "/fail":
                self._send(500, b"broken")
            elif path == "/notfound":
                self._send(404, b"no")
            elif path == "/slow":
                time.sleep(0.6)
                self._send(200, b"ok, slowly")
            elif path == "/loop":
                self._send(302, headers=(("Location", "/loop"),))
            elif path == "/redirect":
                self._send(302, headers=(("Location", "ok?from=redirect"),))
            elif path == "/gzip":
                self._send(200, gzip.compress(PAGE), (("Content-Encoding", "gzip"),))
            elif path == "/deflate":
                self._send(200, zlib.compress(PAGE), (("Content-Encoding", "deflate"),))
            elif path == "/rawdeflate":   # deflate without its zlib header, as some servers send it
                packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
                self._send(200, packer.compress(PAGE) + packer.flush(), (("Content-Encoding", "deflate"),))
            elif path == "/badgzip":
                self._send(200, b"\x1f\x8b\x08\x00garbage, not gzip at all", (("Content-Encoding", "gzip"),))
            elif path == "/bomb":
                self._send(200, bomb(), (("Content-Encoding", "gzip"),))
            elif path == "/chunked":
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for piece in (b"first part, ", b"then the needle", b""):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            elif path == "/hangup":
                self.close_connection = True
            elif path == "/cut":   # 100 bytes promised, 10 sent, and the connection closed
                self.send_response(200)
                self.send_header("Content-Length", "100")
                self.end_headers()
                self.wfile.write(b"needle, cu")
                self.close_connection = True
            elif path == "/two-lengths":
                self.send_response(200)
                self.send_header("Content-Length", "6")
                self.send_header("Content-Length", "60")
                self.end_headers()
                self.wfile.write(b"needle")
                self.close_connection = True
            elif path == "/gzip-gzip":   # encoded twice, as the header says
                self._send(200, gzip.compress(gzip.compress(PAGE)), (("Content-Encoding", "gzip, gzip"),))
            elif path == "/multigzip":   # two gzip members, one after the other (RFC 1952 allows it)
                body = gzip.compress(PAGE[:5000]) + gzip.compress(PAGE[5000:])
                self._send(200, body, (("Content-Encoding", "gzip"),))
            elif path == "/notdeflate":
                self._send(200, b"this body is not deflate at all", (("Content-Encoding", "deflate"),))
            elif path == "/wander":   # a redirect to a new URL each time (?pad=N characters long), ending at /ok
                count, pad = next(WANDERS), int(self.path.partition("pad=")[2] or 6000)
                self._send(302, headers=(("Location", f"/ok?n={count}&pad={'x' * pad}"),))
            elif path == "/away":   # to the same server under another name (the test gives its port)
                self._send(302, headers=(("Location", f"http://localhost:{self.server.server_address[1]}/auth"),))
            elif path == "/here":   # to the same server under the same name
                self._send(302, headers=(("Location", "/auth"),))
            elif path == "/auth":
                self._send(200, f"authorization: {self.headers.get('Authorization')}".encode())
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


class SecondAsk(Handler):
    """Answers the first request on a connection as the web app does; on the second, does what the server's
    `second` says: "close" (hang up without an answer, as a server whose keep-alive timeout fires just then)
    or "drip" (an answer a byte at a time)."""

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        self.asked = getattr(self, "asked", 0) + 1
        second = getattr(self.server, "second", None)
        if self.asked == 2 and second == "close":
            self.close_connection = True
            return
        if self.asked == 2 and second == "drip":
            self.path = "/drip"
        super().do_GET()


class Server(ThreadingHTTPServer):
    """The test web app on 127.0.0.1, on a free port; `accepted` counts its connections."""

    daemon_threads = True
    request_queue_size = 1024   # many checks connect at once; the default backlog of 5 drops SYNs

    def __init__(self, context: "ssl.SSLContext | None" = None, handler: type = Handler) -> None:
        self.accepted = 0
        self.open: List[socket.socket] = []
        super().__init__(("127.0.0.1", 0), handler)
        if context is not None:
            self.socket = context.wrap_socket(self.socket, server_side=True)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def verify_request(self, request: Any, client_address: Any) -> bool:
        """Count and remember each connection."""
        self.accepted += 1
        self.open.append(request)
        return True

    def close_all(self) -> None:
        """Stop, closing every connection it has open too (a server that went away)."""
        self.stop()
        for sock in self.open:
            try:
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            except OSError:
                pass

    def handle_error(self, request: object, client_address: object) -> None:
        """A check that gave up (its deadline shut the socket) is expected here, not worth a traceback."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _ProxyHandler(BaseHTTPRequestHandler):
    """A forward proxy that sends every GET to the plain upstream and every CONNECT to the TLS upstream,
    whatever host and port it is asked for, and notes each request."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        server: Proxy = self.server  # type: ignore[assignment]
        server.seen.append(("GET", self.path))
        server.credentials.append(self.headers.get("Proxy-Authorization"))
        if not self.path.startswith("http://"):
            self.send_error(400, "a proxy is asked for whole URLs")
            return
        upstream = http.client.HTTPConnection("127.0.0.1", server.plain_port, timeout=10)
        upstream.request("GET", "/" + self.path.split("/", 3)[3], headers={"Accept-Encoding": "identity"})
        answer = upstream.getresponse()
        body = answer.read()
        self.send_response(answer.status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Via", "1.1 test-proxy")
        self.end_headers()
        self.wfile.write(body)
        upstream.close()

    def do_CONNECT(self) -> None:  # noqa: N802 - the http.server name
        server: Proxy = self.server  # type: ignore[assignment]
        server.seen.append(("CONNECT", self.path))
        if server.tls_port is None:
            self.send_error(403, "no tunnels here")
            return
        upstream = socket.create_connection(("127.0.0.1", server.tls_port), timeout=10)
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        try:
            _pipe(self.connection, upstream)
        finally:
            self.close_connection = True


class Proxy(ThreadingHTTPServer):
    """A forward HTTP proxy on 127.0.0.1 in front of the test web app (and its TLS twin, through CONNECT)."""

    daemon_threads = True

    def __init__(self, plain_port: int, tls_port: Optional[int] = None,
                 context: Optional[ssl.SSLContext] = None) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        if context is not None:   # an https:// proxy: TLS to the proxy itself
            self.socket = context.wrap_socket(self.socket, server_side=True)
        self.secure = context is not None
        self.plain_port, self.tls_port = plain_port, tls_port
        self.seen: List[Tuple[str, str]] = []
        self.credentials: List[Optional[str]] = []   # the Proxy-Authorization of each GET
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        if self.secure:
            return f"https://localhost:{self.server_address[1]}"
        return f"http://127.0.0.1:{self.server_address[1]}"

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


_certs = itertools.count()


def self_signed(directory: Path, alt_name: Union[bool, str] = True) -> Tuple[Path, Path]:
    """A self-signed certificate for localhost made with openssl, naming it in subjectAltName (or another name
    given as alt_name), or, as old certificates did, in the common name alone (alt_name False)."""
    n = next(_certs)
    cert, key = directory / f"cert{n}.pem", directory / f"key{n}.pem"
    name = "localhost" if alt_name is True else alt_name
    extra = ["-addext", f"subjectAltName=DNS:{name}"] if name else []
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", *extra,
                    "-days", "2", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A TLS server context with this certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def tls_server(directory: Path, alt_name: bool = True) -> Iterator[Server]:
    """The test web app over TLS with a self-signed certificate."""
    cert, key = self_signed(directory, alt_name)
    server = Server(server_context(cert, key))
    server.cert = cert   # type: ignore[attr-defined]
    try:
        yield server
    finally:
        server.stop()


class Acceptor:
    """A listener on 127.0.0.1 that hands each connection to `handle` on a thread of its own."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def port(self) -> int:
        return self.listener.getsockname()[1]

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def handle(self, conn: socket.socket) -> None:
        """Serve one connection."""
        raise NotImplementedError


class Socks5(Acceptor):
    """A SOCKS5 proxy on 127.0.0.1 (RFC 1928, no authentication) that connects every request to one local port,
    whatever it names, and notes what was named."""

    def __init__(self, port: int) -> None:
        self.to = port
        self.seen: List[Tuple[str, int]] = []
        super().__init__()

    @property
    def url(self) -> str:
        return f"socks5h://127.0.0.1:{self.port}"

    def handle(self, conn: socket.socket) -> None:
        """Relay one connection to the local port."""
        with conn:
            conn.settimeout(10)
            head = conn.recv(2)
            conn.recv(head[1])                      # the methods offered
            conn.sendall(b"\x05\x00")               # no authentication
            request = conn.recv(4)
            if request[3] == 3:                     # a name
                name = conn.recv(conn.recv(1)[0]).decode()
            elif request[3] == 1:
                name = socket.inet_ntoa(conn.recv(4))
            else:
                name = socket.inet_ntop(socket.AF_INET6, conn.recv(16))
            port = int.from_bytes(conn.recv(2), "big")
            self.seen.append((name, port))
            upstream = socket.create_connection(("127.0.0.1", self.to), timeout=10)
            conn.sendall(b"\x05\x00\x00\x01" + socket.inet_aton("127.0.0.1") + self.to.to_bytes(2, "big"))
            _pipe(conn, upstream)

    def stop(self) -> None:
        """Stop accepting."""
        self.listener.close()


def _pipe(one: socket.socket, other: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    with other:
        ends = [one, other]
        while True:
            ready, _, _ = select.select(ends, [], [], 10)
            if not ready:
                return
            for end in ready:
                data = end.recv(65536)
                if not data:
                    return
                (other if end is one else one).sendall(data)


class DrippingTLS(Acceptor):
    """A TLS server on 127.0.0.1 that completes every handshake, then answers one byte every 0.2 s, for ever
    (a stalled server behind a healthy TLS terminator). Used as a context manager."""

    def __init__(self, directory: Path) -> None:
        self.cert, key = self_signed(directory)
        self.context = server_context(self.cert, key)
        self.stopped = threading.Event()
        super().__init__()

    def handle(self, conn: socket.socket) -> None:
        """Shake hands, then drip."""
        try:
            with self.context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(65536)   # the request
                answer = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 100000\r\n\r\n"
                for byte in answer + b"<" * 100000:
                    if self.stopped.wait(0.2):
                        return
                    tls.sendall(bytes([byte]))
        except OSError:
            pass

    def __enter__(self) -> "DrippingTLS":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stopped.set()
        self.listener.close()


class Switch(ThreadingHTTPServer):
    """An endpoint on 127.0.0.1 that answers `status` with `body`, both set by the test as it runs."""

    daemon_threads = True

    def __init__(self, status: int = 200, body: bytes = b"ok") -> None:
        self.status, self.body = status, body
        owner = self

        class Answer(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - the http.server name
                status, body = owner.status, owner.body
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        super().__init__(("127.0.0.1", 0), Answer)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
