"""The web page as an output of the main loop: it starts the server when the board has a `web:` section, moves
it when a reload changes the address, and pushes each new snapshot to the page's event streams."""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from statusboard.config import Board
from statusboard.config.values import Invalid, span
from statusboard.config.web import WebSettings
from statusboard.outputs import Snapshot
from statusboard.text import utf8
from statusboard.vocabulary import Severity
from statusboard.web.document import DAY, history_document, json_answer, page_document, state_document
from statusboard.web.uptime import Uptime

log = logging.getLogger(__name__)


def since_of(asked: Dict[str, List[str]], now: float) -> float:
    """The wall-clock start of a history query: `since` in seconds, or with a unit (90m, 24h, 7d); else 24 h."""
    try:
        return now - span((asked.get("since") or ["24h"])[0])
    except Invalid:
        return now - DAY


class WebOut:
    """The board's page, API and metrics, on the address its config names (none without a `web:` section)."""

    def __init__(self, history_path: Callable[[], Optional[Path]], counters: Callable[[], Dict[str, float]],
                 brightness: Callable[[], float],
                 kind_states: Dict[str, Any], clock: Callable[[], float] = time.time) -> None:
        self._history_path = history_path   # the history's file, which a reload may change or drop
        self.brightness = brightness
        self.clock = clock
        self.server: Optional[Any] = None   # a WebServer (asyncio and prometheus_client: only with a page)
        self.settings: Optional[WebSettings] = None
        self.snapshot: Optional[Snapshot] = None
        self._sent: Optional[Tuple[Any, ...]] = None
        self.counters = counters
        self.kind_states = kind_states
        self.uptime: Optional[Uptime] = None
        self._severities: Dict[str, Severity] = {}
        self._uptime_lock = threading.Lock()

    @property
    def history_path(self) -> Optional[Path]:
        """The history's file, if the board keeps one."""
        return self._history_path()

    def update(self, snapshot: Snapshot, force: bool = False) -> None:
        """Serve where the config says; push the board's document when it changed."""
        self.snapshot = snapshot
        self.renew(snapshot.board)
        if self.server is None:
            return
        key = (snapshot.key, self.brightness())
        if force or key != self._sent:
            self._sent = key
            doc = page_document(snapshot, key[1], self.clock())
            self.server.publish(utf8(json.dumps(doc, ensure_ascii=False, separators=(",", ":"))))

    def renew(self, board: Board) -> None:
        """Serve where the config says: a reload that changes the address moves the server."""
        if board.web != self.settings:
            self._move(board.web)

    def _move(self, settings: Optional[WebSettings]) -> None:
        self.close()
        self.settings = settings
        if settings is None:
            return
        from statusboard.web.server import WebServer
        server = WebServer(settings.host, settings.port, self.routes(), settings.hosts)
        try:
            server.start()
        except OSError as exc:
            log.error("web: cannot listen on %s: %s; the board goes on without its page", settings.listen,
                      exc.strerror or exc)
            return
        self.server = server
        self._sent = None
        threading.Thread(target=self._warm, name="web-history", daemon=True).start()
        log.info("web: the board's page is at http://%s/", settings.listen)

    def summary(self) -> Optional[Uptime]:
        """The uptime summary of the history file, for the board's states now (None without history)."""
        path, snapshot = self.history_path, self.snapshot
        if path is None or snapshot is None or not path.exists():
            return None
        severities = {name: info.severity for name, info in snapshot.board.states.items()}
        with self._uptime_lock:
            if self.uptime is None or self.uptime.path != path or severities != self._severities:
                self._severities = severities
                self.uptime = Uptime(path, lambda state: severities.get(state, Severity.UNKNOWN))
            return self.uptime

    def _warm(self) -> None:
        """Read the whole history once, off the request path, so the page's first answer is quick."""
        try:
            summary = self.summary()
            if summary is not None:
                summary.answer([], self.clock())
        except Exception as exc:  # noqa: BLE001 - said when asked, never a crash
            log.info("web: history cannot be summed yet: %s", exc)

    def routes(self) -> Dict[str, Any]:
        """The API's paths and what answers them."""
        def state(_asked: Dict[str, List[str]]) -> Tuple[int, str, bytes]:
            if self.snapshot is None:
                return json_answer({"error": "starting"}, 503)
            return json_answer(state_document(self.snapshot))

        def history(asked: Dict[str, List[str]]) -> Tuple[int, str, bytes]:
            target = (asked.get("target") or [None])[0]
            try:
                limit = max(0, min(10000, int((asked.get("limit") or ["10000"])[0])))
            except ValueError:
                return json_answer({"error": "limit is a number of changes, 0 to 10000"}, 400)
            try:
                now = self.clock()
                doc = history_document(self.history_path, target, since_of(asked, now), limit)
                summary, snapshot = self.summary(), self.snapshot
                if summary is not None and snapshot is not None:
                    names = [target] if target is not None else [t.name for t in snapshot.board.targets]
                    doc.update(summary.answer(names, now))
                return json_answer(doc)
            except Exception as exc:  # noqa: BLE001 - a broken database is said, never a crash
                return json_answer({"changes": [], "note": f"history cannot be read: {exc}"}, 503)

        from statusboard.web.metrics import BoardCollector, exposition
        collector = BoardCollector(lambda: self.snapshot, self.counters, self.kind_states)

        def metrics(_asked: Dict[str, List[str]]) -> Tuple[int, str, bytes]:
            kind, body = exposition(collector)
            return 200, kind, body

        return {"/api/state": state, "/api/history": history, "/metrics": metrics}

    @property
    def port(self) -> Optional[int]:
        """The port served (the one the system chose, for port 0)."""
        return self.server.port if self.server is not None else None

    def close(self) -> None:
        """Stop serving."""
        if self.server is not None:
            self.server.stop()
            self.server = None
