"""One connection to the MQTT broker for the whole board (paho-mqtt 2.x): it connects and reconnects with
backoff on a thread of its own, says in one line why it is not connected, and never blocks a caller."""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from collections import defaultdict
from typing import Callable, DefaultDict, List, Optional

from statusboard.config.mqtt import MqttSettings, ca_context, credentials

log = logging.getLogger(__name__)

MIN_DELAY, MAX_DELAY = 1.0, 60.0   # seconds between tries to reach the broker, doubling while it fails
KEEPALIVE = 30
Handler = Callable[[str, bytes], None]


def explain(exc: BaseException, url: str) -> str:
    """One line for people from a failure to reach the broker."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"the MQTT broker at {url} presented a certificate that failed verification: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS with the MQTT broker at {url} failed: {exc.reason or exc}"
    if isinstance(exc, ConnectionRefusedError):
        return f"cannot reach the MQTT broker at {url}: connection refused"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return f"no answer from the MQTT broker at {url}"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the MQTT broker's name in {url}: {exc.strerror or exc}"
    if isinstance(exc, OSError):
        return f"cannot reach the MQTT broker at {url}: {exc.strerror or exc}"
    return f"MQTT ({url}): {type(exc).__name__}: {exc}"


class MqttLink:
    """The board's connection: publish() and subscribe() from any thread; `problem` says why it is down."""

    def __init__(self, settings: MqttSettings, will: bool = True) -> None:
        import paho.mqtt.client as mqtt   # imported only when the board has an mqtt section

        self.settings = settings
        self.url = settings.url
        self.problem: Optional[str] = f"connecting to the MQTT broker at {self.url}"
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._refusal: Optional[str] = None
        self._handlers: DefaultDict[str, List[Handler]] = defaultdict(list)
        self._on_connect: List[Callable[[], None]] = []
        self._on_change: List[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        client = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id=settings.client_id,
                             protocol=mqtt.MQTTv311)
        client.connect_timeout = 5.0
        try:
            user, password = credentials(settings)
        except OSError as exc:
            user, password = None, None
            self.problem = f"cannot read the MQTT credentials file {settings.credentials}: {exc.strerror or exc}"
        if user:
            client.username_pw_set(user, password)
        if settings.tls and settings.ca_file:
            try:   # read here, safely (a FIFO is refused), not by ssl when it connects
                client.tls_set_context(ca_context(settings.ca_file))   # the certificate and its name are verified
            except (OSError, ssl.SSLError) as exc:
                why = getattr(exc, 'strerror', None) or exc
                self.problem = f"cannot use the MQTT CA file {settings.ca_file}: {why}"
        elif settings.tls:
            client.tls_set()   # the system's CAs
        if will:
            client.will_set(settings.availability, "offline", qos=1, retain=True)
        client.on_connect = self._connected
        client.on_message = self._message
        self.client = client

    def start(self) -> "MqttLink":
        """Connect in the background (and keep connecting)."""
        self._thread = threading.Thread(target=self._run, name="mqtt", daemon=True)
        self._thread.start()
        return self

    def when_connected(self, call: Callable[[], None]) -> None:
        """Call this (on the link's thread) each time the connection is made."""
        self._on_connect.append(call)

    def when_changed(self, call: Callable[[], None]) -> None:
        """Call this (on the link's thread) whenever the link comes up, goes down, or gives another reason."""
        self._on_change.append(call)

    def subscribe(self, topic: str, handler: Handler) -> None:
        """Call handler(topic, payload) for each message on topic, from now on and after every reconnect."""
        with self._lock:
            first = topic not in self._handlers
            self._handlers[topic].append(handler)
        if first and self.connected.is_set():
            self.client.subscribe(topic, qos=1)

    def publish(self, topic: str, payload: bytes, retain: bool = True) -> bool:
        """Send without waiting; False (nothing sent) while not connected."""
        if not self.connected.is_set():
            return False
        return self.client.publish(topic, payload, qos=1, retain=retain).rc == 0

    def stop(self, offline: bool = True) -> None:
        """Say offline (a clean stop), disconnect and end the thread."""
        if offline and self.connected.is_set():
            info = self.client.publish(self.settings.availability, "offline", qos=1, retain=True)
            try:
                info.wait_for_publish(timeout=1.0)
            except (RuntimeError, ValueError):
                pass
        self._stop.set()
        try:
            self.client.disconnect()
        except Exception:  # noqa: BLE001 - stopping goes on
            pass
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)

    def _run(self) -> None:
        delay = MIN_DELAY
        while not self._stop.is_set():
            if self.problem and self.problem.startswith(("cannot read the MQTT credentials", "cannot use the MQTT CA")):
                self._stop.wait(MAX_DELAY)
                continue
            self._refusal = None
            try:
                self.client.connect(self.settings.host, self.settings.port, keepalive=KEEPALIVE)
            except Exception as exc:  # noqa: BLE001 - every failure is a reason on the pixels and a retry
                self._down(explain(exc, self.url))
            else:
                while not self._stop.is_set() and self.client.loop(timeout=0.5) == 0:
                    pass
                if self._stop.is_set():
                    self.connected.clear()
                    break
                was_up = self.connected.is_set()
                self._down(self._refusal or f"the connection to the MQTT broker at {self.url} was lost")
                if was_up:
                    delay = MIN_DELAY
            if self._stop.wait(delay):
                break
            delay = min(delay * 2, MAX_DELAY)

    def _down(self, problem: str) -> None:
        changed = self.connected.is_set() or problem != self.problem
        self.connected.clear()
        if problem != self.problem:
            log.warning("MQTT: %s", problem)
        self.problem = problem
        if changed:
            _call_each(self._on_change, "a change hook")

    def _connected(self, client: object, userdata: object, flags: object, reason_code: object,
                   properties: object) -> None:
        if getattr(reason_code, "is_failure", False):
            self._refusal = f"the MQTT broker at {self.url} refused the connection: {reason_code}"
            return
        self.connected.set()
        if self.problem:
            log.info("MQTT: connected to %s", self.url)
        self.problem = None
        with self._lock:
            topics = list(self._handlers)
        for topic in topics:
            self.client.subscribe(topic, qos=1)
        _call_each(self._on_connect, "a connect hook")
        _call_each(self._on_change, "a change hook")

    def _message(self, client: object, userdata: object, message: object) -> None:
        topic = getattr(message, "topic", "")
        with self._lock:
            handlers = list(self._handlers.get(topic, ()))
        for handler in handlers:
            try:
                handler(topic, bytes(getattr(message, "payload", b"")))
            except Exception:  # noqa: BLE001 - a bad message must not stop the others
                log.exception("MQTT: handling a message on %s failed", topic)


def _call_each(calls: List[Callable[[], None]], what: str) -> None:
    """Call every hook; one that fails is logged and does not stop the others."""
    for call in list(calls):
        try:
            call()
        except Exception:  # noqa: BLE001 - one hook must not stop the others
            log.exception("MQTT: %s failed", what)
