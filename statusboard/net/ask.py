"""One GET for a kind that reads a server's answer (http; a query API: Prometheus, InfluxDB): through the HTTP
client (net/httpget.py), within the check's deadline; the answer, or why there is none, in one line."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Optional, Tuple

from statusboard.text import redact

log = logging.getLogger(__name__)


class Asker:
    """Asks URLs for one kind's checks; what the environment says of proxies and CA bundles is read once."""

    def __init__(self) -> None:
        self._env: Any = None
        self._lock = threading.Lock()

    def get(self, url: str, shown: str, timeout: float, deadline: Optional[float],
            verify: bool = True, keep_body: bool = True) -> Tuple[Any, Optional[str]]:
        """(the answer, None), or (None, why there is none); `shown` is the URL as people may see it; without
        keep_body the body is not read (the status is the answer)."""
        from statusboard.net.deadline import Deadline
        from statusboard.net.httpfail import failure_detail, failures
        from statusboard.net.httpenv import Environment
        from statusboard.net.httpget import get
        if self._env is None:
            with self._lock:
                if self._env is None:
                    self._env = Environment()
        at = deadline if deadline is not None else time.monotonic() + timeout
        with Deadline(at) as watch:
            try:
                answer = get(url, watch, self._env, verify, keep_body=keep_body)
            except Exception as exc:  # noqa: BLE001 - what is not a failure of the request is raised again
                if not isinstance(exc, failures()):
                    raise
                log.debug("%s: %s", redact(shown), redact(str(exc)))   # a password never reaches the log
                return None, failure_detail(exc, shown, timeout, watch.expired)
            if watch.expired:   # a cut-off answer can look complete
                return None, failure_detail(TimeoutError(), shown, timeout, True)
        return answer, None


def too_large(body: bytes) -> Optional[str]:
    """How large the client's cap is ("1 MB") when a body reached it (it was cut there), else None."""
    from statusboard.net.httpbody import BODY_LIMIT
    return f"{BODY_LIMIT // 1024 // 1024} MB" if len(body) >= BODY_LIMIT else None
