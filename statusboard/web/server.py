"""The board's web server: one asyncio thread in the board's process, serving the page, its files, /api/state,
/api/history, /events (Server-Sent Events) and /metrics. Read-only: GET and HEAD only.

Bounded against slow and hostile clients: at most MAX_CLIENTS connections (more are closed at once), a request
head of at most 8 KB that must arrive within HEAD_TIMEOUT, and an event stream that is dropped when its client
has not read what was sent within SEND_TIMEOUT (only the newest document is ever queued for a client).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from importlib import resources
from typing import Callable, Dict, List, Optional, Set, Tuple
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)

MAX_CLIENTS = 256
HEAD_LIMIT = 8192
HEAD_TIMEOUT = 10.0
SEND_TIMEOUT = 10.0
KEEPALIVE = 15.0    # an event stream sends a comment this often, so a gone client is noticed
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
HEADERS = (("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"),
           ("Referrer-Policy", "no-referrer"), ("Cache-Control", "no-store"), ("X-Frame-Options", "DENY"))
FILES = {"/": ("index.html", "text/html; charset=utf-8"),
         "/static/app.js": ("app.js", "text/javascript; charset=utf-8"),
         "/static/style.css": ("style.css", "text/css; charset=utf-8")}
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error",
           503: "Service Unavailable"}

Handler = Callable[[Dict[str, List[str]]], Tuple[int, str, bytes]]


def _static(name: str) -> bytes:
    return resources.files("statusboard.web").joinpath("static", name).read_bytes()


class WebServer:
    """Serves the page on (host, port); `publish(document)` pushes a new board document to every event
    stream; `routes` answer the API paths (called on a worker thread, never on the event loop)."""

    def __init__(self, host: str, port: int, routes: Dict[str, Handler]) -> None:
        self.host, self.port = host, port
        self.routes = routes
        self.files = {path: (_static(name), kind) for path, (name, kind) in FILES.items()}
        self.clients = 0
        self._streams: Set["asyncio.Queue[bytes]"] = set()
        self._document = b"{}"
        self._loop = asyncio.new_event_loop()
        self._server: Optional[asyncio.AbstractServer] = None
        self._ready = threading.Event()
        self._error: Optional[BaseException] = None
        self._thread = threading.Thread(target=self._run, name="web", daemon=True)

    def start(self) -> None:
        """Listen, or raise OSError (the address is in use, not this machine's, or not allowed)."""
        self._thread.start()
        self._ready.wait(10.0)
        if self._error is not None:
            raise self._error
        if self._server is not None:
            self.port = self._server.sockets[0].getsockname()[1]

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
        """Close every connection and stop serving."""
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            tasks = [t for t in asyncio.all_tasks(self._loop) if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)   # each closes its connection
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(5.0)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5.0)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.clients >= MAX_CLIENTS:
            writer.close()
            return
        self.clients += 1
        try:
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT)
            except (asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                return   # too slow, too long, or gone: nothing to answer
            method, target = _request_line(head)
            if method not in ("GET", "HEAD"):
                await self._send(writer, 405 if method else 400, "text/plain", b"read-only: GET only\n",
                                 method == "HEAD")
                return
            url = urlsplit(target)
            if url.path == "/events":
                await self._stream(writer)
            elif url.path in self.files:
                body, kind = self.files[url.path]
                await self._send(writer, 200, kind, body, method == "HEAD")
            elif url.path in self.routes:
                handler = self.routes[url.path]
                status, kind, body = await self._loop.run_in_executor(None, handler, parse_qs(url.query))
                await self._send(writer, status, kind, body, method == "HEAD")
            else:
                await self._send(writer, 404, "text/plain", b"not found\n", method == "HEAD")
        except (ConnectionError, asyncio.TimeoutError, asyncio.CancelledError):
            pass   # gone, too slow to read, or the server is stopping
        except Exception:  # noqa: BLE001 - one request's failure never reaches the board
            log.exception("web: a request failed")
        finally:
            self.clients -= 1
            writer.close()

    async def _send(self, writer: asyncio.StreamWriter, status: int, kind: str, body: bytes, head_only: bool) -> None:
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, '')}", f"Content-Type: {kind}",
                 f"Content-Length: {len(body)}", "Connection: close"] + [f"{k}: {v}" for k, v in HEADERS]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + (b"" if head_only else body))
        await asyncio.wait_for(writer.drain(), SEND_TIMEOUT)

    async def _stream(self, writer: asyncio.StreamWriter) -> None:
        """Server-Sent Events: the board's document now, then each new one, until the client goes or stops
        reading."""
        lines = ["HTTP/1.1 200 OK", "Content-Type: text/event-stream", "Connection: close"] + \
            [f"{k}: {v}" for k, v in HEADERS]
        queue: "asyncio.Queue[bytes]" = asyncio.Queue(maxsize=1)
        queue.put_nowait(self._document)
        self._streams.add(queue)
        try:
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
            while True:
                try:
                    document = await asyncio.wait_for(queue.get(), KEEPALIVE)
                    writer.write(b"data: " + document + b"\n\n")
                except asyncio.TimeoutError:
                    writer.write(b": still here\n\n")
                await asyncio.wait_for(writer.drain(), SEND_TIMEOUT)   # a client that never reads is dropped
        finally:
            self._streams.discard(queue)


def _request_line(head: bytes) -> Tuple[str, str]:
    """(method, target) of a request head; ("", "") when it is not HTTP."""
    first = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = first.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        return "", ""
    return parts[0], parts[1]
