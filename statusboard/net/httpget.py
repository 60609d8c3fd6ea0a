"""One HTTP(S) GET for a check, through urllib3.

urllib3 speaks the protocol: connections, TLS (SNI, IDNA 2008 names through the idna package), http, https
and SOCKS proxies with CONNECT, request lines, framing and Content-Length. What stays ours:
- how connections are kept from one check to the next, and when a check opens a new one (net/httppool.py);
- the check's Deadline around every socket it opens (net/urllib3_deadline.py, net/deadline.py);
- redirects, followed here (at most MAX_REDIRECTS; Authorization dropped when the host changes, as requests
  does; a redirect's body never read);
- Basic credentials from the URL, in UTF-8;
- the proxy for a URL, chosen from the environment by requests' own rules (requests.utils);
- the body, read raw and decoded here: gzip and deflate, stacked and multi-member, never more than
  BODY_LIMIT produced nor RAW_LIMIT read (a compression bomb stops at the cap).
"""

from __future__ import annotations

import base64
import ipaddress
import os
import re
import ssl
import threading
import time
import urllib.request
import zlib
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple
from urllib.parse import SplitResult, unquote, urljoin, urlsplit, urlunsplit

import urllib3
from urllib3.exceptions import LocationParseError, ProtocolError, ProxyError
from urllib3.util import Timeout

from statusboard import __version__
from statusboard.net import urllib3_deadline
from statusboard.net.deadline import Deadline
from statusboard.net.httpfail import CheckError
from statusboard.net.httppool import kept, was_reused

BODY_LIMIT = 1024 * 1024     # bytes of body a check reads at most, after decoding (README: Configuration)
RAW_LIMIT = 2 * BODY_LIMIT   # bytes read off the wire, however little they decode to
CHUNK = 64 * 1024
MAX_REDIRECTS = 10
MAX_URL = 8 * 1024   # a redirect to a longer URL is refused, as servers refuse longer request lines
REDIRECTS = frozenset((301, 302, 303, 307, 308))
CODINGS = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate"}   # Content-Encoding -> what undoes it
HEADERS = {"User-Agent": f"statusboard/{__version__}", "Accept-Encoding": "gzip, deflate", "Accept": "*/*"}
urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)   # `verify: false` is the owner's choice
_CHARSET = re.compile(r"charset\s*=\s*\"?([\w.:-]+)", re.I)
_TUNNEL = re.compile(r"Tunnel connection failed: (\d{3}) ?([^'\")]*)")


class TooManyRedirects(CheckError):
    """More redirects than MAX_REDIRECTS."""

    def __init__(self) -> None:
        super().__init__("redirect loop: too many redirects")


@dataclass
class Answer:
    """The final answer: its status, its headers and (when asked for) its decoded body, at most BODY_LIMIT."""

    status: int
    headers: Mapping[str, str]
    body: bytes = b""

    def text(self) -> str:
        """The body as text, in the charset the answer names (UTF-8 when it names none it knows)."""
        match = _CHARSET.search(self.headers.get("Content-Type") or "")
        try:
            return self.body.decode(match.group(1) if match else "utf-8", errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


class Environment:
    """What the environment says about proxies and CA bundles, read once."""

    def __init__(self) -> None:
        self.proxies: Dict[str, str] = urllib.request.getproxies()
        self.ca: Optional[str] = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None
        self._managers: Dict[Tuple[Optional[str], int], urllib3.PoolManager] = {}
        self._lock = threading.Lock()

    def manager(self, proxy: Optional[str], context: ssl.SSLContext) -> urllib3.PoolManager:
        """urllib3's pools, straight or through `proxy`, shared by every check (which connections they keep:
        net/httppool.py)."""
        manager = self._managers.get((proxy, id(context)))   # made once; no lock to find it again
        if manager is None:
            with self._lock:
                manager = self._managers.get((proxy, id(context)))
                if manager is None:
                    manager = self._managers[(proxy, id(context))] = _manager(proxy, context, self.ca)
        return manager

    def proxy(self, url: str) -> Optional[str]:
        """The proxy URL for this URL, or None to go straight: requests' rules (no_proxy with names, leading
        dots, ports, CIDR blocks and `*`; per scheme and per host, then all_proxy)."""
        if not self.proxies or set(self.proxies) <= {"no"}:
            return None
        from requests.utils import select_proxy, should_bypass_proxies   # only where a proxy is set
        if should_bypass_proxies(url, no_proxy=None):
            return None
        return select_proxy(url, self.proxies) or None


_contexts: Dict[Tuple[bool, Optional[str], bool], ssl.SSLContext] = {}
_contexts_lock = threading.Lock()


# urllib3 1.26 (botocore's on Python 3.9) gives ssl no server name for an IP address, and ssl cannot check a
# name it is not given: for those hosts urllib3 checks the certificate's names itself.
_URLLIB3_CHECKS_IPS = urllib3.__version__.startswith("1.")


def tls_context(verify: bool, ca: Optional[str], by_urllib3: bool = False) -> ssl.SSLContext:
    """One shared client context per (verify, CA bundle file or directory, who checks the name): loading a CA
    store costs milliseconds."""
    key = (verify, ca if verify else None, by_urllib3 and verify)
    context = _contexts.get(key)   # made once; no lock to find it again
    if context is not None:
        return context
    with _contexts_lock:
        context = _contexts.get(key)
        if context is None:
            if not verify:
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            else:
                where = ca or _fallback_cafile()
                if where and os.path.isdir(where):
                    context = ssl.create_default_context(capath=where)
                else:
                    _readable_ca(where)
                    context = ssl.create_default_context(cafile=where)
                context.hostname_checks_common_name = False   # names are in subjectAltName, as browsers hold
                context.check_hostname = not by_urllib3
            context.set_alpn_protocols(["http/1.1"])
            _contexts[key] = context
        return context


def _readable_ca(path: Optional[str]) -> None:
    """CheckError when the CA bundle is a FIFO (ssl would wait on it for ever, past any deadline) or a device."""
    from statusboard.readfile import unfit
    if not path:
        return
    try:
        why = unfit(os.stat(path), CA_BUNDLE_BYTES)
    except OSError:
        return   # ssl says why in its own words
    if why:
        raise CheckError(f"the CA bundle {path} {why}: it is not read")


CA_BUNDLE_BYTES = 16 * 1024 * 1024


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


def _is_address(host: Optional[str]) -> bool:
    """Whether host is an IP address rather than a name."""
    try:
        ipaddress.ip_address(host or "")
    except ValueError:
        return False
    return True


def _basic(parts: SplitResult) -> Optional[str]:
    """The Basic credentials a URL carries (user:password@, UTF-8), if any."""
    if parts.username is None:
        return None
    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode("utf-8")
    return "Basic " + base64.b64encode(pair).decode("ascii")


def _bare(parts: SplitResult) -> str:
    """The URL without its credentials and fragment, and without a host's trailing dot (the same host, which
    TLS names without it)."""
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host.rstrip(".")
    netloc = f"{host}:{parts.port}" if parts.port is not None else host
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


POOLS = 256   # a pool per host and port: a board's targets, and where they redirect
KEEP = 2      # connections kept per host and port, for checks of the same server at the same time


def _manager(proxy: Optional[str], context: ssl.SSLContext, ca: Optional[str]) -> urllib3.PoolManager:
    """urllib3's pools, straight or through `proxy`, keeping connections as net/httppool.py says."""
    manager = _pools(proxy, context, ca)
    manager.pool_classes_by_scheme = {scheme: kept(cls) for scheme, cls in manager.pool_classes_by_scheme.items()}
    return manager


def _pools(proxy: Optional[str], context: ssl.SSLContext, ca: Optional[str]) -> urllib3.PoolManager:
    """urllib3's pools, straight or through `proxy` (http, https or socks)."""
    if proxy is None:
        return urllib3.PoolManager(num_pools=POOLS, maxsize=KEEP, ssl_context=context)
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    if parts.scheme.startswith("socks"):
        from statusboard.net.socks_deadline import socks_manager
        return socks_manager(parts._replace(scheme="socks5h" if parts.scheme == "socks5" else parts.scheme)
                             .geturl(), context, POOLS)
    if parts.scheme not in ("http", "https"):
        raise CheckError(f"the proxy {parts.scheme}://{parts.hostname} is of no kind a check can use "
                         "(http, https, socks4, socks5)")
    auth = _basic(parts)
    return urllib3.ProxyManager(_bare(parts), num_pools=POOLS, maxsize=KEEP, ssl_context=context,
                                proxy_ssl_context=tls_context(True, ca),
                                proxy_headers={"Proxy-Authorization": auth} if auth else None)


def get(url: str, watch: Deadline, env: Environment, verify: bool = True, keep_body: bool = False) -> Answer:
    """GET `url`, following redirects, every socket within `watch`; the final answer."""
    urllib3_deadline.install()
    parts = urlsplit(url)
    auth = _basic(parts)
    for hop in range(MAX_REDIRECTS + 1):
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CheckError(f"a redirect to something other than an http(s) URL ({parts.scheme or 'none'})")
        bare = _bare(parts)
        proxy = env.proxy(bare)
        context = tls_context(verify, env.ca, _URLLIB3_CHECKS_IPS and _is_address(parts.hostname))
        manager = env.manager(proxy, context)
        left = max(0.001, watch.at - time.monotonic())
        headers = dict(HEADERS, Authorization=auth) if auth else HEADERS
        try:
            try:
                resp = _ask(manager, bare, headers, left)
            except ProtocolError:
                if not was_reused() or watch.expired:
                    raise
                # A kept connection the server dropped as it was used: no verdict; once more, on a new one.
                resp = _ask(manager, bare, headers, max(0.001, watch.at - time.monotonic()))
        except ProxyError as exc:
            raise CheckError(_proxy_failure(exc, proxy)) from exc
        except LocationParseError:
            raise CheckError("a redirect to something that is not a URL" if hop else
                             "not a URL the HTTP client can ask (its host name?)") from None
        try:
            location = resp.headers.get("Location")
            if resp.status in REDIRECTS and location:
                if hop == MAX_REDIRECTS:
                    raise TooManyRedirects()
                location = location.strip()
                if len(location) > MAX_URL:
                    raise CheckError(f"a redirect to a URL of {len(location) // 1024} KB (a check follows "
                                     f"URLs of at most {MAX_URL // 1024} KB)")
                following = urlsplit(urljoin(bare, location))
                if following.username is not None:
                    auth = _basic(following)
                elif (following.hostname or "").rstrip(".") != (parts.hostname or "").rstrip("."):
                    auth = None   # credentials are for the host they were given for
                parts = following
                continue
            return Answer(resp.status, resp.headers, _body(resp, keep_body))
        finally:
            resp.close()   # a body read to its end has handed its connection back already; else it is closed
    raise TooManyRedirects()   # not reached: the last hop returns or raises


def _ask(manager: urllib3.PoolManager, url: str, headers: Mapping[str, str], left: float) -> Any:
    """One GET, no redirect followed, no retry, the body left unread."""
    return manager.urlopen("GET", url, headers=headers, redirect=False, retries=False, preload_content=False,
                           decode_content=False, timeout=Timeout(connect=left, read=left),
                           enforce_content_length=True)


def _proxy_failure(exc: ProxyError, proxy: Optional[str]) -> str:
    """What went wrong with the proxy, in one line."""
    name = urlsplit(proxy or "").hostname or "?"
    tunnel = _TUNNEL.search(str(exc))
    if tunnel:
        return f"the proxy {name} answered {tunnel.group(1)} {tunnel.group(2).strip()} to CONNECT"
    reason = next((a for a in exc.args if isinstance(a, BaseException)), exc)
    return f"cannot use the proxy {name}: {type(reason).__name__}: {str(reason)[:100]}"


class _Decoder:
    """One Content-Encoding undone: gzip (every member), or deflate with or without its zlib header, as servers
    send both. At most `limit` bytes come out of a call; what it has not used yet is kept for the next."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS if coding == "gzip" else zlib.MAX_WBITS)
        self._raw = coding == "gzip"   # deflate tries the zlib header first, then raw deflate, once
        self._started = False
        self._pending = b""

    def feed(self, data: bytes, limit: int) -> bytes:
        """Decoded bytes of what came so far (data: more of the body; b"" to go on with what was kept)."""
        data, out = self._pending + data, []
        while data and limit > 0:
            try:
                piece = self._z.decompress(data, limit)
            except zlib.error:
                if self._started or self._raw:
                    raise CheckError(f"the body's {self.coding} encoding is broken") from None
                self._raw = True
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                continue
            self._started = True
            out.append(piece)
            limit -= len(piece)
            if self._z.eof:
                data = self._z.unused_data
                if self.coding != "gzip" or not data.strip(b"\0"):
                    data = b""   # what follows a deflate stream, or a gzip's zero padding, is not body
                    break
                self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)   # the next gzip member
                continue
            data = self._z.unconsumed_tail
        self._pending = data
        return b"".join(out)


def _decoders(header: Optional[str]) -> List[_Decoder]:
    """The decoders that undo a Content-Encoding such as `gzip` or `gzip, deflate`, last applied first; none
    when it names a coding a check cannot undo (the body is then searched as it came)."""
    codings = [c.strip().lower() for c in (header or "").split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if any(c not in CODINGS for c in codings):
        return []
    return [_Decoder(CODINGS[c]) for c in reversed(codings)]


def _body(resp: Any, keep: bool) -> bytes:
    """Read the body to its end or to the limits, decoding it; the decoded bytes when `keep`."""
    chain = _decoders(resp.headers.get("Content-Encoding"))
    parts: List[bytes] = []
    size = raw = 0
    ended = False
    while size < BODY_LIMIT:
        data = b""
        if not ended and raw < RAW_LIMIT:
            data = resp.read(CHUNK, decode_content=False)
            raw += len(data)
            ended = not data
        for i, decoder in enumerate(chain):
            data = decoder.feed(data, BODY_LIMIT - size if i == len(chain) - 1 else RAW_LIMIT)
        if not data and (ended or raw >= RAW_LIMIT):
            break
        size += len(data)
        if keep:
            parts.append(data)
    return b"".join(parts)[:BODY_LIMIT] if keep else b""
