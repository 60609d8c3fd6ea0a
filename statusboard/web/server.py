"""The board's web server: one asyncio thread in the board's process, serving the page, its files, /api/state,
/api/history, /events (Server-Sent Events) and /metrics. Read-only: GET and HEAD only.

Bounded against slow and hostile clients: at most MAX_CLIENTS connections and PER_ADDRESS from one address (a new
one makes the oldest idle connection or event stream of the fullest address give way, so a new page always gets
in), a request head of at most 8 KB that must arrive within HEAD_TIMEOUT, and an event stream that is dropped when
its client has not read what was sent within SEND_TIMEOUT (only the newest document is ever queued for a client).
Only requests naming the board (hosts.py) are answered: 421 for another name, 400 for none or two.
An event stream carries a heartbeat every HEARTBEAT seconds, so a page knows when the board has gone quiet.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import re
import threading
import time
from importlib import resources
from typing import Callable, Dict, Iterable, List, Optional, Set, Tuple
from urllib.parse import parse_qs, urlsplit

from statusboard.web.hosts import Hosts

log = logging.getLogger(__name__)

MAX_CLIENTS = 256
PER_ADDRESS = 32
HEAD_LIMIT = 8192
HEAD_TIMEOUT = 10.0
SEND_TIMEOUT = 10.0
HEARTBEAT = 4.0     # an event stream says "still here" this often; a page that hears nothing for two says so
STOP_WAIT = 1.0     # stop() waits this long for the connections to close, then abandons the server
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
HEADERS = (("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"),
           ("Referrer-Policy", "no-referrer"), ("Cache-Control", "no-store"), ("X-Frame-Options", "DENY"))
FILES = {"/": ("index.html", "text/html; charset=utf-8"),
         "/static/app.js": ("app.js", "text/javascript; charset=utf-8"),
         "/static/style.css": ("style.css", "text/css; charset=utf-8")}
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 421: "Misdirected Request",
           500: "Internal Server Error", 503: "Service Unavailable"}
HEX = re.compile(r"[0-9a-f]{6}\Z")

Handler = Callable[[Dict[str, List[str]]], Tuple[int, str, bytes]]


def _static(name: str) -> bytes:
    return resources.files("statusboard.web").joinpath("static", name).read_bytes()


def favicon(colour: str) -> bytes:
    """The tab's icon: a dot in a colour (#rrggbb without the #; grey when it is not one)."""
    colour = colour.lower() if HEX.match(colour.lower()) else "808080"
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" '
            f'fill="#{colour}" stroke="#000" stroke-width="1"/></svg>').encode()


class Connection:
    """One client's connection: its task, its writer, and whether it is answering a request (not to be cut)."""

    def __init__(self, address: str, writer: asyncio.StreamWriter) -> None:
        self.address = address
        self.writer = writer
        self.task: Optional["asyncio.Task[None]"] = None
        self.busy = False


class WebServer:
    """Serves the page on (host, port); `publish(document)` pushes a new board document to every event
    stream; `routes` answer the API paths (called on a worker thread, never on the event loop)."""

    def __init__(self, host: str, port: int, routes: Dict[str, Handler], hosts: Iterable[str] = ()) -> None:
        self.host, self.port = host, port
        self.routes = routes
        self.extra_hosts = tuple(hosts)
        self.hosts = Hosts(host, port, self.extra_hosts)
        self.files = {path: (_static(name), kind) for path, (name, kind) in FILES.items()}
        self._held: Dict[str, Dict[int, Connection]] = {}   # address -> its connections, oldest first
        self.refused = 0    # connections closed at once (nothing could give way)
        self.evicted = 0    # connections that gave way to a newer one
        self._streams: Set["asyncio.Queue[bytes]"] = set()
        self._document = b"{}"
        self._loop = asyncio.new_event_loop()
        self._server: Optional[asyncio.AbstractServer] = None
        self._ready = threading.Event()
        self._error: Optional[BaseException] = None
        self._thread = threading.Thread(target=self._run, name="web", daemon=True)

    @property
    def clients(self) -> int:
        """Connections open now."""
        return sum(len(held) for held in self._held.values())

    def start(self) -> None:
        """Listen, or raise OSError (the address is in use, not this machine's, or not allowed)."""
        self._thread.start()
        self._ready.wait(10.0)
        if self._error is not None:
            raise self._error
        if self._server is not None:
            self.port = self._server.sockets[0].getsockname()[1]
            self.hosts = Hosts(self.host, self.port, self.extra_hosts)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._serve, self.host, self.port, limit=HEAD_LIMIT, reuse_address=True))
        except OSError as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._finish()

    def _finish(self) -> None:
        """End what an abandoned stop left running (on the loop's own thread), then close the loop."""
        tasks = asyncio.all_tasks(self._loop)
        for task in tasks:
            task.cancel()
        try:
            self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        except RuntimeError:   # stopped again meanwhile
            pass
        self._loop.close()

    def publish(self, document: bytes) -> None:
        """A new board document for the event streams (from any thread)."""
        try:
            self._loop.call_soon_threadsafe(self._push, document)
        except RuntimeError:   # stopped
            pass

    def _push(self, document: bytes) -> None:
        self._document = document
        for queue in self._streams:
            if queue.full():      # a client behind keeps only the newest document
                queue.get_nowait()
            queue.put_nowait(document)

    def stop(self) -> None:
        """Close every connection and stop serving, within about STOP_WAIT; a server that does not stop in time
        is abandoned (its thread is a daemon), never an error for the board."""
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            tasks = [t for t in asyncio.all_tasks(self._loop) if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)   # each closes its connection
        if not self._thread.is_alive():
            return
        try:
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(STOP_WAIT)
        except (concurrent.futures.TimeoutError, concurrent.futures.CancelledError, RuntimeError):
            log.warning("web: the page on %s:%s did not stop within %g s; it is abandoned", self.host, self.port,
                        STOP_WAIT)
        try:
            self._loop.call_soon_threadsafe(self._loop.stop)
        except RuntimeError:   # already closed
            pass
        self._thread.join(STOP_WAIT)

    def _admit(self, conn: Connection) -> bool:
        """Make room for a new connection: the oldest idle connection or event stream of its own address (when
        that address holds PER_ADDRESS) or of the fullest address (when the server holds MAX_CLIENTS) gives way.
        False when nothing can (every one of them is answering a request)."""
        held = self._held.setdefault(conn.address, {})
        if len(held) >= PER_ADDRESS:
            crowd: Optional[Dict[int, Connection]] = held
        elif self.clients >= MAX_CLIENTS:
            crowd = max(self._held.values(), key=len)
        else:
            crowd = None
        if crowd is not None:
            victim = next((c for c in crowd.values() if not c.busy), None)
            if victim is None:
                return False
            self._forget(victim)
            self.evicted += 1
            if victim.task is not None:
                victim.task.cancel()
        held[id(conn)] = conn
        return True

    def _forget(self, conn: Connection) -> None:
        held = self._held.get(conn.address)
        if held is not None:
            held.pop(id(conn), None)
            if not held:
                del self._held[conn.address]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        conn = Connection(str(peer[0]) if isinstance(peer, tuple) and peer else "?", writer)
        conn.task = asyncio.current_task()
        if not self._admit(conn):
            self.refused += 1
            writer.close()
            return
        try:
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT)
            except (asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                return   # too slow, too long, or gone: nothing to answer
            conn.busy = True
            await self._answer(conn, head)
        except (ConnectionError, asyncio.TimeoutError, asyncio.CancelledError):
            pass   # gone, too slow to read, made way for a newer connection, or the server is stopping
        except Exception:  # noqa: BLE001 - one request's failure never reaches the board
            log.exception("web: a request failed")
        finally:
            self._forget(conn)
            try:
                writer.close()
            except RuntimeError:   # the loop is closed: an abandoned server's last connections
                pass

    async def _answer(self, conn: Connection, head: bytes) -> None:
        writer = conn.writer
        method, target, headers = _request(head)
        head_only = method == "HEAD"
        if not method:
            await self._send(writer, 400, "text/plain", b"not an HTTP/1.x request\n", False)
            return
        hosts = headers.get("host", [])
        if len(hosts) != 1:
            await self._send(writer, 400, "text/plain", b"a request names exactly one Host\n", head_only)
            return
        url = urlsplit(target)
        if target.startswith("/"):
            authority = hosts[0]
        elif url.scheme in ("http", "https") and url.netloc:
            authority = url.netloc
        else:
            await self._send(writer, 400, "text/plain", b"a request target is a path\n", head_only)
            return
        if not self.hosts.allows(hosts[0]) or not self.hosts.allows(authority):
            await self._send(writer, 421, "text/plain", b"this board does not answer to that name: add it to "
                             b"web.hosts in its config.yaml\n", head_only)
            return
        if method not in ("GET", "HEAD"):
            await self._send(writer, 405, "text/plain", b"read-only: GET only\n", head_only)
            return
        if url.path == "/events":
            conn.busy = False   # a stream may give way to a newer page
            await self._stream(writer)
        elif url.path in self.files:
            body, kind = self.files[url.path]
            await self._send(writer, 200, kind, body, head_only)
        elif url.path == "/favicon.svg":
            colour = (parse_qs(url.query).get("c") or [""])[0]
            await self._send(writer, 200, "image/svg+xml", favicon(colour), head_only)
        elif url.path in self.routes:
            handler = self.routes[url.path]
            status, kind, body = await self._loop.run_in_executor(None, handler, parse_qs(url.query))
            await self._send(writer, status, kind, body, head_only)
        else:
            await self._send(writer, 404, "text/plain", b"not found\n", head_only)

    async def _send(self, writer: asyncio.StreamWriter, status: int, kind: str, body: bytes, head_only: bool) -> None:
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, '')}", f"Content-Type: {kind}",
                 f"Content-Length: {len(body)}", "Connection: close"] + [f"{k}: {v}" for k, v in HEADERS]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + (b"" if head_only else body))
        await asyncio.wait_for(writer.drain(), SEND_TIMEOUT)

    async def _stream(self, writer: asyncio.StreamWriter) -> None:
        """Server-Sent Events: the board's document now, then each new one, and a heartbeat (the board's wall
        time) every HEARTBEAT seconds, until the client goes or stops reading."""
        lines = ["HTTP/1.1 200 OK", "Content-Type: text/event-stream", "Connection: close"] + \
            [f"{k}: {v}" for k, v in HEADERS]
        queue: "asyncio.Queue[bytes]" = asyncio.Queue(maxsize=1)
        queue.put_nowait(self._document)
        self._streams.add(queue)
        try:
            writer.write(("\r\n".join(lines) + "\r\n\r\nretry: 2000\n\n").encode())
            while True:
                try:
                    document = await asyncio.wait_for(queue.get(), HEARTBEAT)
                    writer.write(b"data: " + document + b"\n\n")
                except asyncio.TimeoutError:
                    writer.write(b"event: heartbeat\ndata: %.3f\n\n" % time.time())
                await asyncio.wait_for(writer.drain(), SEND_TIMEOUT)   # a client that never reads is dropped
        finally:
            self._streams.discard(queue)


def _request(head: bytes) -> Tuple[str, str, Dict[str, List[str]]]:
    """(method, target, headers by lower-case name) of a request head; ("", "", {}) when it is not HTTP/1.x."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1.") or not parts[0].isalpha():
        return "", "", {}
    headers: Dict[str, List[str]] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep and name and name == name.strip():
            headers.setdefault(name.lower(), []).append(value.strip())
    return parts[0], parts[1], headers
