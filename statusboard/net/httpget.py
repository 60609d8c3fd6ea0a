"""One HTTP(S) GET for a check, following redirects: plain http on http.client (net/plainhttp.py), the rest
through urllib3 (net/urllib3get.py: https, proxies, URLs urllib3 rewrites), each imported when first needed.

What stays here:
- redirects, followed here (at most MAX_REDIRECTS; Authorization dropped when the host changes, as requests
  does; a redirect's body never read);
- Basic credentials from the URL, in UTF-8, and the proxy for a URL, chosen from the environment by requests'
  own rules (net/httpenv.py);
- the body, read raw and decoded within the caps (net/httpbody.py);
- the check's Deadline around every socket, given by the caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import SplitResult, urljoin, urlsplit

from statusboard import __version__
from statusboard.net import plainhttp
from statusboard.net.deadline import Deadline
from statusboard.net.httpbody import read_body
from statusboard.net.httpenv import Environment, bare, basic
from statusboard.net.httpfail import CheckError

MAX_REDIRECTS = 10
MAX_URL = 8 * 1024   # a redirect to a longer URL is refused, as servers refuse longer request lines
REDIRECTS = frozenset((301, 302, 303, 307, 308))
HEADERS = {"User-Agent": f"statusboard/{__version__}", "Accept-Encoding": "gzip, deflate", "Accept": "*/*"}
_CHARSET = re.compile(r"charset\s*=\s*\"?([\w.:-]+)", re.I)


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


def get(url: str, watch: Deadline, env: Environment, verify: bool = True, keep_body: bool = False) -> Answer:
    """GET `url`, following redirects, every socket within `watch`; the final answer."""
    parts = urlsplit(url)
    auth = basic(parts)
    for hop in range(MAX_REDIRECTS + 1):
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CheckError(f"a redirect to something other than an http(s) URL ({parts.scheme or 'none'})")
        headers = dict(HEADERS, Authorization=auth) if auth else HEADERS
        resp = _ask(parts, headers, watch, env, verify, hop > 0)
        try:
            location = resp.headers.get("Location")
            if resp.status in REDIRECTS and location:
                if hop == MAX_REDIRECTS:
                    raise TooManyRedirects()
                location = location.strip()
                if len(location) > MAX_URL:
                    raise CheckError(f"a redirect to a URL of {len(location) // 1024} KB (a check follows "
                                     f"URLs of at most {MAX_URL // 1024} KB)")
                following = urlsplit(urljoin(bare(parts), location))
                if following.username is not None:
                    auth = basic(following)
                elif (following.hostname or "").rstrip(".") != (parts.hostname or "").rstrip("."):
                    auth = None   # credentials are for the host they were given for
                parts = following
                continue
            return Answer(resp.status, resp.headers, read_body(resp, keep_body))
        finally:
            resp.close()   # a body read to its end has handed its connection back already; else it is closed
    raise TooManyRedirects()   # not reached: the last hop returns or raises


def _ask(parts: SplitResult, headers: Mapping[str, str], watch: Deadline, env: Environment, verify: bool,
         redirected: bool) -> Any:
    """One GET of this URL, no redirect followed, the body left unread: on http.client when it is plain http
    asked straight, else through urllib3."""
    proxy = env.proxy(bare(parts)) if env.proxied else None
    target = plainhttp.request_target(parts) if parts.scheme == "http" and proxy is None else None
    if target is not None:
        return plainhttp.ask(parts, target, headers, watch)
    from statusboard.net import urllib3get
    return urllib3get.ask(env, bare(parts), proxy, headers, watch, verify, redirected)
