"""One GET through urllib3's pools: https (TLS, SNI, IDNA 2008 names through the idna package), http, https and
SOCKS proxies with CONNECT, and plain http to a URL urllib3 rewrites (net/plainhttp.py takes the others).

What stays ours: which connections are kept (net/httppool.py), the check's Deadline around every socket
(net/urllib3_deadline.py, net/deadline.py), one TLS context per (verify, CA bundle), and a kept connection the
server dropped as it was used asked again once on a new one. Imported at the first check that needs it: a
board of plain-HTTP targets never loads urllib3.
"""

from __future__ import annotations

import ipaddress
import os
import re
import ssl
import threading
import time
from typing import Any, Dict, Mapping, Optional, Tuple
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import LocationParseError, ProtocolError, ProxyError
from urllib3.util import Timeout

from statusboard.net import urllib3_deadline
from statusboard.net.deadline import Deadline
from statusboard.net.httpenv import Environment, bare, basic
from statusboard.net.httpfail import CheckError
from statusboard.net.httppool import kept, was_reused

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)   # `verify: false` is the owner's choice
_TUNNEL = re.compile(r"Tunnel connection failed: (\d{3}) ?([^'\")]*)")
_lock = threading.Lock()


def ask(env: Environment, url: str, proxy: Optional[str], headers: Mapping[str, str], watch: Deadline, verify: bool,
        redirected: bool) -> Any:
    """One GET of the bare `url` (straight, or through `proxy`), no redirect followed, the body left unread;
    a kept connection dropped as it was used is asked again once, on a new one."""
    urllib3_deadline.install()
    host = urlsplit(url).hostname
    context = tls_context(verify, env.ca, _URLLIB3_CHECKS_IPS and _is_address(host))
    manager = _manager_for(env, proxy, context)
    try:
        try:
            return _ask(manager, url, headers, max(0.001, watch.at - time.monotonic()))
        except ProtocolError:
            if not was_reused() or watch.expired:
                raise
            # A kept connection the server dropped as it was used: no verdict; once more, on a new one.
            return _ask(manager, url, headers, max(0.001, watch.at - time.monotonic()))
    except ProxyError as exc:
        raise CheckError(_proxy_failure(exc, proxy)) from exc
    except LocationParseError:
        raise CheckError("a redirect to something that is not a URL" if redirected else
                         "not a URL the HTTP client can ask (its host name?)") from None


def _manager_for(env: Environment, proxy: Optional[str], context: ssl.SSLContext) -> urllib3.PoolManager:
    """urllib3's pools, straight or through `proxy`, shared by every check of this environment (which
    connections they keep: net/httppool.py)."""
    key = (proxy, id(context))
    manager = env.pools.get(key)   # made once; no lock to find it again
    if manager is None:
        with _lock:
            manager = env.pools.get(key)
            if manager is None:
                manager = env.pools[key] = _manager(proxy, context, env.ca)
    return manager


_contexts_lock = threading.Lock()
_contexts: Dict[Tuple[bool, Optional[str], bool], ssl.SSLContext] = {}


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
    auth = basic(parts)
    return urllib3.ProxyManager(bare(parts), num_pools=POOLS, maxsize=KEEP, ssl_context=context,
                                proxy_ssl_context=tls_context(True, ca),
                                proxy_headers={"Proxy-Authorization": auth} if auth else None)


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


