"""A real Mosquitto for the tests, on a free port of 127.0.0.1: anonymous, with a password file, or with TLS
from a test CA made with openssl; and a small client that records what the broker holds."""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mosquitto:
    """mosquitto -c CONF in a process of its own; stop() ends it, start() brings it back on the same port."""

    def __init__(self, directory: Path, port: Optional[int] = None, users: Optional[Dict[str, str]] = None,
                 tls: Optional["TestCA"] = None) -> None:
        if shutil.which("mosquitto") is None:
            pytest.skip("mosquitto is not installed (tests/run.sh installs it with apt)")
        self.port = port or free_port()
        self.directory = directory
        # As root, mosquitto would become user "mosquitto", who cannot read the test's own files: it stays the
        # user that runs the tests.
        lines = [f"listener {self.port} 127.0.0.1", "persistence false", "log_dest stderr", "log_type error",
                 f"user {getpass.getuser()}"]
        if users:
            passwd = directory / "passwd"
            passwd.write_text("")
            for user, password in users.items():
                subprocess.run(["mosquitto_passwd", "-b", str(passwd), user, password], check=True,
                               capture_output=True)
            passwd.chmod(0o600)
            lines += ["allow_anonymous false", f"password_file {passwd}"]
        else:
            lines.append("allow_anonymous true")
        if tls:
            lines += [f"cafile {tls.ca}", f"certfile {tls.cert}", f"keyfile {tls.key}"]
        self.conf = directory / f"mosquitto-{self.port}.conf"
        self.conf.write_text("\n".join(lines) + "\n")
        self.proc: Optional[subprocess.Popen] = None
        self.start()

    def start(self) -> None:
        """Run the broker and wait until it listens."""
        self.proc = subprocess.Popen(["mosquitto", "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"mosquitto exited: {self.proc.stderr.read().decode()[-500:]}")
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start listening")

    def stop(self) -> None:
        """End the broker."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


class TestCA:
    """A test CA and a server certificate for 127.0.0.1 and localhost, made with openssl."""

    __test__ = False

    def __init__(self, directory: Path) -> None:
        if shutil.which("openssl") is None:
            pytest.skip("openssl is not installed")
        self.ca, self.cert, self.key = directory / "ca.pem", directory / "server.pem", directory / "server.key"
        ca_key, csr, ext = directory / "ca.key", directory / "server.csr", directory / "ext.cnf"

        def run(*args: str) -> None:
            subprocess.run(["openssl", *args], check=True, capture_output=True)
        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(self.ca),
            "-days", "2", "-subj", "/CN=statusboard test CA")
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(self.key), "-out", str(csr),
            "-subj", "/CN=localhost")
        ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        run("x509", "-req", "-in", str(csr), "-CA", str(self.ca), "-CAkey", str(ca_key), "-CAcreateserial",
            "-out", str(self.cert), "-days", "2", "-extfile", str(ext))


class Listener:
    """A plain paho client that subscribes to topics and keeps the last message of each (retained too)."""

    def __init__(self, port: int, *topics: str, tls_ca: Optional[Path] = None, auth: Optional[Tuple[str, str]] = None):
        import paho.mqtt.client as mqtt
        self.messages: Dict[str, bytes] = {}
        self.log: List[Tuple[str, bytes]] = []
        self._lock = threading.Lock()
        self.client = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
                                  client_id=f"listener-{time.monotonic_ns()}")
        if tls_ca:
            self.client.tls_set(ca_certs=str(tls_ca))
        if auth:
            self.client.username_pw_set(*auth)
        self.client.on_connect = lambda c, u, f, rc, p: [c.subscribe(t, qos=1) for t in topics]
        self.client.on_message = self._message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _message(self, client: object, userdata: object, message: object) -> None:
        with self._lock:
            self.messages[message.topic] = bytes(message.payload)  # type: ignore[attr-defined]
            self.log.append((message.topic, bytes(message.payload)))  # type: ignore[attr-defined]

    def get(self, topic: str) -> Optional[bytes]:
        with self._lock:
            return self.messages.get(topic)

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
