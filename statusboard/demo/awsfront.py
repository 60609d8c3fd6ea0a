"""An AWS endpoint on 127.0.0.1 in front of another, that forwards requests or answers with AWS's own error.

The error is written in the protocol the request spoke: query XML (EC2), or JSON or CBOR (CloudWatch, by the
botocore release). It can also answer IVS's ListStreams itself, from the live streams it is given: moto models
IVS channels, not streams.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Tuple

import requests


def _cbor_text(text: str) -> bytes:
    data = text.encode()
    if len(data) < 24:
        return bytes([0x60 | len(data)]) + data
    if len(data) < 256:
        return bytes([0x78, len(data)]) + data
    return bytes([0x79]) + len(data).to_bytes(2, "big") + data


def cbor_map(fields: Dict[str, str]) -> bytes:
    """A CBOR map of (fewer than 24) text keys and values: the body of a smithy RPC v2 error."""
    return bytes([0xA0 | len(fields)]) + b"".join(_cbor_text(k) + _cbor_text(v) for k, v in fields.items())


def error_body(path: str, target: Optional[str], code: str, message: str) -> Tuple[bytes, Dict[str, str]]:
    """AWS's error document, and its headers, in the protocol of a request to `path` (with its X-Amz-Target)."""
    fields = {"__type": f"com.amazonaws.cloudwatch#{code}", "message": message}
    if "/operation/" in path:
        return cbor_map(fields), {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}
    if target:
        return json.dumps(fields).encode(), {"Content-Type": "application/x-amz-json-1.0"}
    data = (f'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>{code}</Code>'
            f"<Message>{message}</Message></Error></Errors><RequestID>demo</RequestID></Response>").encode()
    return data, {"Content-Type": "text/xml"}


def list_streams(streams: List[Dict[str, Any]]) -> bytes:
    """IVS's ListStreams answer (REST JSON) for these streams, each {channelArn, health, viewerCount, startTime
    (seconds since the epoch)}: every one is live."""
    doc = {"streams": [{"channelArn": s["channelArn"], "streamId": "st-" + s["channelArn"].rsplit("/", 1)[1],
                        "playbackUrl": "", "state": "LIVE", "health": s["health"], "viewerCount": s["viewerCount"],
                        "startTime": datetime.fromtimestamp(s["startTime"], timezone.utc).isoformat()}
                       for s in streams]}
    return json.dumps(doc).encode()


class AwsFront:
    """Forwards to `upstream`; while `error` is (status, code, message), answers with that AWS error instead;
    answers IVS's ListStreams from `streams` (see list_streams) when it is not None."""

    def __init__(self, upstream: str) -> None:
        front = self
        self.error: Optional[Tuple[int, str, str]] = None
        self.streams: Optional[List[Dict[str, Any]]] = None
        self.requests = 0

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                front.requests += 1
                if front.error:
                    status, code, message = front.error
                    data, headers = error_body(self.path, self.headers.get("X-Amz-Target"), code, message)
                elif self.path == "/ListStreams" and front.streams is not None:
                    status, data, headers = 200, list_streams(front.streams), {"Content-Type": "application/json"}
                else:
                    sent = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                    try:
                        answer = requests.post(upstream + self.path, data=body, headers=sent, timeout=30)
                    except requests.RequestException:   # the upstream is gone (stopping): a plain 502
                        status, data, headers = 502, b"", {"Content-Type": "text/plain"}
                    else:
                        status, data = answer.status_code, answer.content
                        headers = {k: v for k, v in answer.headers.items()
                                   if k.lower() in ("content-type", "smithy-protocol", "x-amzn-requestid")}
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:   # the client gave up (its check's deadline): nothing to tell it any more
                    self.close_connection = True

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, name="aws-front", daemon=True).start()

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
