"""An EC2 endpoint on 127.0.0.1 in front of another, that forwards requests or answers with AWS's own error."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional, Tuple

import requests


class AwsFront:
    """Forwards to `upstream`; while `error` is (status, code, message), answers with that AWS error instead."""

    def __init__(self, upstream: str) -> None:
        front = self
        self.error: Optional[Tuple[int, str, str]] = None
        self.requests = 0

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                front.requests += 1
                if front.error:
                    status, code, message = front.error
                    data = (f'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>{code}</Code>'
                            f"<Message>{message}</Message></Error></Errors><RequestID>demo</RequestID></Response>"
                            ).encode()
                    ctype = "text/xml"
                else:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                    answer = requests.post(upstream + self.path, data=body, headers=headers, timeout=30)
                    status, data = answer.status_code, answer.content
                    ctype = answer.headers.get("Content-Type", "text/xml")
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, name="aws-front", daemon=True).start()

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
