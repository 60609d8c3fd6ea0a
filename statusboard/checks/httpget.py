"""One HTTP(S) GET for a check, on the standard library's http.client and ssl.

Every socket is connected within the check's Deadline (checks/connect.py) and shut when it passes; redirects
are followed (at most MAX_REDIRECTS); TLS is verified against the system's CA store, or the bundle that
REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE names; proxies come from the environment (http_proxy, https_proxy,
all_proxy, no_proxy), https through a CONNECT tunnel; gzip and deflate bodies are decompressed, and no more
than BODY_LIMIT bytes are ever read or produced. A new connection for every check, as a new visitor makes.
"""

from __future__ import annotations

import base64
import http.client
import os
import socket
import ssl
import threading
import urllib.request
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict, List, Optional, Tuple
from urllib.parse import SplitResult, quote, unquote, urljoin, urlsplit

from statusboard import __version__
from statusboard.checks.connect import connect
from statusboard.checks.deadline import Deadline

BODY_LIMIT = 1024 * 1024
RAW_LIMIT = 2 * BODY_LIMIT   # bytes read off the wire, however little they decompress to
CHUNK = 64 * 1024
MAX_REDIRECTS = 10
REDIRECTS = frozenset((301, 302, 303, 307, 308))
PORTS = {"http": 80, "https": 443}
CODINGS = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate"}   # Content-Encoding -> what decodes it
USER_AGENT = f"statusboard/{__version__}"
_SAFE = "/%:@!$&'()*+,;=-._~?"   # what may stand unquoted in a request target


class CheckError(Exception):
    """A failure whose message is the detail people see."""


class TooManyRedirects(CheckError):
    """More redirects than MAX_REDIRECTS."""

    def __init__(self) -> None:
        super().__init__("redirect loop: too many redirects")


@dataclass
class Answer:
    """The final answer: its status, its headers and (when asked for) its decoded body, at most BODY_LIMIT."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes = b""

    def text(self) -> str:
        """The body as text, in the charset the answer names (UTF-8 when it names none it knows)."""
        charset = self.headers.get_content_charset() or "utf-8"
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


@dataclass
class Environment:
    """What the environment says about proxies and CA bundles, read once."""

    proxies: Dict[str, str] = field(default_factory=urllib.request.getproxies_environment)
    cafile: Optional[str] = field(default_factory=lambda: os.environ.get("REQUESTS_CA_BUNDLE")
                                  or os.environ.get("CURL_CA_BUNDLE") or None)

    def proxy(self, parts: SplitResult) -> Optional[SplitResult]:
        """The proxy for this URL, or None to go straight."""
        chosen = self.proxies.get(parts.scheme) or self.proxies.get("all")
        if not chosen or urllib.request.proxy_bypass_environment(parts.netloc.rpartition("@")[2], self.proxies):
            return None
        proxy = urlsplit(chosen if "://" in chosen else f"http://{chosen}")
        if proxy.scheme != "http":
            raise CheckError(f"proxy {proxy.scheme}://{proxy.hostname}: only http:// proxies are supported")
        return proxy


_contexts: Dict[Tuple[bool, Optional[str]], ssl.SSLContext] = {}
_contexts_lock = threading.Lock()


def tls_context(verify: bool, cafile: Optional[str]) -> ssl.SSLContext:
    """One shared client context per (verify, CA bundle): loading the CA store costs milliseconds."""
    key = (verify, cafile if verify else None)
    with _contexts_lock:
        context = _contexts.get(key)
        if context is None:
            if not verify:
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            else:
                context = ssl.create_default_context(cafile=cafile or _fallback_cafile())
                context.hostname_checks_common_name = False   # names are in subjectAltName, as browsers hold
            context.set_alpn_protocols(["http/1.1"])
            _contexts[key] = context
        return context


def _fallback_cafile() -> Optional[str]:
    """certifi's bundle, where the system has no CA store of its own (None: the system's store)."""
    paths = ssl.get_default_verify_paths()
    if (paths.cafile and os.path.exists(paths.cafile)) or (paths.capath and os.path.isdir(paths.capath)):
        return None
    try:
        import certifi
    except ImportError:
        return None
    return certifi.where()


def get(url: str, watch: Deadline, env: Environment, verify: bool = True, keep_body: bool = False) -> Answer:
    """GET `url`, following redirects, every connection within `watch`; the final answer."""
    for hop in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        if parts.scheme not in PORTS or not parts.hostname:
            raise CheckError(f"not an http(s) URL: {url[:80]}")
        proxy = env.proxy(parts)
        sock = _open(parts, proxy, watch, env.cafile, verify)
        try:
            sock.sendall(_request(parts, proxy if parts.scheme == "http" else None))
            resp = http.client.HTTPResponse(sock, method="GET")
            try:
                resp.begin()
                location = resp.getheader("Location")
                if resp.status in REDIRECTS and location:
                    if hop == MAX_REDIRECTS:
                        raise TooManyRedirects()
                    url = urljoin(url, location.strip()).partition("#")[0]
                    continue
                return Answer(resp.status, resp.headers, _body(resp, keep_body))
            finally:
                resp.close()
        finally:
            sock.close()
    raise TooManyRedirects()   # not reached: the last hop returns or raises


def _open(parts: SplitResult, proxy: Optional[SplitResult], watch: Deadline, cafile: Optional[str],
          verify: bool) -> socket.socket:
    """A socket ready for the request: connected (straight or to the proxy), tunnelled, TLS set up."""
    host, port = parts.hostname or "", parts.port or PORTS[parts.scheme]
    if proxy is None:
        sock = connect((host, port), watch.at, note=watch.add)
    else:
        sock = connect((proxy.hostname or "", proxy.port or 80), watch.at, note=watch.add)
    try:
        if parts.scheme != "https":
            return sock
        if proxy is not None:
            _tunnel(sock, host, port, proxy)
        tls = tls_context(verify, cafile).wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False)
    except BaseException:
        sock.close()
        raise
    watch.add(tls)   # the wrapped socket owns the descriptor now: watched before a handshake that may drip
    try:
        tls.do_handshake()
    except BaseException:
        tls.close()
        raise
    return tls


def _authority(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _basic(parts: SplitResult) -> Optional[str]:
    """The Basic credentials a URL carries (user:password@), if any."""
    if parts.username is None:
        return None
    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode("utf-8")
    return "Basic " + base64.b64encode(pair).decode("ascii")


def _tunnel(sock: socket.socket, host: str, port: int, proxy: SplitResult) -> None:
    """Ask the proxy for a tunnel to host:port (as http.client's set_tunnel does)."""
    lines = [f"CONNECT {_authority(host, port)} HTTP/1.1", f"Host: {_authority(host, port)}",
             f"User-Agent: {USER_AGENT}"]
    auth = _basic(proxy)
    if auth:
        lines.append(f"Proxy-Authorization: {auth}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    resp = http.client.HTTPResponse(sock, method="CONNECT")
    try:
        resp.begin()
    finally:
        resp.close()
    if resp.status != 200:
        raise CheckError(f"the proxy {proxy.hostname} answered {resp.status} {resp.reason} to CONNECT")


@lru_cache(maxsize=1024)   # a target asks for the same URL every time
def _request(parts: SplitResult, proxy: Optional[SplitResult]) -> bytes:
    """The request's bytes: a GET of the path (of the whole URL, to a plain-HTTP proxy, with the proxy's
    credentials when its URL has them), asking for the connection to close."""
    host = (parts.hostname or "").encode("idna").decode("ascii")
    if parts.port in (None, PORTS[parts.scheme]):
        authority = f"[{host}]" if ":" in host else host
    else:
        authority = _authority(host, parts.port)
    path = quote(parts.path or "/", safe=_SAFE) + ("?" + quote(parts.query, safe=_SAFE) if parts.query else "")
    target = f"{parts.scheme}://{authority}{path}" if proxy is not None else path
    lines = [f"GET {target} HTTP/1.1", f"Host: {authority}", f"User-Agent: {USER_AGENT}",
             "Accept-Encoding: gzip, deflate", "Accept: */*", "Connection: close"]
    for header, source in (("Authorization", parts), ("Proxy-Authorization", proxy)):
        auth = _basic(source) if source is not None else None
        if auth:
            lines.append(f"{header}: {auth}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class _Inflater:
    """gzip or deflate (with or without its zlib header, as servers send both), at most `limit` bytes out."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS if coding != "deflate" else zlib.MAX_WBITS)
        self._first = True

    def feed(self, data: bytes, limit: int) -> bytes:
        try:
            out = self._z.decompress(data, limit)
        except zlib.error:
            if not (self._first and self.coding == "deflate"):
                raise CheckError(f"the body's {self.coding} encoding is broken") from None
            self._z = zlib.decompressobj(-zlib.MAX_WBITS)   # raw deflate, without the zlib header
            return self.feed(data, limit)
        self._first = False
        return out


def _body(resp: http.client.HTTPResponse, keep: bool) -> bytes:
    """Read the body to its end or to the limits, decompressing it; the decoded bytes when `keep`."""
    coding = CODINGS.get((resp.getheader("Content-Encoding") or "").strip().lower())
    inflater = _Inflater(coding) if coding else None
    parts: List[bytes] = []
    size = raw = 0
    while size < BODY_LIMIT and raw < RAW_LIMIT:
        data = resp.read(CHUNK)
        if not data:
            break
        raw += len(data)
        if inflater is not None:
            data = inflater.feed(data, BODY_LIMIT - size)
        size += len(data)
        if keep:
            parts.append(data)
    return b"".join(parts)[:BODY_LIMIT] if keep else b""
