"""What an HTTP check takes from its environment and its URL: the proxies and the CA bundle the environment
names (read once, with urllib3's pools made for them), the proxy for a URL by requests' rules, a URL's Basic
credentials, and the URL bare of them."""

from __future__ import annotations

import base64
import os
import sys
from typing import Any, Dict, Optional
from urllib.parse import SplitResult, unquote, urlunsplit


class Environment:
    """What the environment says about proxies and CA bundles, read once; urllib3's pools made for it."""

    def __init__(self) -> None:
        self.proxies: Dict[str, str] = _proxies()
        self.ca: Optional[str] = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None
        self.pools: Dict[Any, Any] = {}   # (proxy, TLS context) -> urllib3's PoolManager (net/urllib3get.py)
        self.proxied = bool(set(self.proxies) - {"no"})   # whether any URL may go through a proxy

    def proxy(self, url: str) -> Optional[str]:
        """The proxy URL for this URL, or None to go straight: requests' rules (no_proxy with names, leading
        dots, ports, CIDR blocks and `*`; per scheme and per host, then all_proxy)."""
        if not self.proxied:
            return None
        from requests.utils import select_proxy, should_bypass_proxies   # only where a proxy is set
        if should_bypass_proxies(url, no_proxy=None):
            return None
        return select_proxy(url, self.proxies) or None


def _proxies() -> Dict[str, str]:
    """urllib's proxies from the environment (its *_proxy variables, and the system's settings on macOS and
    Windows); urllib.request, which costs 4 ms to import here, only where there may be some."""
    if sys.platform in ("darwin", "win32") or any(name.lower().endswith("_proxy") for name in os.environ):
        import urllib.request
        return urllib.request.getproxies()
    return {}


def basic(parts: SplitResult) -> Optional[str]:
    """The Basic credentials a URL carries (user:password@, UTF-8), if any."""
    if parts.username is None:
        return None
    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode("utf-8")
    return "Basic " + base64.b64encode(pair).decode("ascii")


def bare(parts: SplitResult) -> str:
    """The URL without its credentials and fragment, and without a host's trailing dot (the same host, which
    TLS names without it)."""
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host.rstrip(".")
    netloc = f"{host}:{parts.port}" if parts.port is not None else host
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
