"""SOCKS proxies for HTTP checks (urllib3's contrib.socks over PySocks), within the check's Deadline: the
proxy's name resolved by net/connect.py, and each socket watched from its creation, before the SOCKS
handshake."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from typing import Any, Optional, Sequence, Tuple

from statusboard.net import deadline
from statusboard.net.connect import resolve

_lock = threading.Lock()
_installed = False
_plain: Any = None   # PySocks' own create_connection, for threads without a Deadline


def _create_connection(dest_pair: Tuple[str, int], timeout: Any = None,
                       source_address: Optional[Tuple[str, int]] = None, proxy_type: Any = None,
                       proxy_addr: Optional[str] = None, proxy_port: Optional[int] = None, proxy_rdns: bool = True,
                       proxy_username: Optional[str] = None, proxy_password: Optional[str] = None,
                       socket_options: Optional[Sequence[Tuple[int, int, Any]]] = None) -> socket.socket:
    """PySocks' create_connection, with the thread's Deadline over the proxy's name and every socket."""
    import socks
    watch = deadline.current()
    if watch is None:
        return _plain(dest_pair, timeout, source_address, proxy_type, proxy_addr, proxy_port, proxy_rdns,
                      proxy_username, proxy_password, socket_options)
    host, port = dest_pair[0].strip("[]"), dest_pair[1]
    proxy_addr = (proxy_addr or "").strip("[]")
    proxy_port = proxy_port or socks.DEFAULT_PORTS.get(proxy_type, 1080)
    error: Optional[BaseException] = None
    for family, kind, proto, _, _ in resolve(proxy_addr, proxy_port, watch.at):
        sock = socks.socksocket(family, kind, proto)
        watch.add(sock)
        try:
            for option in socket_options or ():
                sock.setsockopt(*option)
            sock.settimeout(max(0.001, watch.at - time.monotonic()))
            sock.set_proxy(proxy_type, proxy_addr, proxy_port, proxy_rdns, proxy_username, proxy_password)
            if source_address:
                sock.bind(source_address)
            sock.connect((host, port))
            return sock
        except (OSError, socks.ProxyError) as exc:
            error = exc
            sock.close()
    raise error or OSError(f"no address for the proxy {proxy_addr}")


def socks_manager(proxy_url: str, context: ssl.SSLContext, pools: int) -> Any:
    """urllib3's SOCKSProxyManager for proxy_url (socks4, socks4a, socks5, socks5h; credentials in the URL)."""
    global _plain, _installed
    try:
        import socks
        from urllib3.contrib.socks import SOCKSProxyManager
    except ImportError:   # urllib3 says so with a warning; the pixel says it in one line
        from statusboard.net.httpfail import CheckError
        raise CheckError("a socks proxy needs PySocks (pip install PySocks)") from None
    with _lock:
        if not _installed:   # urllib3 looks it up at every connect
            _plain, socks.create_connection = socks.create_connection, _create_connection
            _installed = True
    return SOCKSProxyManager(proxy_url, num_pools=pools, maxsize=1, ssl_context=context)
