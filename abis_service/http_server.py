"""The reference ABIS over HTTP: ``POST /abis`` takes one MOSIP ABIS request (JSON) and answers it in the
response body; ``GET /health`` says the process is up. Loopback only by default.

Status codes: 200 for every request the service answered (success or MOSIP failure, ``returnValue`` 2),
400 for a body that is not JSON, 411/413 for a missing or too large length, 404 for other paths. Bodies
are bounded before they are read; JSON nesting is bounded by the parser's own recursion limit.
"""

from __future__ import annotations

import json
import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from abis_service import wire
from abis_service.service import AbisService

MAX_BODY_BYTES = wire.MAX_CBEFF_BYTES * 4 // 3 + 64 * 1024
log = logging.getLogger(__name__)


class _Handler(BaseHTTPRequestHandler):
    server_version = "OpenRegReferenceABIS/1.0"
    protocol_version = "HTTP/1.1"
    service: AbisService  # set on the subclass made by make_server

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/health":
            return self._send(200, {"status": "up"})
        return self._send(404, {"error": "unknown path"})

    def do_POST(self) -> None:
        if self.path != "/abis":
            self.close_connection = True
            return self._send(404, {"error": "unknown path; POST /abis"})
        length_text = self.headers.get("Content-Length")
        if length_text is None or not length_text.isdigit():
            self.close_connection = True
            return self._send(411, wire.failure("", "", wire.INVALID_REQUEST, "Content-Length is required"))
        length = int(length_text)
        if length > MAX_BODY_BYTES:
            self.close_connection = True  # the body is not read: the connection cannot be reused
            return self._send(
                413, wire.failure("", "", wire.INVALID_REQUEST, f"body over {MAX_BODY_BYTES} bytes")
            )
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            return self._send(
                400, wire.failure("", "", wire.INVALID_REQUEST, f"the body is not JSON: {exc}"[:200])
            )
        return self._send(200, self.service.handle(body))


def make_server(service: AbisService, *, host: str, port: int) -> ThreadingHTTPServer:
    handler = type("Handler", (_Handler,), {"service": service})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
